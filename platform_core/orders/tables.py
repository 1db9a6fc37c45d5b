"""Orders, their price lines, their timeline, booking settings and the number counter (mirrors
the SQL of orders_0001_initial)."""

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class BookingSettings(Table, tablename="core_booking_settings"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", unique=True, null=False)
    slot_minutes = Integer(default=30)
    lead_minutes = Integer(default=120)
    horizon_days = Integer(default=14)
    free_cancel_hours = Integer(default=24)
    late_cancel_fee_percent = Integer(default=20)
    reminder_hours = Integer(default=2)
    relay_phone = Varchar(length=32, default="")
    updated_at = Timestamptz()


class Order(Table, tablename="core_order"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    number = Varchar(length=24, default=None)
    customer_id = BigInt(default=None)
    item_id = BigInt(default=None)
    category_code = Varchar(length=63, default=None)
    state = Varchar(length=32, default=None)
    state_changed_at = Timestamptz()
    address = JSONB(default=None)
    lat = Numeric(digits=(9, 6), null=True, default=None)
    lng = Numeric(digits=(9, 6), null=True, default=None)
    district = Varchar(length=100, default="")
    requirements = Varchar(length=2000, default="")
    fields = JSONB(default="{}")
    photos = JSONB(default="[]")
    asap = Boolean(default=False)
    scheduled_start = Timestamptz(default=None)
    scheduled_end = Timestamptz(default=None)
    requested_staff_id = BigInt(null=True, default=None)
    quantity = Integer(default=1)
    currency = Varchar(length=3, default=None)
    subtotal = BigInt(default=None)
    adjustments = BigInt(default=0)
    total = BigInt(default=None)
    payment_method = Varchar(length=20, default="after_service")
    paid_at = Timestamptz(null=True, default=None)
    cancellation_fee = BigInt(default=0)
    cancel_reason = Varchar(length=500, default="")
    idempotency_key = Varchar(length=100, default=None)
    request_hash = Varchar(length=64, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # The worker who holds the order now; dispatch sets it (orders_0004).
    staff_id = BigInt(null=True, default=None)
    # The worker's visit record (orders_0005): steps ticked, photos before and after.
    checklist_done = JSONB(default="[]")
    work_photos = JSONB(default="{}")
    # When dispatch alerted the office that it still has no worker (orders_0006).
    office_alert_at = Timestamptz(null=True, default=None)


class OrderLine(Table, tablename="core_order_line"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    order_id = BigInt(default=None)
    position = Integer(default=None)
    kind = Varchar(length=16, default=None)
    code = Varchar(length=63, default="")
    label = Varchar(length=200, default=None)
    quantity = Integer(default=1)
    unit_amount = BigInt(default=None)
    amount = BigInt(default=None)
    source = Varchar(length=63, default="core")
    # Who pays for a discount line (orders_0008): read at settlement by the ledger.
    funded_by = Varchar(length=16, null=True, default=None)


class OrderEvent(Table, tablename="core_order_event"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    order_id = BigInt(default=None)
    event = Varchar(length=40, default=None)
    from_state = Varchar(length=32, null=True, default=None)
    to_state = Varchar(length=32, default=None)
    actor_kind = Varchar(length=16, default=None)
    actor_id = BigInt(null=True, default=None)
    note = Varchar(length=500, default="")
    data = JSONB(default="{}")
    created_at = Timestamptz()


class OrderCounter(Table, tablename="core_order_counter"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    day = Date(default=None)
    value = Integer(default=0)


class OrderMessage(Table, tablename="core_order_message"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    order_id = BigInt(default=None)
    author_kind = Varchar(length=16, default=None)
    author_id = BigInt(default=None)
    body = Varchar(length=1000, default=None)
    created_at = Timestamptz()


class OrderCustomerSummary(Table, tablename="core_order_customer_summary"):
    """A customer's live orders at a glance, one row per customer who has one; kept by a trigger
    on core_order (orders_0010), for segment filters."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    first_order_at = Timestamptz(default=None)
    last_order_at = Timestamptz(default=None)
    live_orders = Integer(default=None)


TABLES: list[type[Table]] = [BookingSettings, Order, OrderLine, OrderEvent, OrderCounter, OrderMessage, OrderCustomerSummary]
