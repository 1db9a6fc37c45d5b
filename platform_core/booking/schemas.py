"""What booking shows that no single domain below it holds."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from platform_core.orders.schemas import Quote
from platform_core.promotions.schemas import Applicability
from platform_core.reviews.schemas import RatingBreakdown, Review
from platform_core.scheduling.schemas import Slot
from platform_core.staff.schemas import WorkerCard


class WorkerPage(msgspec.Struct, frozen=True, kw_only=True):
    """A worker's public profile: the card and bio from staff, ratings and reviews from reviews."""

    worker: WorkerCard
    bio: str
    ratings: RatingBreakdown
    reviews: list[Review]


class OtherTimes(msgspec.Struct, frozen=True, kw_only=True):
    """When nobody was found for an order: the days it may move to (those dispatch can still
    arrange) and the free times of one of them."""

    days: list[date]
    day: date | None
    timezone: str
    slots: list[Slot]


class RescheduleRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One of the `slots` of OtherTimes."""

    slot_start: datetime


class CheckoutQuote(Quote, frozen=True, kw_only=True):
    """A quote with the signed-in customer's coupons for this booking: each with the discount it
    would give or why it does not apply, those that apply first; `best_coupon_id` is the one a
    checkout preselects (the largest discount), or None."""

    coupons: list[Applicability] = []
    best_coupon_id: int | None = None
