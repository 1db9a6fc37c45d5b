"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
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


class Holder(str, Enum):
    customer = "customer"
    staff = "staff"


class DestinationKind(str, Enum):
    wechat_openid = "wechat_openid"
    alipay_login = "alipay_login"


class PayoutAccount(Table, tablename="core_payout_account"):
    """Where a customer's or a worker's money goes, and who set it last."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    holder = Varchar(length=8, choices=Holder, default=None)
    holder_id = BigInt(default=None)
    kind = Varchar(length=16, choices=DestinationKind, default=None)
    account_cipher = Text(default=None)
    account_masked = Varchar(length=80, default=None)
    real_name = Varchar(length=100, default="")
    app_id = Varchar(length=64, default="")
    changed_by_kind = Varchar(length=8, default=None)
    changed_by_id = BigInt(default=None)
    changed_at = Timestamptz()
    created_at = Timestamptz()


class Payout(Table, tablename="core_payout"):
    """A withdrawal or a statement's payout, from the request to paid, failed or rejected."""

    class State(str, Enum):
        requested = "requested"
        approved = "approved"
        sending = "sending"
        paid = "paid"
        failed = "failed"
        rejected = "rejected"

    class Source(str, Enum):
        withdrawal = "withdrawal"
        statement = "statement"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    payout_no = Varchar(length=40, default=None)
    holder = Varchar(length=8, choices=Holder, default=None)
    holder_id = BigInt(default=None)
    amount = BigInt(default=None)
    fee = BigInt(default=0)
    currency = Varchar(length=8, default=None)
    destination_kind = Varchar(length=16, choices=DestinationKind, default=None)
    destination_cipher = Text(default=None)
    destination_masked = Varchar(length=80, default=None)
    real_name = Varchar(length=100, default="")
    app_id = Varchar(length=64, default="")
    destination_changed_by_kind = Varchar(length=8, default=None)
    destination_changed_by_id = BigInt(default=None)
    destination_changed_at = Timestamptz(default=None)
    state = Varchar(length=12, choices=State, default="requested")
    source = Varchar(length=12, choices=Source, default=None)
    source_ref = Varchar(length=100, default="")
    reason = Varchar(length=300, default="")
    requested_by_kind = Varchar(length=8, default=None)
    requested_by_id = BigInt(default=None)
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    flag = Varchar(length=32, default="")
    provider = Varchar(length=32, default="")
    provider_ref = Varchar(length=128, default="")
    provider_message = Varchar(length=300, default="")
    attempts = Integer(default=0)
    queries = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    confirm = JSONB(default="{}")  # what the person's app needs to confirm receipt (WeChat), while sending


class PayoutNotification(Table, tablename="core_payout_notification"):
    """A transfer notification's event id, once."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    provider = Varchar(length=32, default=None)
    event_id = Varchar(length=128, default=None)
    payout_id = BigInt(default=None)
    status = Varchar(length=12, default=None)
    outcome = Varchar(length=12, default=None)
    created_at = Timestamptz()


class PayoutSettings(Table, tablename="core_payout_settings"):
    """A franchise's withdrawal rules; no row means the defaults."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    min_amount = BigInt(default=100)
    max_amount = BigInt(default=500000)
    daily_count = Integer(default=3)
    daily_amount = BigInt(default=1000000)
    fee_bp = Integer(default=0)
    fee_min = BigInt(default=0)
    review_threshold = BigInt(default=200000)
    staff_on_demand = Boolean(default=True)
    updated_at = Timestamptz()


TABLES: list[type[Table]] = [PayoutAccount, Payout, PayoutNotification, PayoutSettings]
