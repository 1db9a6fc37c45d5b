from enum import Enum

from piccolo.columns import JSONB, BigSerial, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.db.citus import reference


class Tenant(Table, tablename="core_tenant"):
    """A franchise. Platform-level: no tenant column, no RLS."""

    citus = reference("the franchises themselves; every tenant table's tenant_id points at it")

    class Status(str, Enum):
        active = "active"
        suspended = "suspended"

    id = BigSerial(primary_key=True)
    slug = Varchar(length=63, unique=True, default=None)
    name = Varchar(length=200, default=None)
    status = Varchar(length=16, choices=Status, default=Status.active)
    locale = Varchar(length=10, default="zh_CN")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    currency = Varchar(length=3, default="CNY")
    branding = JSONB(default="{}")
    suspended_reason = Varchar(length=500, default="")
    created_at = Timestamptz()
    # The franchise's service line and hours (tenancy_0002), 'HH:MM' local.
    service_phone = Varchar(length=32, default="")
    service_opens = Varchar(length=5, default="")
    service_closes = Varchar(length=5, default="")
    # Renewed from a sequence by any change a process caches about the tenant (tenancy_0003).
    version = BigSerial()


class TenantDomain(Table, tablename="core_tenant_domain"):
    """A host name that serves a tenant. Platform-level: read before any tenant is known."""

    citus = reference("host -> franchise, looked up before the tenant is known; a few rows per franchise")

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    host = Varchar(length=253, unique=True, default=None)
    is_primary = Boolean(default=False)
