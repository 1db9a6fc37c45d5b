"""Payouts' Structs: the franchise's rules, a person's payout account, a payout, and what the
customer's "my earnings" reads. Labels and tones of the states live here, beside the data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from platform_core.bounds import Code, Line, Name, PositiveMinor
from platform_core.web.i18n import lazy_gettext as N_

Holder = Literal["customer", "staff"]
DestinationKind = Literal["wechat_openid", "alipay_login"]
State = Literal["requested", "approved", "sending", "paid", "failed", "rejected"]
Source = Literal["withdrawal", "statement"]
ActorKind = Literal["customer", "staff", "console"]

STATE_LABELS = {
    "requested": N_("Under review"), "approved": N_("Approved"), "sending": N_("Being paid"), "paid": N_("Paid"),
    "failed": N_("Failed, money returned"), "rejected": N_("Rejected, money returned"),
}
STATE_TONES = {"requested": "warning", "approved": "info", "sending": "info", "paid": "success", "failed": "danger", "rejected": "danger"}
DESTINATION_LABELS = {"wechat_openid": N_("WeChat balance"), "alipay_login": N_("Alipay")}
FLAG_LABELS = {"new_account": N_("Payout account changed in the last 24 hours"), "large": N_("Over the review threshold")}
MOVEMENT_LABELS = {
    "reward": N_("Red packet"), "reward_reversal": N_("Red packet taken back"), "staff_bonus": N_("Bonus"),
    "staff_deduction": N_("Deduction"), "payout_hold": N_("Withdrawal"), "payout_released": N_("Withdrawal returned"),
    "settlement": N_("Order earnings"),
}


class PayoutSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The franchise's withdrawal rules, in minor units of its currency."""

    min_amount: int = 100
    max_amount: int = 500000
    daily_count: int = 3  # withdrawals per person per day of the franchise
    daily_amount: int = 1000000
    fee_bp: int = 0  # the fee in basis points of the amount; 0 with fee_min 0: free
    fee_min: int = 0
    review_threshold: int = 200000  # a payout from this amount up is flagged in the queue
    staff_on_demand: bool = True  # whether workers may withdraw their earnings themselves


class WithdrawalRules(msgspec.Struct, frozen=True, kw_only=True):
    """What a person may know of the rules before asking: the limits and the fee. The review
    threshold stays with the office, or anyone could keep just under it."""

    min_amount: int
    max_amount: int
    daily_count: int
    daily_amount: int
    fee_bp: int
    fee_min: int

    @classmethod
    def of(cls, settings: PayoutSettings) -> WithdrawalRules:
        return cls(min_amount=settings.min_amount, max_amount=settings.max_amount, daily_count=settings.daily_count,
                   daily_amount=settings.daily_amount, fee_bp=settings.fee_bp, fee_min=settings.fee_min)


class PayoutSettingsUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    min_amount: PositiveMinor | UnsetType = UNSET
    max_amount: PositiveMinor | UnsetType = UNSET
    daily_count: Annotated[int, Meta(ge=1, le=100)] | UnsetType = UNSET
    daily_amount: PositiveMinor | UnsetType = UNSET
    fee_bp: Annotated[int, Meta(ge=0, le=5000)] | UnsetType = UNSET
    fee_min: PositiveMinor | UnsetType = UNSET
    review_threshold: PositiveMinor | UnsetType = UNSET
    staff_on_demand: bool | UnsetType = UNSET


class PayoutAccount(msgspec.Struct, frozen=True, kw_only=True):
    """A person's payout account as they and the office see it: the number masked."""

    holder: Holder
    holder_id: int
    kind: DestinationKind
    account_masked: str
    real_name: str
    changed_by_kind: ActorKind
    changed_by_id: int
    changed_at: datetime


class PayoutAccountBind(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Bind or change the payout account. WeChat takes the openid of the customer's WeChat
    sign-in; Alipay takes the logon id (a phone number or an email) and the real name.
    ``code``: a code from the authenticator app when two-step verification asks for one."""

    kind: DestinationKind
    account: Line = ""
    real_name: Name = ""
    code: Code = ""


class WithdrawalCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: Annotated[int, Meta(ge=1, le=10**12)]  # minor units, what leaves the earnings (the fee included)
    code: Code = ""


class FeeQuote(msgspec.Struct, frozen=True, kw_only=True):
    amount: int
    fee: int
    receives: int  # amount - fee: what arrives in the account
    currency: str


class Payout(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    payout_no: str
    holder: Holder
    holder_id: int
    amount: int
    fee: int
    currency: str
    destination_kind: DestinationKind
    destination_masked: str
    real_name: str
    state: State
    source: Source
    source_ref: str
    reason: str  # why it was rejected or failed, shown to the person
    requested_by_kind: ActorKind
    requested_by_id: int
    decided_by: int | None
    decided_at: datetime | None
    destination_changed_by_kind: ActorKind
    destination_changed_by_id: int
    destination_changed_at: datetime
    flag: str
    provider: str
    provider_ref: str
    provider_message: str
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    # Waiting for the person to confirm receipt in the provider's app: what its call takes.
    confirm: dict[str, str] = {}

    @property
    def receives(self) -> int:
        return self.amount - self.fee


class MyPayout(msgspec.Struct, frozen=True, kw_only=True):
    """A withdrawal as its person reads it (the API's answer)."""

    payout_no: str
    amount: int
    fee: int
    receives: int
    currency: str
    destination_kind: DestinationKind
    destination_masked: str
    state: State
    reason: str
    created_at: datetime
    finished_at: datetime | None
    # Non-empty while the transfer waits for the person to confirm receipt in WeChat: the
    # mini-program passes these to wx.requestMerchantTransfer.
    confirm: dict[str, str] = {}


class EarningsMovement(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    amount: int
    created_at: datetime


class EarningsPanelData(msgspec.Struct, frozen=True, kw_only=True):
    """A panel beside the balance as the API sends it: its texts translated."""

    key: str
    title: str
    value: str
    note: str
    href: str | None


class Earnings(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's "my earnings" (GET /api/v1/me/earnings)."""

    balance: int
    currency: str
    held: int  # in withdrawals not yet paid
    account: PayoutAccount | None
    can_withdraw: bool
    settings: WithdrawalRules
    movements: list[EarningsMovement]
    panels: list[EarningsPanelData]


class PayoutFilter(msgspec.Struct, frozen=True, kw_only=True):
    state: State | None = None
    holder: Holder | None = None
    page: int = 1


class PayoutTotal(msgspec.Struct, frozen=True, kw_only=True):
    state: State
    provider: str
    count: int
    amount: int
    fee: int
