"""Real-name verification at the boundaries: what the customer sends and sees, what the console
lists and reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

IdTypeField = Literal["resident_id", "hk_id", "passport"]
State = Literal["none", "pending", "approved", "rejected", "revoked"]
Side = Literal["front", "back", "selfie"]
SIDES: tuple[Side, ...] = ("front", "back", "selfie")
# No NUL and no other control character in what a person types.
PLAIN = r"^[^\x00-\x1f\x7f]*$"
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=PLAIN)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=PLAIN)]


class RealnameCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A submission's text; the photos come beside it (multipart `front`, `back`, `selfie`)."""

    full_name: FullName
    id_type: IdTypeField
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=PLAIN)]
    nationality: Annotated[str, msgspec.Meta(max_length=2, pattern=r"^[A-Za-z]{0,2}$")] = ""


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's own view: never the full number."""

    state: State
    id_types: list[IdTypeField]
    full_name: str = ""
    id_type: IdTypeField | None = None
    id_number_masked: str = ""
    reason: str = ""
    submitted_at: datetime | None = None
    verified_at: datetime | None = None


class ReviewDecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: Reason


class Submission(msgspec.Struct, frozen=True, kw_only=True):
    """A submission as the console lists and reviews it."""

    id: int
    customer_id: int
    full_name: str
    id_type: IdTypeField
    nationality: str
    id_number_masked: str
    state: Literal["pending", "approved", "rejected", "revoked"]
    reason: str
    submitted_at: datetime
    reviewed_at: datetime | None
    reviewer_id: int | None


class Access(msgspec.Struct, frozen=True, kw_only=True):
    actor_name: str
    action: Literal["front", "back", "selfie", "reveal"]
    at: datetime
