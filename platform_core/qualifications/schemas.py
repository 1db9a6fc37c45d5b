"""What qualifications takes from forms and gives to pages: bounded input Structs (each text
bounded as its column, free of NUL) and the records pages and other domains read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import NO_NUL, Code, Codes, Id

Short = Annotated[str, msgspec.Meta(max_length=40, pattern=NO_NUL)]
Issuer = Annotated[str, msgspec.Meta(max_length=100, pattern=NO_NUL)]
Reason = Annotated[str, msgspec.Meta(max_length=500, pattern=NO_NUL)]
Bio = Annotated[str, msgspec.Meta(max_length=1000, pattern=NO_NUL)]
Note = Annotated[str, msgspec.Meta(max_length=2000, pattern=NO_NUL)]
KindName = Annotated[str, msgspec.Meta(max_length=80, pattern=NO_NUL)]
Districts = Annotated[list[Short], msgspec.Meta(max_length=20)]

ApplicationState = Literal["submitted", "more_needed", "approved", "rejected"]
CredentialState = Literal["pending", "approved", "rejected", "revoked", "superseded"]
BackgroundCheck = Literal["not_started", "clear", "concern"]


class KindCreate(msgspec.Struct, frozen=True, kw_only=True):
    code: Code
    name: KindName
    expires: bool = False


class ApplicationCreate(msgspec.Struct, frozen=True, kw_only=True):
    """A candidate's details on /join (the phone comes from the verified code, not the form)."""

    name: Short
    gender: Literal["", "female", "male"] = ""
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2200)] | None = None
    skills: Codes = []
    categories: Codes = []
    years_experience: Annotated[int, msgspec.Meta(ge=0, le=60)] = 0
    districts: Districts = []
    home_lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    home_lng: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    service_radius_km: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    bio: Bio = ""
    id_number: Short


class DocumentCreate(msgspec.Struct, frozen=True, kw_only=True):
    """One certificate (or the ID card): the photo comes as a file beside it."""

    kind: Code
    number: Short
    issuer: Issuer = ""
    issued_on: date | None = None
    expires_on: date | None = None


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The office's words to the person a decision concerns: why a document or an application was
    rejected or a credential revoked (the services ask for them where they must be given)."""

    reason: Reason = ""


class ReviewNotes(msgspec.Struct, frozen=True, kw_only=True):
    background_check: BackgroundCheck = "not_started"
    background_note: Annotated[str, msgspec.Meta(max_length=1000, pattern=NO_NUL)] = ""
    interview_note: Note = ""


class MoreRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What the office asks a candidate to add."""

    what: Reason = ""


class RuleCreate(msgspec.Struct, frozen=True, kw_only=True):
    category: Code
    item_id: Id | None = None
    kind: Code


class Document(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    number_masked: str
    issuer: str
    issued_on: date | None
    expires_on: date | None
    state: CredentialState
    reason: str
    has_photo: bool
    application_id: int | None
    staff_id: int | None
    renews_id: int | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    created_at: datetime


class Application(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    phone_masked: str
    gender: str
    birth_year: int | None
    skills: list[str]
    categories: list[str]
    years_experience: int
    districts: list[str]
    home_lat: float | None
    home_lng: float | None
    service_radius_km: int
    bio: str
    id_number_masked: str
    state: ApplicationState
    more_request: str
    background_check: BackgroundCheck
    background_note: str
    interview_note: str
    decision_reason: str
    decided_by: int | None
    decided_at: datetime | None
    staff_id: int | None
    submitted_at: datetime
    updated_at: datetime


class ApplicationEvent(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    note: str
    actor_id: int | None
    credential_id: int | None
    at: datetime


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    category: str
    item_id: int | None
    kind: str


class Needs(msgspec.Struct, frozen=True, kw_only=True):
    """What a piece of work needs, joined from the franchise's rules and every
    compute_order_requirements answer: kind codes, course codes, and the reasons given."""

    credentials: frozenset[str] = frozenset()
    courses: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.credentials and not self.courses
