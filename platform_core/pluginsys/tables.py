"""Which plugins a tenant has on and their config (created by tenancy_0001_initial.py, whose
history stays as it is; later changes are this app's own migrations)."""

from piccolo.columns import JSONB, BigSerial, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.db.citus import reference
from platform_core.tenancy.tables import Tenant


class TenantPlugin(Table, tablename="core_tenant_plugin"):
    """Whether a tenant has a plugin on, and its config for that tenant (secrets encrypted)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    plugin_name = Varchar(length=63, default=None)
    enabled = Boolean(default=False)
    config = JSONB(default="{}")
    updated_at = Timestamptz()


class PluginDefault(Table, tablename="core_plugin_default"):
    """The platform's default config of a plugin, between a tenant's row and the Struct defaults."""

    citus = reference("one row per plugin, read with every franchise's own config")

    id = BigSerial(primary_key=True)
    plugin_name = Varchar(length=63, unique=True, default=None)
    config = JSONB(default="{}")
    updated_at = Timestamptz()
