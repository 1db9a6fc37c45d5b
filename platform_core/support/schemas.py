from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import text

FeedbackKind = Literal["problem", "suggestion"]
FeedbackStatus = Literal["open", "answered", "closed"]


class FeedbackCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: FeedbackKind
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    # About one of the customer's orders, or about nothing in particular.
    order_number: Annotated[str, msgspec.Meta(max_length=24)] | None = None


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: FeedbackKind
    subject: str
    body: str
    order_number: str | None
    status: FeedbackStatus
    answer: str
    answered_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


ComplaintVerdict = Literal["upheld", "not_upheld"]


class ComplaintOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What the office decided about a problem report tied to an order: upheld against the
    order's worker (it counts on their scorecard) or not, why, by whom and when."""

    outcome: ComplaintVerdict
    staff_id: int | None
    staff_name: str = ""
    reason: str
    decided_by: int
    decided_by_name: str = ""
    decided_at: datetime


class ComplaintDecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    outcome: ComplaintVerdict
    reason: text(500)  # type: ignore[valid-type]


class UpheldComplaint(msgspec.Struct, frozen=True, kw_only=True):
    """An upheld complaint as assessment reads it."""

    feedback_id: int
    staff_id: int
    order_id: int
    subject: str
    reason: str
    decided_at: datetime


class ConsoleFeedback(msgspec.Struct, frozen=True, kw_only=True):
    """Feedback with who sent it, for the console inbox."""

    feedback: Feedback
    customer_id: int
    customer_name: str
    # The console user it was routed to (a member's dedicated agent: select_feedback_assignee).
    assigned_to: int | None = None
    assignee_name: str = ""
    outcome: ComplaintOutcome | None = None
    # The worker an upheld complaint would count against: the order's worker (None: no order or no worker).
    order_staff_id: int | None = None
    order_staff_name: str = ""


class FeedbackAnswer(msgspec.Struct, frozen=True, kw_only=True):
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    close: bool = False
