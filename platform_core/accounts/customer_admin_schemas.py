"""What the console's customer management takes and gives (customer_admin.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import Page

from .schemas import CustomerStatus

# Text an office user or a customer types: bounded, no NUL or other control characters (line
# breaks and tabs allowed where several lines make sense).
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=_LINES)]
NoteBody = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=_LINES)]
SearchText = Annotated[str, msgspec.Meta(max_length=100, pattern=_ONE_LINE)]
MoneyText = Annotated[str, msgspec.Meta(max_length=20, pattern=_ONE_LINE)]

# What happens to a customer's open orders when the office freezes or closes the account.
OrderRule = Literal["keep", "unpaid", "not_started"]
LastOrder = Literal["", "before", "after", "never"]
Realname = Literal["", "verified", "unverified"]


class CustomerListQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """The console list's search and filters, as its query string gives them (blank = not used)."""

    q: SearchText = ""  # a name, a phone number or an order number
    registered_from: date | None = None
    registered_to: date | None = None
    last_order: LastOrder = ""
    last_order_on: date | None = None  # with "before" / "after"
    spend_min: MoneyText = ""  # paid in the last 12 months, in the currency's major unit
    spend_max: MoneyText = ""
    status: CustomerStatus | Literal[""] = ""
    channel: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None
    realname: Realname = ""
    page: Page = 1


class CustomerRow(msgspec.Struct, frozen=True, kw_only=True):
    """A line of the console's customer list."""

    id: int
    display_name: str
    phone: str  # masked
    status: CustomerStatus
    created_at: datetime
    last_sign_in_at: datetime | None
    realname_verified: bool
    acquisition_source: str


class CustomerListPage(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[CustomerRow]
    total: int
    page: int
    pages: int


class CustomerProfile(msgspec.Struct, frozen=True, kw_only=True):
    """What the console shows of a customer's account (the phone masked)."""

    id: int
    display_name: str
    phone: str
    has_phone: bool
    email: str
    preferences: dict
    status: CustomerStatus
    created_at: datetime
    last_sign_in_at: datetime | None
    realname_verified_at: datetime | None
    acquisition_source: str
    birthday: date | None
    marketing_messages: bool
    marketing_sms: bool
    closed_at: datetime | None
    anonymised_at: datetime | None


class SignInRecord(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    ip: str
    device: str
    signed_in_at: datetime


class LinkedSignIn(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    display_name: str
    created_at: datetime
    last_used_at: datetime | None


class StatusChange(msgspec.Struct, frozen=True, kw_only=True):
    """A row of the account's state history; `by` is the office user's name, "" for the customer."""

    from_status: CustomerStatus
    to_status: CustomerStatus
    reason: str
    order_rule: str
    by: str
    by_customer: bool
    changed_at: datetime


class Note(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    body: str
    author: str
    created_at: datetime


class PhoneReveal(msgspec.Struct, frozen=True, kw_only=True):
    by: str
    revealed_at: datetime


class StatusForm(msgspec.Struct, frozen=True, kw_only=True):
    """Freeze, unfreeze or close by the office: why, and the state the operator saw (a change
    made meanwhile by someone else is a 409, not a silent overwrite)."""

    reason: Reason
    expected: CustomerStatus
    order_rule: OrderRule = "keep"


class NoteForm(msgspec.Struct, frozen=True, kw_only=True):
    body: NoteBody


class CloseOwnAccount(msgspec.Struct, frozen=True, kw_only=True):
    """The customer closes their account: they type the confirmation phrase; a reason is optional."""

    confirmation: Annotated[str, msgspec.Meta(max_length=100, pattern=_ONE_LINE)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=500, pattern=_LINES)] = ""
