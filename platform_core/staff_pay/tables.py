"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    BigInt,
    BigSerial,
    Date,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class StaffPaySettings(Table, tablename="core_staff_pay_settings"):
    """A franchise's pay period, when statements are drawn up and how workers are paid."""

    class Period(str, Enum):
        weekly = "weekly"
        monthly = "monthly"

    class PayMode(str, Enum):
        statement = "statement"
        on_demand = "on_demand"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    period = Varchar(length=16, choices=Period, default=Period.weekly)
    week_start = SmallInt(default=0)  # Monday
    draw_after_days = SmallInt(default=0)  # days after the first day of the next period
    pay_mode = Varchar(length=16, choices=PayMode, default=PayMode.statement)
    updated_at = Timestamptz()


class StaffStatement(Table, tablename="core_staff_statement"):
    """One worker's pay statement for one period: draft, confirmed (frozen), paying (by transfer), paid."""

    class State(str, Enum):
        draft = "draft"
        confirmed = "confirmed"
        paying = "paying"
        paid = "paid"

    class PayMethod(str, Enum):
        transfer = "transfer"
        bank = "bank"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    number = Varchar(length=40, default=None)
    staff_id = BigInt(default=None)
    first_day = Date(default=None)
    last_day = Date(default=None)
    starts_at = Timestamptz(default=None)
    ends_at = Timestamptz(default=None)
    currency = Varchar(length=8, default=None)
    opening = BigInt(default=None)
    orders_count = Integer(default=0)
    customers_paid = BigInt(default=0)
    commission = BigInt(default=0)
    bonuses = BigInt(default=0)
    deductions = BigInt(default=0)
    other = BigInt(default=0)
    payouts = BigInt(default=0)
    closing = BigInt(default=None)
    net = BigInt(default=None)
    state = Varchar(length=16, choices=State, default=State.draft)
    drawn_at = Timestamptz()
    drawn_by = BigInt(null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)
    confirmed_by = BigInt(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
    paid_by = BigInt(null=True, default=None)
    pay_method = Varchar(length=16, choices=PayMethod, null=True, default=None)
    pay_reference = Varchar(length=100, default="")


class StaffStatementLine(Table, tablename="core_staff_statement_line"):
    """A movement of the worker's earnings in the statement's period, as the ledger posted it."""

    class Kind(str, Enum):
        order = "order"
        bonus = "bonus"
        deduction = "deduction"
        payout = "payout"
        other = "other"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    statement_id = BigInt(default=None)
    position = Integer(default=None)
    kind = Varchar(length=16, choices=Kind, default=None)
    occurred_at = Timestamptz(default=None)
    ledger_transaction_id = BigInt(default=None)
    ledger_kind = Varchar(length=32, default=None)
    order_id = BigInt(null=True, default=None)
    order_number = Varchar(length=40, default="")
    item_title = Varchar(length=200, default="")
    customer_paid = BigInt(default=0)
    amount = BigInt(default=None)
    note = Varchar(length=500, default="")


class StaffAdjustment(Table, tablename="core_staff_adjustment"):
    """A bonus or a deduction, posted to the ledger once a second person approves it."""

    class Kind(str, Enum):
        bonus = "bonus"
        deduction = "deduction"

    class State(str, Enum):
        proposed = "proposed"
        approved = "approved"
        rejected = "rejected"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    kind = Varchar(length=16, choices=Kind, default=None)
    amount = BigInt(default=None)
    currency = Varchar(length=8, default=None)
    reason = Varchar(length=300, default=None)
    order_id = BigInt(null=True, default=None)
    state = Varchar(length=16, choices=State, default=State.proposed)
    proposed_by = BigInt(null=True, default=None)
    source = Varchar(length=40, default="console")
    source_ref = Varchar(length=100, null=True, default=None)
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class StaffBankAccount(Table, tablename="core_staff_bank_account"):
    """Where the office pays a worker by bank; holder and account number encrypted at rest."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    holder_cipher = Text(default=None)
    bank = Varchar(length=80, default=None)
    account_cipher = Text(default=None)
    account_last4 = Varchar(length=4, default=None)
    updated_by = BigInt(null=True, default=None)
    updated_at = Timestamptz()


TABLES: list[type[Table]] = [StaffPaySettings, StaffStatement, StaffStatementLine, StaffAdjustment, StaffBankAccount]
