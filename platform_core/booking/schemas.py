"""What booking shows that no single domain below it holds."""

from __future__ import annotations

import msgspec

from platform_core.reviews.schemas import RatingBreakdown, Review
from platform_core.staff.schemas import WorkerCard


class WorkerPage(msgspec.Struct, frozen=True, kw_only=True):
    """A worker's public profile: the card and bio from staff, ratings and reviews from reviews."""

    worker: WorkerCard
    bio: str
    ratings: RatingBreakdown
    reviews: list[Review]
