"""The assessment's Structs: the franchise's formula and rules, a scorecard with its parts, the
rewards and penalties the rules give, appeals, the watch list and coaching notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import Id, text

PartName = Literal["quality", "attitude", "skill", "complaints", "on_time", "no_shows", "declines", "jobs", "repeat"]
PART_NAMES: tuple[PartName, ...] = ("quality", "attitude", "skill", "complaints", "on_time", "no_shows", "declines", "jobs", "repeat")
DEFAULT_WEIGHTS: dict[str, int] = {
    "quality": 15, "attitude": 15, "skill": 10, "complaints": 20, "on_time": 15, "no_shows": 10, "declines": 5, "jobs": 5, "repeat": 5,
}
Rule = Literal["top_decile", "complaint", "low_rating"]
AppealState = Literal["open", "upheld", "rejected"]
Weight = Annotated[int, msgspec.Meta(ge=0, le=100)]
Yuan = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]  # minor units, up to ¥100,000
MAX_AMOUNT = 10_000_000


class AssessmentSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The franchise's formula: a weight per part (their share of the score) and the marks that
    turn a part's value into a score from 0 to 1; the rules' amounts (0: the rule is off); and
    the score under which a worker is suggested for the watch list."""

    weights: dict[PartName, Weight] = msgspec.field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    grace_minutes: Annotated[int, msgspec.Meta(ge=0, le=240)] = 10
    complaints_cap: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    no_shows_cap: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    declines_cap: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    jobs_target: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 40
    repeat_target_pct: Annotated[int, msgspec.Meta(ge=1, le=100)] = 30
    low_rating_stars: Annotated[int, msgspec.Meta(ge=1, le=4)] = 2
    min_jobs: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 5
    watch_below: Annotated[int, msgspec.Meta(ge=0, le=100)] = 60
    top_decile_bonus: Yuan = 0
    complaint_deduction: Yuan = 0
    low_rating_deduction: Yuan = 0


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What the month's data says about one worker (from reviews, support and orders)."""

    reviews: int = 0
    quality_sum: int = 0
    attitude_sum: int = 0
    skill_sum: int = 0
    complaints: int = 0
    completed: int = 0
    arrivals_known: int = 0
    on_time: int = 0
    no_shows: int = 0
    declines: int = 0
    customers: int = 0
    repeat_customers: int = 0


class Part(msgspec.Struct, frozen=True, kw_only=True):
    """One part of a score, "why this score": the value as people read it (an average of stars,
    a count, a share), its normalised score (0..1, None: no data this month, left out and the
    other weights share its place), its weight, what it counts for and what it added to the total."""

    name: PartName
    value: float | None
    basis: int  # how many reviews, visits or jobs the value stands on
    normalised: float | None
    weight: int
    points: float
    # What the part counts for out of 100 this month: its weight scaled with the others that have data.
    share: float = 0.0


class Scorecard(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    staff_id: int
    staff_name: str = ""
    month: date
    score: float | None  # None: nothing to score (no data in any weighted part)
    parts: list[Part]
    completed: int
    rank: int | None
    ranked: int
    computed_at: datetime
    on_watch: bool = False


class Appeal(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    item_id: int
    staff_id: int
    comment: str
    state: AppealState
    decision_note: str
    decided_by: int | None
    decided_by_name: str = ""
    decided_at: datetime | None
    created_at: datetime


class Item(msgspec.Struct, frozen=True, kw_only=True):
    """A reward or penalty from a rule, with its adjustment's state (proposed, approved,
    rejected) and, after an upheld appeal, the reversal's."""

    id: int
    staff_id: int
    staff_name: str = ""
    month: date
    rule: Rule
    ref: str
    kind: Literal["bonus", "deduction"]
    amount: int
    currency: str
    reason: str
    adjustment_id: int
    adjustment_state: str
    reversal_adjustment_id: int | None
    reversal_state: str | None = None
    created_at: datetime
    appeal: Appeal | None = None


class AppealCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    comment: text(1000)  # type: ignore[valid-type]


class AppealDecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    decision: Literal["upheld", "rejected"]
    note: text(1000)  # type: ignore[valid-type]


class Watch(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    staff_id: int
    staff_name: str = ""
    reason: str
    started_by_name: str = ""
    started_at: datetime
    end_reason: str
    ended_at: datetime | None


class WatchChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    staff_id: Id
    reason: text(500)  # type: ignore[valid-type]


class CoachingNote(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    staff_id: int
    staff_name: str = ""
    note: str
    follow_up_on: date | None
    follow_up_outcome: str
    follow_up_done_at: datetime | None
    created_by_name: str = ""
    created_at: datetime


class CoachingNoteCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    staff_id: Id
    note: text(2000)  # type: ignore[valid-type]
    follow_up_on: date | None = None


class FollowUpDone(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    outcome: text(1000)  # type: ignore[valid-type]


class MonthQuality(msgspec.Struct, frozen=True, kw_only=True):
    """A month on the service quality page."""

    month: date
    completed: int
    problem_reports: int
    upheld: int
    low_ratings: int
    # Per 100 completed orders (None: no orders).
    complaint_rate: float | None
    average_score: float | None
