"""The payments domain's Structs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import Code
from platform_core.pluginsys.contexts import BadgeTone
from platform_core.web.i18n import lazy_gettext as N_

from .provider import CheckoutAction

WALLET = "wallet"  # paying from the customer's balance: a payment without a provider plugin
CASH = "cash"  # paid outside Hearth and marked paid in the console (after the service, usually)


class StatusLabel(msgspec.Struct, frozen=True):
    """How a payment's or a refund's status reads (an English msgid) and its badge tone."""

    label: str
    tone: BadgeTone | None = None


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    payment_no: str
    provider: str
    method: str
    device: str
    purpose: Literal["order", "wallet_topup"]
    order_id: int | None
    customer_id: int
    amount: int
    currency: str
    status: Literal["pending", "succeeded", "failed", "closed"]
    provider_ref: str
    action: CheckoutAction | None
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    closed_at: datetime | None
    refunded: int = 0  # refunds that succeeded
    refunding: int = 0  # refunds still waiting for the provider

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded - self.refunding if self.status == "succeeded" else 0


# Each status as every page shows it (the console's lists, filters and badges).
PAYMENT_STATUSES = {
    "pending": StatusLabel(N_("Awaiting payment"), "warning"),
    "succeeded": StatusLabel(N_("Paid"), "success"),
    "failed": StatusLabel(N_("Failed"), "danger"),
    "closed": StatusLabel(N_("Closed")),
}


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    payment_id: int
    refund_no: str
    amount: int
    reason: str
    status: Literal["pending", "succeeded", "failed"]
    provider_ref: str
    message: str
    requested_by: str
    created_at: datetime
    finished_at: datetime | None


# Each status as every page shows it (the customer's order, the console's payment pages).
REFUND_STATUSES = {
    "pending": StatusLabel(N_("Refund under way"), "warning"),
    "succeeded": StatusLabel(N_("Refunded"), "success"),
    "failed": StatusLabel(N_("Refund failed"), "danger"),
}


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    """A notification that changed nothing because it was not genuine or did not match."""

    id: int
    provider: str
    reason: str  # signature, malformed, stale, merchant, unknown_payment, amount, currency, unknown_provider
    detail: str
    payment_no: str | None
    remote_addr: str
    received_at: datetime


class CheckoutOption(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    label: str
    icon: str


class PaymentStart(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    provider: Code
    openid: Code | None = None


MIN_TOPUP, MAX_TOPUP = 100, 10_000_000  # minor units: 1.00 to 100,000.00


class TopupStart(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    provider: Code
    amount: Annotated[int, msgspec.Meta(ge=MIN_TOPUP, le=MAX_TOPUP)]  # minor units
    openid: Code | None = None


class RefundCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1)]  # minor units
    reason: Annotated[str, msgspec.Meta(max_length=300)] = ""


class PaymentFilter(msgspec.Struct, frozen=True, kw_only=True):
    status: str | None = None
    provider: str | None = None
    day_from: date | None = None
    day_to: date | None = None
    q: str | None = None  # a payment number or an order number
    page: int = 1


class PaymentRow(msgspec.Struct, frozen=True, kw_only=True):
    """A line of the console's payments list."""

    payment: Payment
    order_number: str | None


class DailyTotal(msgspec.Struct, frozen=True, kw_only=True):
    day: date  # in the tenant's time zone
    provider: str
    currency: str
    count: int
    amount: int  # collected
    refunded: int  # refunds that succeeded that day
