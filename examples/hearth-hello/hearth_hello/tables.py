"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from piccolo.columns import BigInt, BigSerial, ForeignKey, Timestamptz
from piccolo.table import Table

from platform_core.plugin_api import Tenant


class Welcome(Table, tablename="hello_welcome"):
    """A customer the plugin greeted when they registered."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    greeted_at = Timestamptz()
