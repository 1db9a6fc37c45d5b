"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    ForeignKey,
    SmallInt,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Review(Table, tablename="core_review"):
    """A customer's review of a completed order: one per order; hidden ones keep their reason."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    order_id = BigInt(default=None)
    customer_id = BigInt(default=None)
    staff_id = BigInt(null=True, default=None)
    item_id = BigInt(default=None)
    quality = SmallInt(default=None)
    attitude = SmallInt(default=None)
    skill = SmallInt(default=None)
    text = Varchar(length=2000, default="")
    photos = JSONB(default="[]")
    reply = Varchar(length=2000, default="")
    replied_by = BigInt(null=True, default=None)
    replied_at = Timestamptz(null=True, default=None)
    hidden_at = Timestamptz(null=True, default=None)
    hidden_by = BigInt(null=True, default=None)
    hidden_reason = Varchar(length=500, default="")
    created_at = Timestamptz()


TABLES: list[type[Table]] = [Review]
