"""staff_pay's Structs: the pay settings, statements with their lines, adjustments, bank details.
Amounts are integer minor units in the statement's currency, on the worker's side (what raises
their earnings is positive)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import Id, Line, Name

Period = Literal["weekly", "monthly"]
PayMode = Literal["statement", "on_demand"]
StatementState = Literal["draft", "confirmed", "paying", "paid"]
PayMethod = Literal["transfer", "bank"]
LineKind = Literal["order", "bonus", "deduction", "payout", "other"]
AdjustmentKind = Literal["bonus", "deduction"]
AdjustmentState = Literal["proposed", "approved", "rejected"]
# An adjustment is at most ¥100,000 (in minor units): a typo of three zeros is refused.
MAX_ADJUSTMENT = 10_000_000


class PaySettings(msgspec.Struct, frozen=True, kw_only=True):
    period: Period = "weekly"
    week_start: Annotated[int, msgspec.Meta(ge=0, le=6)] = 0  # Monday
    # Statements are drawn up this many days after the first day of the next period (0: that day).
    draw_after_days: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0
    pay_mode: PayMode = "statement"


class PayPeriod(msgspec.Struct, frozen=True, kw_only=True):
    """A period on the franchise's calendar and the instants it spans (`ends_at` excluded)."""

    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    kind: LineKind
    occurred_at: datetime
    ledger_kind: str
    order_id: int | None = None
    order_number: str = ""
    item_title: str = ""
    customer_paid: int = 0
    amount: int
    note: str = ""


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    staff_id: int
    staff_name: str = ""
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime
    currency: str
    opening: int
    orders_count: int
    customers_paid: int
    commission: int
    bonuses: int
    deductions: int  # positive: what was taken off
    other: int
    payouts: int  # negative: what left the earnings to be paid out
    closing: int
    # Earned in the period: commission + bonuses - deductions + other. What is paid when positive.
    net: int
    state: StatementState
    drawn_at: datetime
    confirmed_at: datetime | None = None
    confirmed_by: int | None = None
    paid_at: datetime | None = None
    paid_by: int | None = None
    pay_method: PayMethod | None = None
    pay_reference: str = ""
    lines: list[StatementLine] = []

    @property
    def to_pay(self) -> int:
        return max(self.net, 0)


class DrawResult(msgspec.Struct, frozen=True, kw_only=True):
    period: PayPeriod
    created: int = 0
    redrawn: int = 0
    kept: int = 0  # confirmed or paid: not changed


class Adjustment(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    staff_id: int
    staff_name: str = ""
    kind: AdjustmentKind
    amount: int
    currency: str
    reason: str
    order_id: int | None
    order_number: str = ""
    state: AdjustmentState
    proposed_by: int | None
    source: str
    decided_by: int | None
    decided_at: datetime | None
    created_at: datetime


class AdjustmentCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the office (or a plugin, with `source` and `source_ref`) proposes."""

    staff_id: Id
    kind: AdjustmentKind
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_ADJUSTMENT)]
    reason: Line
    order_number: Annotated[str, msgspec.Meta(max_length=40)] = ""


class BankAccount(msgspec.Struct, frozen=True, kw_only=True):
    """A worker's bank details as the pages show them: the holder and number masked."""

    staff_id: int
    holder: str
    bank: str
    account_masked: str


class BankAccountUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    holder: Name
    bank: Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00]*$")]
    account_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9 ]{8,40}$")]
