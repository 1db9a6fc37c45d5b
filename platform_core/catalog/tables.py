"""Service categories (a tree), items and their add-ons (mirrors catalog_0001_initial.py and
catalog_0002_quantity_limits.py)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class ServiceCategory(Table, tablename="core_service_category"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    # A self-reference by id; the SQL's composite foreign key keeps it inside the tenant.
    parent_id = BigInt(null=True, default=None)
    code = Varchar(length=63, default=None)
    title = Varchar(length=100, default=None)
    summary = Varchar(length=300, default="")
    icon = Varchar(length=40, default="home")
    sort_order = Integer(default=0)
    source_plugin = Varchar(length=63, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()


class ServiceItem(Table, tablename="core_service_item"):
    class PricingModel(str, Enum):
        fixed = "fixed"
        hourly = "hourly"
        per_sqm = "per_sqm"
        quote = "quote"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    category = ForeignKey(ServiceCategory, db_column_name="category_id", null=False)
    slug = Varchar(length=80, default=None)
    title = Varchar(length=120, default=None)
    summary = Varchar(length=300, default="")
    cover_url = Varchar(length=500, default="")
    content = JSONB(default="[]")
    duration_minutes = Integer(default=None)
    pricing_model = Varchar(length=16, choices=PricingModel, default=None)
    price = BigInt(default=0)
    min_quantity = Integer(default=1)
    max_quantity = Integer(default=1)
    currency = Varchar(length=3, default=None)
    required_skills = Array(base_column=Text())
    districts = Array(base_column=Text())
    booking_fields = JSONB(default="[]")
    active = Boolean(default=True)
    sort_order = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ServiceAddon(Table, tablename="core_service_addon"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    item = ForeignKey(ServiceItem, db_column_name="item_id", null=False)
    title = Varchar(length=100, default=None)
    price = BigInt(default=None)
    duration_minutes = Integer(default=0)
    active = Boolean(default=True)
    sort_order = Integer(default=0)


TABLES: list[type[Table]] = [ServiceCategory, ServiceItem, ServiceAddon]
