"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Funder(str, Enum):
    franchise = "franchise"
    platform = "platform"


class CouponTemplate(Table, tablename="core_coupon_template"):
    """What a coupon gives, to whom, for how long and how many times."""

    class Kind(str, Enum):
        amount_off = "amount_off"
        percent_off = "percent_off"
        free_addon = "free_addon"
        item_voucher = "item_voucher"

    class Status(str, Enum):
        active = "active"
        archived = "archived"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    name = Varchar(length=80, default=None)
    description = Varchar(length=500, default="")
    kind = Varchar(length=16, choices=Kind, default=None)
    amount_off = BigInt(default=0)
    percent_off = Integer(default=0)
    max_discount = BigInt(default=0)
    min_spend = BigInt(default=0)
    addon_id = BigInt(null=True, default=None)
    voucher_item_id = BigInt(null=True, default=None)
    voucher_price = BigInt(default=0)
    first_order_only = Boolean(default=False)
    category_codes = JSONB(default="[]")
    item_ids = JSONB(default="[]")
    valid_from = Date(null=True, default=None)
    valid_until = Date(null=True, default=None)
    valid_days = Integer(null=True, default=None)
    per_customer_limit = Integer(default=1)
    total_limit = Integer(null=True, default=None)
    issued_count = Integer(default=0)
    stacks_with_rules = Boolean(default=True)
    return_on_cancel = Boolean(default=True)
    funded_by = Varchar(length=16, choices=Funder, default=Funder.franchise)
    public_code = Varchar(length=32, null=True, default=None)
    status = Varchar(length=16, choices=Status, default=Status.active)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Coupon(Table, tablename="core_coupon"):
    """An issued coupon: available, held by an unpaid order, used, expired or revoked."""

    class State(str, Enum):
        available = "available"
        held = "held"
        used = "used"
        expired = "expired"
        revoked = "revoked"

    class Source(str, Enum):
        manual = "manual"
        code = "code"
        batch = "batch"
        plugin = "plugin"
        campaign = "campaign"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    template_id = BigInt(default=None)
    customer_id = BigInt(default=None)
    state = Varchar(length=16, choices=State, default=State.available)
    valid_from = Timestamptz(default=None)
    valid_until = Timestamptz(null=True, default=None)
    source = Varchar(length=16, choices=Source, default=None)
    source_ref = Varchar(length=100, default="")
    reason = Varchar(length=300, default="")
    issued_by = BigInt(null=True, default=None)
    idempotency_key = Varchar(length=150, null=True, default=None)
    order_id = BigInt(null=True, default=None)
    held_at = Timestamptz(null=True, default=None)
    used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = BigInt(null=True, default=None)
    revoke_reason = Varchar(length=300, default="")
    created_at = Timestamptz()


class CouponCode(Table, tablename="core_coupon_code"):
    """A one-time code of a batch, redeemed once into a coupon."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    template_id = BigInt(default=None)
    batch = Varchar(length=64, default=None)
    code = Varchar(length=32, default=None)
    coupon_id = BigInt(null=True, default=None)
    redeemed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class PromotionRule(Table, tablename="core_promotion_rule"):
    """An automatic discount: first order, off-peak, a sale, a launch price in a district."""

    class Kind(str, Enum):
        first_order = "first_order"
        off_peak = "off_peak"
        sale = "sale"
        district_launch = "district_launch"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    name = Varchar(length=80, default=None)
    kind = Varchar(length=16, choices=Kind, default=None)
    percent_off = Integer(default=0)
    amount_off = BigInt(default=0)
    max_discount = BigInt(default=0)
    category_codes = JSONB(default="[]")
    item_ids = JSONB(default="[]")
    weekdays = JSONB(default="[]")
    time_from = Time(null=True, default=None)
    time_until = Time(null=True, default=None)
    district = Varchar(length=100, default="")
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    funded_by = Varchar(length=16, choices=Funder, default=Funder.franchise)
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


TABLES: list[type[Table]] = [CouponTemplate, Coupon, CouponCode, PromotionRule]
