"""The referral plugin's tables, mirroring the SQL of piccolo_migrations/ (the SQL is the source
of truth): prefixed `referral_`, `tenant_id` in every key, under forced row-level security."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from platform_core.plugin_api import Tenant


class Code(Table, tablename="referral_code"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    code = Varchar(length=16, default=None, null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


class Invite(Table, tablename="referral_invite"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    inviter_id = BigInt(default=None, null=False)
    invitee_id = BigInt(default=None, null=False)
    code = Varchar(length=16, default=None, null=False)
    via = Varchar(length=8, default=None, null=False)
    bound_at = Timestamptz(default=None, null=False)
    window_ends_at = Timestamptz(default=None, null=False)
    spend = BigInt(default=0, null=False)
    currency = Varchar(length=8, default=None, null=False)
    state = Varchar(length=12, default="registered", null=False)
    qualified_at = Timestamptz(default=None, null=True)
    flags = Varchar(length=200, default="", null=False)


class Spend(Table, tablename="referral_spend"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    invite_id = BigInt(default=None, null=False)
    order_id = BigInt(default=None, null=False)
    amount = BigInt(default=None, null=False)
    updated_at = Timestamptz(default=TimestamptzNow(), null=False)


class Reward(Table, tablename="referral_reward"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    invite_id = BigInt(default=None, null=True)
    customer_id = BigInt(default=None, null=False)
    role = Varchar(length=8, default=None, null=False)
    kind = Varchar(length=8, default=None, null=False)
    amount = BigInt(default=0, null=False)
    bonus = BigInt(default=0, null=False)
    credited = BigInt(default=0, null=False)
    currency = Varchar(length=8, default=None, null=False)
    coupon_template_id = BigInt(default=None, null=True)
    coupon_id = BigInt(default=None, null=True)
    level_threshold = Integer(default=None, null=True)
    state = Varchar(length=10, default=None, null=False)
    reason = Varchar(length=200, default="", null=False)
    owed = BigInt(default=0, null=False)
    recovered = BigInt(default=0, null=False)
    decided_by = BigInt(default=None, null=True)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    paid_at = Timestamptz(default=None, null=True)
    decided_at = Timestamptz(default=None, null=True)


TABLES: list[type[Table]] = [Code, Invite, Spend, Reward]
