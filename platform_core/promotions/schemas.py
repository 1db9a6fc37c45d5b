"""Promotions at the boundary: coupon templates, issued coupons, discount rules, and what a
checkout shows of them. Money is in minor units of the franchise's currency."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import Code, Id, Ids, PositiveMinor, text

TemplateKind = Literal["amount_off", "percent_off", "free_addon", "item_voucher"]
RuleKind = Literal["first_order", "off_peak", "sale", "district_launch"]
CouponState = Literal["available", "held", "used", "expired", "revoked"]
CouponSource = Literal["manual", "code", "batch", "plugin", "campaign"]
Funder = Literal["franchise", "platform"]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7)]  # ISO: Monday 1 ... Sunday 7
CategoryCodes = Annotated[list[Code], msgspec.Meta(max_length=100)]
ValidDays = Annotated[int, msgspec.Meta(ge=1, le=3660)]
PerCustomer = Annotated[int, msgspec.Meta(ge=1, le=1000)]
TotalLimit = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
BatchSize = Annotated[int, msgspec.Meta(ge=1, le=10_000)]
Reason = text(300)
TemplateName = text(80, min_length=1)
CouponCode = text(32, min_length=1)
IdempotencyKey = text(150, min_length=1)


class CouponTemplateFields(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the console sets on a template. Validity: fixed dates in the franchise's time zone
    (`valid_from`, `valid_until`, both days included) or `valid_days` after each issue."""

    name: TemplateName  # type: ignore[valid-type]
    kind: TemplateKind
    description: text(500) = ""  # type: ignore[valid-type]
    amount_off: PositiveMinor = 0  # amount_off
    percent_off: Percent = 0  # percent_off
    max_discount: PositiveMinor = 0  # percent_off's cap; 0: none
    min_spend: PositiveMinor = 0
    addon_id: Id | None = None  # free_addon
    voucher_item_id: Id | None = None  # item_voucher
    voucher_price: PositiveMinor = 0  # item_voucher: 0 is free
    first_order_only: bool = False
    category_codes: CategoryCodes = []
    item_ids: Ids = []
    valid_from: date | None = None
    valid_until: date | None = None
    valid_days: ValidDays | None = None
    per_customer_limit: PerCustomer = 1
    total_limit: TotalLimit | None = None
    stacks_with_rules: bool = True
    return_on_cancel: bool = True
    funded_by: Funder = "franchise"
    public_code: text(32) | None = None  # type: ignore[valid-type]


class CouponTemplate(CouponTemplateFields, frozen=True, kw_only=True):
    id: int
    issued_count: int
    status: Literal["active", "archived"]
    created_at: datetime


class Coupon(msgspec.Struct, frozen=True, kw_only=True):
    """An issued coupon with its template's terms."""

    id: int
    template: CouponTemplate
    customer_id: int
    state: CouponState
    valid_from: datetime
    valid_until: datetime | None
    source: CouponSource
    source_ref: str
    reason: str
    order_id: int | None
    created_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str = ""


class Applicability(msgspec.Struct, frozen=True, kw_only=True):
    """One of the customer's coupons at a checkout: the discount it gives this booking, or why
    it does not apply (translated)."""

    coupon: Coupon
    applies: bool
    discount: int  # minor units, positive; 0 when it does not apply
    reason: str = ""


class CheckoutCoupons(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's available coupons for a booking, best first; `best` is preselected."""

    coupons: list[Applicability]
    best: int | None


class IssuedCode(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    batch: str
    redeemed: bool


class CodeBatch(msgspec.Struct, frozen=True, kw_only=True):
    batch: str
    codes: int
    redeemed: int
    created_at: datetime


class RedeemRequest(msgspec.Struct, frozen=True, kw_only=True):
    code: CouponCode  # type: ignore[valid-type]


class ManualIssue(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    customer_id: Id
    reason: text(300, min_length=1)  # type: ignore[valid-type]


class RevokeRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: text(300, min_length=1)  # type: ignore[valid-type]


class RuleFields(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An automatic discount. `name` is its price line ("Off-peak −10%"). Off-peak: the visit's
    local weekday in `weekdays` and its local start in [time_from, time_until). Sale: the
    categories or items, between `starts_on` and `ends_on` (local days, included). District
    launch: the address's district."""

    name: TemplateName  # type: ignore[valid-type]
    kind: RuleKind
    percent_off: Percent = 0
    amount_off: PositiveMinor = 0
    max_discount: PositiveMinor = 0
    category_codes: CategoryCodes = []
    item_ids: Ids = []
    weekdays: Annotated[list[Weekday], msgspec.Meta(max_length=7)] = []
    time_from: time | None = None
    time_until: time | None = None
    district: text(100) = ""  # type: ignore[valid-type]
    starts_on: date | None = None
    ends_on: date | None = None
    funded_by: Funder = "franchise"
    active: bool = True


class Rule(RuleFields, frozen=True, kw_only=True):
    id: int



class CouponUse(msgspec.Struct, frozen=True, kw_only=True):
    """A used coupon: the order it went to and when (a campaign's results)."""

    coupon_id: int
    order_id: int
    used_at: datetime
