"""The loyalty plugin's tables, mirroring the SQL of piccolo_migrations/ (the SQL is the source
of truth). Each is prefixed `loyalty_`, has `tenant_id` in its primary key and every unique
constraint, and is under forced row-level security (docs/plugins.md "Tables and migrations")."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from platform_core.plugin_api import Tenant


class Member(Table, tablename="loyalty_member"):
    """A customer in the programme: the row every change of their points locks first."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    debt = BigInt(default=0, null=False)
    tier_code = Varchar(length=32, default="regular", null=False)
    tier_since = Timestamptz(default=TimestamptzNow(), null=False)
    downgrade_due = Date(default=None, null=True)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


class Movement(Table, tablename="loyalty_movement"):
    """One change of a balance (append-only); the balance is their sum."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    kind = Varchar(length=10, default=None, null=False)
    points = BigInt(default=None, null=False)
    reason = Varchar(length=16, default=None, null=False)
    link = Varchar(length=120, default="", null=False)
    note = Varchar(length=200, default="", null=False)
    key = Varchar(length=160, default=None, null=False)
    uncovered = BigInt(default=0, null=False)
    drawn = JSONB(default="[]", null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


class Lot(Table, tablename="loyalty_lot"):
    """Earned points not yet spent, expired or taken back, spent oldest first."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    movement_id = BigInt(default=None, null=False)
    points = BigInt(default=None, null=False)
    remaining = BigInt(default=None, null=False)
    earned_at = Timestamptz(default=None, null=False)
    expires_at = Timestamptz(default=None, null=True)
    reminded = Boolean(default=False, null=False)


TABLES: list[type[Table]] = [Member, Movement, Lot]


# ---- daily check-in and tasks (loyalty_0002_checkin_tasks)

class Checkin(Table, tablename="loyalty_checkin"):
    """One customer's check-in on one day of the franchise's calendar, with the streak it made and
    what it gave."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    day = Date(default=None)
    streak = Integer(default=None)
    points = Integer(default=0)
    coupon_id = BigInt(null=True, default=None)
    created_at = Timestamptz()


class Task(Table, tablename="loyalty_task"):
    """A task of the franchise (complete the profile, first order, ...) and its reward: points, a
    coupon, and/or priority booking for chosen services for `priority_days`."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    code = Varchar(length=32, default=None)
    kind = Varchar(length=16, default=None)
    title = Varchar(length=80, default=None)
    description = Varchar(length=300, default="")
    reward_points = Integer(default=0)
    reward_coupon_template_id = BigInt(null=True, default=None)
    priority_days = Integer(default=0)
    priority_item_ids = Array(base_column=BigInt())
    priority_categories = Array(base_column=Text())
    priority_extra_days = Integer(default=0)
    priority_held_back = Integer(default=0)
    active = Boolean(default=True)
    sort_order = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TaskCompletion(Table, tablename="loyalty_task_completion"):
    """A customer completed a task (once per task) and got its reward."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    task_id = BigInt(default=None)
    customer_id = BigInt(default=None)
    ref = Varchar(length=100, default="")
    points = Integer(default=0)
    coupon_id = BigInt(null=True, default=None)
    completed_at = Timestamptz()


class PriorityGrant(Table, tablename="loyalty_priority_grant"):
    """Priority booking a task gave a customer: its services, extra days, and until when."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    task_id = BigInt(default=None)
    item_ids = Array(base_column=BigInt())
    categories = Array(base_column=Text())
    extra_days = Integer(default=0)
    starts_at = Timestamptz(default=None)
    ends_at = Timestamptz(default=None)


class Share(Table, tablename="loyalty_share"):
    """A customer's share link of one service (/p/loyalty/s/{code}) and what it brought."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    item_id = BigInt(default=None)
    code = Varchar(length=16, default=None)
    visits = Integer(default=0)
    signups = Integer(default=0)
    created_at = Timestamptz()


class ShareVisit(Table, tablename="loyalty_share_visit"):
    """A new visitor (one browser's cookie) who opened a share link, and the customer they became."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    share_id = BigInt(default=None)
    visitor = Varchar(length=32, default=None)
    visited_at = Timestamptz()
    customer_id = BigInt(null=True, default=None)
    registered_at = Timestamptz(null=True, default=None)


TABLES += [Checkin, Task, TaskCompletion, PriorityGrant, Share, ShareVisit]


# ---- the rewards shop (loyalty_0004_shop; shop.py)


class Goods(Table, tablename="loyalty_goods"):
    """A reward of the shop: goods sent to an address, or a coupon template, for points."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    kind = Varchar(length=8, default=None)
    name = Varchar(length=80, default=None)
    description = Varchar(length=1000, default="")
    picture = Varchar(length=200, default="")
    points = Integer(default=None)
    stock = Integer(null=True, default=None)
    coupon_template_id = BigInt(null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Redemption(Table, tablename="loyalty_redemption"):
    """A customer's redemption: goods on their way (to_ship, shipped, delivered, cancelled) or an
    issued coupon."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    goods_id = BigInt(default=None)
    kind = Varchar(length=8, default=None)
    name = Varchar(length=80, default=None)
    points = Integer(default=None)
    state = Varchar(length=12, default=None)
    coupon_id = BigInt(null=True, default=None)
    address = JSONB(null=True, default=None)
    carrier = Varchar(length=40, default="")
    tracking_number = Varchar(length=60, default="")
    cancel_reason = Varchar(length=300, default="")
    created_at = Timestamptz()
    shipped_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    request_key = Varchar(length=64, null=True, default=None)


TABLES += [Goods, Redemption]


# ---- member tiers (part C: tiers.py, privileges.py; loyalty_0003_tiers)


class LoyaltyTier(Table, tablename="loyalty_tier"):
    """A franchise's member tier: its thresholds over a rolling 12 months and its privileges."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    code = Varchar(length=32, default=None)
    name = Varchar(length=40, default=None)
    rank = Integer(default=None)
    min_spend = BigInt(default=0)
    min_bookings = Integer(default=0)
    min_activity = Integer(default=0)
    points_multiplier_percent = Integer(default=100)
    dispatch_bonus = Integer(default=0)
    birthday_template_id = BigInt(null=True, default=None)
    voucher_template_id = BigInt(null=True, default=None)
    vouchers_per_year = Integer(default=0)
    support_agent_id = BigInt(null=True, default=None)
    priority_categories = JSONB(default="[]")
    priority_items = JSONB(default="[]")
    priority_extra_days = Integer(default=0)
    updated_at = Timestamptz()


TABLES.append(LoyaltyTier)


# ---- console adjustments (console_points.py; loyalty_0005_reports)


class Adjustment(Table, tablename="loyalty_adjustment"):
    """A console adjustment: who made it and why (console_points.py); its id is the movement's
    link, its form_key the console form's one-time key."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    points = BigInt(default=None, null=False)
    reason = Varchar(length=200, default=None, null=False)
    console_user_id = BigInt(default=None, null=False)
    form_key = Varchar(length=64, default=None, null=False)
    movement_id = BigInt(default=None, null=True)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


TABLES.append(Adjustment)
