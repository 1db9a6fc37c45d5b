"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class LedgerAccount(Table, tablename="core_ledger_account"):
    """One account per (code, currency); it stores no balance, its balance is the sum of its entries."""

    class Kind(str, Enum):
        asset = "asset"
        liability = "liability"
        revenue = "revenue"
        expense = "expense"

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    code = Varchar(length=120)
    currency = Varchar(length=8)
    kind = Varchar(length=16, choices=Kind)
    allow_negative = Boolean()
    created_at = Timestamptz()


class LedgerTransaction(Table, tablename="core_ledger_transaction"):
    """A balanced set of entries posted at once; never updated or deleted."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    idempotency_key = Varchar(length=200)
    kind = Varchar(length=32)
    order_id = BigInt(null=True, default=None)
    memo = Varchar(length=500, default="")
    created_at = Timestamptz()


class LedgerEntry(Table, tablename="core_ledger_entry"):
    """One leg of a transaction: debits positive, credits negative, in minor units."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    transaction_id = BigInt()
    account_id = BigInt()
    currency = Varchar(length=8)
    amount = BigInt()


class LedgerSettings(Table, tablename="core_ledger_settings"):
    """A tenant's settlement rates in basis points; no row means the defaults."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    platform_fee_bp = Integer(default=500)
    staff_commission_bp = Integer(default=6000)
    updated_at = Timestamptz()


TABLES: list[type[Table]] = [LedgerAccount, LedgerTransaction, LedgerEntry, LedgerSettings]
