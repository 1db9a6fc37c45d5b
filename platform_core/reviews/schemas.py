from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Score = Annotated[int, msgspec.Meta(ge=1, le=5)]
# Photos are uploaded first (POST /api/v1/uploads); a review lists the URLs it got back.
PhotoUrl = Annotated[str, msgspec.Meta(max_length=100, pattern=r"^/media/[0-9a-f]{32}\.(jpg|png|webp)$")]


class ReviewCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    quality: Score
    attitude: Score
    skill: Score
    text: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    photos: Annotated[list[PhotoUrl], msgspec.Meta(max_length=9)] = []


class Review(msgspec.Struct, frozen=True, kw_only=True):
    """A review as the public sees it: no hiding details, the author's name shortened."""

    id: int
    order_id: int
    staff_id: int | None
    item_id: int
    quality: int
    attitude: int
    skill: int
    score: float  # the mean of the three, what a worker's rating averages
    text: str
    photos: list[str]
    author: str
    reply: str
    replied_at: datetime | None
    created_at: datetime


class ConsoleReview(msgspec.Struct, frozen=True, kw_only=True):
    """A review with what only the franchise sees: who wrote it, and whether and why it is hidden."""

    review: Review
    order_number: str
    customer_id: int
    staff_name: str
    item_title: str
    hidden: bool
    hidden_reason: str
    hidden_at: datetime | None


class ReviewReply(msgspec.Struct, frozen=True, kw_only=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ReviewHide(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RatingBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    """Visible reviews only. `stars` counts reviews by their rounded score, 5 down to 1."""

    count: int
    average: float
    quality: float
    attitude: float
    skill: float
    stars: dict[int, int]


class WorkerReviews(msgspec.Struct, frozen=True, kw_only=True):
    rating: RatingBreakdown
    reviews: list[Review]


ReviewFilter = Literal["all", "visible", "hidden", "low"]
# A review whose three scores average 3 stars or less: the dashboard's "low ratings".
LOW_RATING_SUM = 9


class RatingSums(msgspec.Struct, frozen=True, kw_only=True):
    """One worker's visible reviews written in a span, summed per part (assessment's scorecard)."""

    staff_id: int
    count: int
    quality: int
    attitude: int
    skill: int
    # Reviews whose three parts average `low_at` stars or less.
    low: int


class LowReview(msgspec.Struct, frozen=True, kw_only=True):
    """A visible review at or below the low mark, with its reason (the customer's words)."""

    id: int
    staff_id: int | None
    order_id: int
    quality: int
    attitude: int
    skill: int
    text: str
    created_at: datetime
