"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class LedgerAccount(Table, tablename="core_ledger_account"):
    """One account per (code, currency); it stores no balance, its balance is the sum of its entries."""

    class Kind(str, Enum):
        asset = "asset"
        liability = "liability"
        revenue = "revenue"
        expense = "expense"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    code = Varchar(length=120, default=None)
    currency = Varchar(length=8, default=None)
    kind = Varchar(length=16, choices=Kind, default=None)
    allow_negative = Boolean(default=None)
    created_at = Timestamptz()


class LedgerTransaction(Table, tablename="core_ledger_transaction"):
    """A balanced set of entries posted at once; never updated or deleted."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    idempotency_key = Varchar(length=200, default=None)
    kind = Varchar(length=32, default=None)
    order_id = BigInt(null=True, default=None)
    memo = Varchar(length=500, default="")
    created_at = Timestamptz()


class LedgerEntry(Table, tablename="core_ledger_entry"):
    """One leg of a transaction: debits positive, credits negative, in minor units."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    transaction_id = BigInt(default=None)
    account_id = BigInt(default=None)
    currency = Varchar(length=8, default=None)
    amount = BigInt(default=None)


class LedgerSettings(Table, tablename="core_ledger_settings"):
    """A tenant's settlement rates in basis points; no row means the defaults."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    platform_fee_bp = Integer(default=500)
    staff_commission_bp = Integer(default=6000)
    # The worker's commission on the price before ('list') or after ('paid') discounts (ledger_0004).
    commission_base = Varchar(length=16, default="paid")
    updated_at = Timestamptz()


TABLES: list[type[Table]] = [LedgerAccount, LedgerTransaction, LedgerEntry, LedgerSettings]
