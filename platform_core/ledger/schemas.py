"""The ledger's Structs. Amounts are signed integer minor units: debits positive, credits negative."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from platform_core.bounds import Count

Currency = Literal["CNY", "HKD", "POINTS"]
AccountKind = Literal["asset", "liability", "revenue", "expense"]
TransactionKind = Literal[
    "payment", "refund", "wallet_topup", "wallet_spend", "settlement", "points_award", "points_spend", "adjustment",
    "reward", "reward_reversal", "staff_bonus", "staff_deduction", "payout_hold", "payout_paid", "payout_released",
]


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One leg to post: `account` is a code from the chart of accounts (see CHART in services)."""

    account: str
    currency: Currency
    amount: int


class Account(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    currency: str
    kind: AccountKind
    allow_negative: bool

    @property
    def normal_sign(self) -> int:
        """+1 for debit-normal accounts (assets, expenses), -1 for credit-normal ones, so that a
        wallet holding 100 fen shows 100, not -100."""
        return 1 if self.kind in ("asset", "expense") else -1


class PostedEntry(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    account: str
    currency: str
    amount: int


class Transaction(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    idempotency_key: str
    kind: str
    order_id: int | None
    memo: str
    created_at: datetime
    entries: list[PostedEntry]


class AccountBalance(msgspec.Struct, frozen=True, kw_only=True):
    account: Account
    balance: int  # on the account's normal side


class Movement(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of an account as its holder reads it: what moved it and by how much."""

    kind: str  # the transaction's kind: payment, refund, wallet_topup, wallet_spend, settlement ...
    amount: int  # on the account's normal side: into a wallet or a worker's earnings is positive
    order_id: int | None
    order_number: str | None
    created_at: datetime


CommissionBase = Literal["list", "paid"]


class LedgerSettings(msgspec.Struct, frozen=True, kw_only=True):
    platform_fee_bp: int = 500  # 5% of an order's total goes to the platform
    staff_commission_bp: int = 6000  # 60% to the worker
    # The worker's commission on the price before discounts ('list') or on what the customer
    # paid ('paid').
    commission_base: CommissionBase = "paid"


class LedgerSettingsUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    platform_fee_bp: Count | msgspec.UnsetType = msgspec.UNSET
    staff_commission_bp: Count | msgspec.UnsetType = msgspec.UNSET
    commission_base: CommissionBase | msgspec.UnsetType = msgspec.UNSET


class EarningsEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a holder's earnings account, for statements: what moved it, when, and by how
    much on the holder's side (a commission is positive, a payout held negative)."""

    holder_id: int
    transaction_id: int
    key: str
    kind: str
    amount: int
    order_id: int | None
    memo: str
    created_at: datetime
