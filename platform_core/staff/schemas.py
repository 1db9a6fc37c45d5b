"""Workers: profile, weekly hours, days off, the public card and page, bookable slots."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from platform_core.bounds import (
    Code,
    Codes,
    Count,
    Latitude,
    Longitude,
    Name,
    Text,
    Url,
)
from platform_core.catalog.schemas import SKILLS

# The named skills (catalog.schemas.SKILLS), the ones the demo catalog's services require.
KNOWN_SKILLS: tuple[str, ...] = tuple(SKILLS)
WorkerStatus = Literal["active", "inactive"]


class HoursRange(msgspec.Struct, frozen=True, kw_only=True):
    """One stretch of a weekday's working hours, in the tenant's time zone."""

    weekday: int  # 0 = Monday
    starts: time
    ends: time


class TimeOff(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    starts: datetime
    ends: datetime  # exclusive
    reason: str = ""


class TimeOffCreate(msgspec.Struct, frozen=True, kw_only=True):
    """Whole days off, both dates included, in the tenant's time zone."""

    first_day: date
    last_day: date
    reason: Text = ""


class WorkerWeek(msgspec.Struct, frozen=True, kw_only=True):
    """What the slot engine needs of a bookable worker: skills, home base and weekly hours, and
    the days off in the time asked about (bookable_weeks' `off_during`)."""

    staff_id: int
    skills: frozenset[str]
    home_lat: float | None
    home_lng: float | None
    service_radius_km: int
    hours: dict[int, list[tuple[time, time]]]  # weekday -> ranges, earliest first
    time_off: list[tuple[datetime, datetime]] = []


class Worker(msgspec.Struct, kw_only=True):
    """A worker as the console sees them: the staff account and its profile."""

    id: int
    name: str
    phone: str  # masked
    status: WorkerStatus
    photo_url: str = ""
    bio: str = ""
    years_experience: int = 0
    skills: list[str] = []
    languages: list[str] = []
    home_lat: float | None = None
    home_lng: float | None = None
    service_radius_km: int = 10
    rating_avg: float = 0.0
    rating_count: int = 0


class WorkerCreate(msgspec.Struct, frozen=True, kw_only=True):
    name: Name
    phone: Code


class WorkerUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A partial profile update: fields left UNSET keep their value."""

    name: Name | UnsetType = UNSET
    photo_url: Url | UnsetType = UNSET
    bio: Text | UnsetType = UNSET
    years_experience: Count | UnsetType = UNSET
    skills: Codes | UnsetType = UNSET
    languages: Codes | UnsetType = UNSET
    home_lat: Latitude | None | UnsetType = UNSET
    home_lng: Longitude | None | UnsetType = UNSET
    service_radius_km: Count | UnsetType = UNSET


class WorkerCard(msgspec.Struct, frozen=True, kw_only=True):
    """What a customer sees of a worker in a list (the catalog item page)."""

    id: int
    name: str
    photo_url: str
    years_experience: int
    skills: list[str]
    languages: list[str]
    rating_avg: float
    rating_count: int


class PublicProfile(msgspec.Struct, frozen=True, kw_only=True):
    """What anyone may see of an active worker."""

    worker: WorkerCard
    bio: str
