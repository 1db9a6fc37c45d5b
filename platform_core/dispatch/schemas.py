"""Dispatch at the boundary: the tenant's settings, assignments, and candidates with their scores."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

Mode = Literal["auto", "manual", "customer_pick"]
AssignmentStatus = Literal["offered", "accepted", "declined", "expired", "released", "completed"]
Source = Literal["auto", "batch", "manual", "customer", "grab"]

AcceptTimeout = Annotated[int, msgspec.Meta(ge=30, le=86400)]
TravelSpeed = Annotated[int, msgspec.Meta(ge=1, le=120)]
DeadlineHours = Annotated[int, msgspec.Meta(ge=1, le=168)]
AlertHours = Annotated[int, msgspec.Meta(ge=0, le=168)]
Weight = Annotated[float, msgspec.Meta(ge=0, le=100)]

DEFAULT_WEIGHTS: dict[str, float] = {"distance": 0.35, "rating": 0.25, "workload": 0.2, "skills": 0.2}


class DispatchSettings(msgspec.Struct, frozen=True, kw_only=True):
    mode: Mode = "auto"
    grab_pool: bool = False
    accept_timeout_s: int = 600
    # Weight per score name: the core's (distance, rating, workload, skills) and plugins' names.
    weights: dict[str, float] = msgspec.field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    travel_speed_kmh: int = 25
    # A scheduled order is offered until this many hours before its visit; then the customer
    # picks another time or a full refund. The office is alerted `office_alert_hours` earlier.
    arrange_deadline_hours: int = 12
    office_alert_hours: int = 6


class DispatchSettingsUpdate(msgspec.Struct, frozen=True, kw_only=True):
    mode: Mode | UnsetType = UNSET
    grab_pool: bool | UnsetType = UNSET
    accept_timeout_s: AcceptTimeout | UnsetType = UNSET
    weights: dict[str, Weight] | UnsetType = UNSET
    travel_speed_kmh: TravelSpeed | UnsetType = UNSET
    arrange_deadline_hours: DeadlineHours | UnsetType = UNSET
    office_alert_hours: AlertHours | UnsetType = UNSET


class ScorePart(msgspec.Struct, frozen=True, kw_only=True):
    """One line of "why this worker": the raw score (0..1), its weight and what it added."""

    name: str
    raw: float
    weight: float
    contribution: float
    source: str = "core"  # or the plugin that contributed it
    detail: str = ""
    label: str = ""  # a plugin's own name for its score (DispatchScore.label), shown instead of `name`


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    staff_id: int
    name: str
    score: float
    parts: list[ScorePart]
    distance_m: int | None = None
    # The order's batch priority, the highest a plugin's score gave (DispatchScore.priority).
    priority: int = 0

    def breakdown(self) -> dict:
        """What core_assignment.score_breakdown keeps."""
        return {"total": round(self.score, 6), "distance_m": self.distance_m, "parts": msgspec.to_builtins(self.parts)}


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    order_id: int
    staff_id: int
    starts: datetime
    ends: datetime
    status: AssignmentStatus
    source: Source
    score: float | None
    score_breakdown: dict
    offered_at: datetime
    expires_at: datetime | None
    responded_at: datetime | None


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """An offer or an accepted job as the worker sees it: when, where (the district until they
    accept, then the address), what and for how much."""

    id: int  # the assignment's id
    status: AssignmentStatus
    order_number: str
    order_state: str
    item_title: str
    district: str
    starts: datetime
    ends: datetime
    total: int
    currency: str
    expires_at: datetime | None
    requirements: str = ""
    address: str = ""


class Decline(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class OfferFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What a worker weighs before accepting: their pay for the job (their commission of the
    order's total, as settlement will credit it) and how far it is from their home base."""

    pay: int  # minor units, the order's currency
    commission_bp: int
    distance_m: int | None  # None when the worker or the order has no coordinates
