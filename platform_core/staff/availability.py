"""The slot engine: when can an item be booked, and with whom.

A slot starts on the tenant's grid (every `slot_minutes` from local midnight), lies wholly inside
one range of a worker's weekly hours (wall-clock time in the tenant's zone, so 09:00 stays 09:00
across a DST change), overlaps none of the worker's days off nor the assignments dispatch holds
(dispatch.services.busy_ranges), starts at least `lead_minutes` from now and within
`horizon_days` calendar days (today is day 1). Booking settings come from core_booking_settings,
with the column defaults when the tenant has no row yet.

Orders placed but not yet assigned (orders.services.pending_demand) take capacity too: one the
customer placed with a picked worker holds that worker; the others are counted, and a slot is
offered only while the workers free for it outnumber the waiting orders overlapping it that one
of those workers could serve (has the order's skills). A count, not a matching: it may refuse a
slot a clever assignment could still fill, never offer one that nobody can take.

An item that lasts a day or more (live-in care: a month with a new mother) is not bound to the
weekly hours: it may start on any day the worker works, at the first slot of their first range
that day, and runs its full length, over which the worker must have no day off, held assignment
or picked order (as dispatch's candidates.free_for checks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from asyncpg import Range

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch.services import busy_ranges
from platform_core.errors import ValidationFailed
from platform_core.geo import distance_m
from platform_core.runtime import Runtime
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.tenancy.context import current_tenant

from .schemas import Availability, Slot

# A worker's hours end at 24:00, stored as 23:59:59 (services.parse_day_hours).
END_OF_DAY = time(23, 59, 59)
# How often available_slots reads again while waiting orders move under it; then it takes the last read.
MAX_READS = 5


@dataclass(frozen=True)
class BookingRules:
    slot_minutes: int = 30
    lead_minutes: int = 120
    horizon_days: int = 14


@dataclass(frozen=True)
class _Candidate:
    staff_id: int
    skills: frozenset[str]
    hours: dict[int, list[tuple[time, time]]]  # weekday -> ranges


async def booking_rules() -> BookingRules:
    from platform_core.orders.services import booking_settings

    settings = await booking_settings()
    return BookingRules(slot_minutes=settings.slot_minutes, lead_minutes=settings.lead_minutes, horizon_days=settings.horizon_days)


async def _candidates(
    skills: list[str], staff_ids: list[int] | None, lat: float | None, lng: float | None
) -> list[_Candidate]:
    """Active workers with every required skill (and, when both places are known, whose home base
    reaches the visit), with their weekly hours."""
    rows = await current_connection().fetch(
        "select s.id, coalesce(p.skills, '{}') as skills, p.home_lat, p.home_lng, coalesce(p.service_radius_km, 10) as radius, "
        "h.weekday, h.starts, h.ends "
        "from core_staff s join core_staff_hours h on h.staff_id = s.id "
        "left join core_staff_profile p on p.staff_id = s.id "
        "where s.status = 'active' and coalesce(p.skills, '{}') @> $1::text[] and ($2::bigint[] is null or s.id = any($2)) "
        "order by s.id, h.weekday, h.starts",
        list(skills), staff_ids,
    )
    hours: dict[int, dict[int, list[tuple[time, time]]]] = {}
    skills_of: dict[int, frozenset[str]] = {}
    for row in rows:
        if lat is not None and lng is not None and row["home_lat"] is not None:
            if distance_m((float(row["home_lat"]), float(row["home_lng"])), (lat, lng)) > row["radius"] * 1000:
                continue
        hours.setdefault(row["id"], {}).setdefault(row["weekday"], []).append((row["starts"], row["ends"]))
        skills_of[row["id"]] = frozenset(row["skills"])
    return [_Candidate(staff_id=sid, skills=skills_of[sid], hours=by_day) for sid, by_day in hours.items()]


async def _blocked(staff_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Days off and held assignments of each worker that touch [start, end)."""
    blocked = await busy_ranges(staff_ids, start, end)
    rows = await current_connection().fetch(
        "select staff_id, lower(during) as starts, upper(during) as ends from core_staff_time_off "
        "where staff_id = any($1::bigint[]) and during && $2",
        staff_ids, Range(start, end, upper_inc=False),
    )
    for row in rows:
        blocked.setdefault(row["staff_id"], []).append((row["starts"], row["ends"]))
    return blocked


def _wall_time(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """`at` on `day` in `tz`, or None when the clock skips it (the spring-forward gap)."""
    local = datetime.combine(day, at, tzinfo=tz)
    round_trip = local.astimezone(timezone.utc).astimezone(tz)
    return local if round_trip.replace(tzinfo=None) == local.replace(tzinfo=None) else None


def _range_end(day: date, ends: time, tz: ZoneInfo) -> datetime:
    if ends == END_OF_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, ends, tzinfo=tz)


def _grid_starts(day: date, starts: time, ends: time, duration: timedelta, step: int, tz: ZoneInfo):
    """Grid starts within one range of hours whose whole visit (elapsed time) fits the range."""
    range_end = _range_end(day, ends, tz).astimezone(timezone.utc)
    first = math.ceil((starts.hour * 60 + starts.minute + starts.second / 60) / step) * step
    for minute in range(first, 24 * 60, step):
        wall = _wall_time(day, time(minute // 60, minute % 60), tz)
        if wall is None:
            continue
        start = wall.astimezone(timezone.utc)
        if start + duration > range_end:
            break
        yield start


def _overlaps(start: datetime, end: datetime, ranges: list[tuple[datetime, datetime]]) -> bool:
    return any(start < r_end and r_start < end for r_start, r_end in ranges)


def _day_starts(candidate: _Candidate, day: date, duration: timedelta, step: int, tz: ZoneInfo):
    """A candidate's grid starts on one local day: within their hours, or for a stay of a day or
    more only the first of their day (see the module's docstring)."""
    ranges = candidate.hours.get(day.weekday(), [])
    if duration >= timedelta(days=1):
        for starts, ends in ranges:
            first = next(_grid_starts(day, starts, ends, timedelta(0), step, tz), None)
            if first is not None:
                yield first
                return
        return
    for starts, ends in ranges:
        yield from _grid_starts(day, starts, ends, duration, step, tz)


async def available_slots(
    rt: Runtime, *, duration_minutes: int, start_date: date, days: int, skills: list[str],
    staff_id: int | None = None, lat: float | None = None, lng: float | None = None, now: datetime | None = None,
) -> list[Slot]:
    """Bookable slots on `days` local calendar days from `start_date`, each with the workers free
    for the whole visit (with `staff_id`, only the slots that worker can take); empty when nobody
    qualifies. `now` is for tests (default: the clock)."""
    from platform_core.orders.services import pending_demand

    tenant = current_tenant()
    tz = ZoneInfo(tenant.timezone)
    rules = await booking_rules()
    now = now or clock.now()
    earliest = now + timedelta(minutes=rules.lead_minutes)
    last_day = now.astimezone(tz).date() + timedelta(days=rules.horizon_days - 1)
    first_day = max(start_date, earliest.astimezone(tz).date())
    end_day = min(start_date + timedelta(days=days - 1), last_day)
    if end_day < first_day or days < 1:
        return []
    # The whole pool, even for a picked worker: the orders waiting for any of them count.
    candidates = await _candidates(skills, None, lat, lng)
    if not candidates or (staff_id is not None and staff_id not in {c.staff_id for c in candidates}):
        return []
    duration = timedelta(minutes=duration_minutes)
    window_start = datetime.combine(first_day, time(0), tzinfo=tz)
    # A visit may run past midnight when a worker's hours end at 24:00, or for days.
    window_end = datetime.combine(end_day + timedelta(days=2), time(0), tzinfo=tz) + duration
    # Each statement sees its own moment (read committed), and dispatch may move an order from
    # waiting to held, or back, in between: the waiting orders are read on both sides of the held
    # time, again while they differ, so no order falls between the two reads.
    demand = await pending_demand(window_start, window_end)
    for _ in range(MAX_READS):
        blocked = await _blocked([c.staff_id for c in candidates], window_start, window_end)
        again = await pending_demand(window_start, window_end)
        if again == demand:
            break
        demand = again
    waiting: list[tuple[datetime, datetime, frozenset[str]]] = []
    for order in demand:
        if order.requested_staff_id is None:
            waiting.append((order.start, order.end, order.skills))
        else:
            blocked.setdefault(order.requested_staff_id, []).append((order.start, order.end))
    skills_of = {c.staff_id: c.skills for c in candidates}
    free: dict[datetime, list[int]] = {}
    day = first_day
    while day <= end_day:
        for candidate in candidates:
            for start in _day_starts(candidate, day, duration, rules.slot_minutes, tz):
                if start >= earliest and not _overlaps(start, start + duration, blocked.get(candidate.staff_id, [])):
                    free.setdefault(start, []).append(candidate.staff_id)
        day += timedelta(days=1)
    found: list[Slot] = []
    for start, ids in sorted(free.items()):
        end = start + duration
        claimed = sum(
            1 for w_start, w_end, w_skills in waiting
            if w_start < end and start < w_end and any(w_skills <= skills_of[sid] for sid in ids)
        )
        if len(ids) <= claimed or (staff_id is not None and staff_id not in ids):
            continue
        found.append(Slot(start=start.astimezone(tz), end=end.astimezone(tz), staff_ids=sorted(ids) if staff_id is None else [staff_id]))
    return found


async def earliest_slot(
    rt: Runtime, *, duration_minutes: int, skills: list[str], staff_id: int | None = None,
    lat: float | None = None, lng: float | None = None, now: datetime | None = None,
) -> Slot | None:
    """The first bookable slot within the horizon ("as soon as possible"), a few days at a time."""
    rules = await booking_rules()
    now = now or clock.now()
    tz = ZoneInfo(current_tenant().timezone)
    day = now.astimezone(tz).date()
    last_day = day + timedelta(days=rules.horizon_days - 1)
    while day <= last_day:
        slots = await available_slots(
            rt, duration_minutes=duration_minutes, start_date=day, days=3, skills=skills, staff_id=staff_id,
            lat=lat, lng=lng, now=now,
        )
        if slots:
            return slots[0]
        day += timedelta(days=3)
    return None


async def free_among(staff_ids: list[int], start: datetime, end: datetime) -> list[int]:
    """Those of `staff_ids` who are active, work all of [start, end) by their weekly hours and have
    neither a day off nor a held assignment in it: one pass for many workers (dispatch), in the
    order given. Lead time and horizon are the caller's business."""
    if not staff_ids:
        return []
    tz = ZoneInfo(current_tenant().timezone)
    day = start.astimezone(tz).date()

    def works(candidate: _Candidate) -> bool:
        return any(
            datetime.combine(day, starts, tzinfo=tz) <= start and end <= _range_end(day, ends, tz)
            for starts, ends in candidate.hours.get(day.weekday(), [])
        )

    working = {c.staff_id for c in await _candidates([], list(staff_ids), None, None) if works(c)}
    if not working:
        return []
    blocked = await _blocked(sorted(working), start, end)
    return [sid for sid in staff_ids if sid in working and not _overlaps(start, end, blocked.get(sid, []))]


async def unblocked_among(staff_ids: list[int], start: datetime, end: datetime) -> list[int]:
    """Those of `staff_ids` with neither a day off nor a held assignment in [start, end), whatever
    their weekly hours: a live-in stay over several days is not bound to them. In the order given."""
    if not staff_ids:
        return []
    blocked = await _blocked(list(staff_ids), start, end)
    return [sid for sid in staff_ids if not _overlaps(start, end, blocked.get(sid, []))]


async def is_free(staff_id: int, start: datetime, end: datetime) -> bool:
    """Whether one worker can take [start, end) (see free_among)."""
    return bool(await free_among([staff_id], start, end))


async def item_availability(
    rt: Runtime, *, item: str, day: str, staff_id: int | None = None, quantity: int | None = None,
    lat: float | None = None, lng: float | None = None,
) -> Availability:
    """One day's slots of a catalog item (its duration and required skills). An hourly item lasts
    `quantity` hours, at least its minimum."""
    errors: dict[str, str] = {}
    try:
        on = date.fromisoformat(day)
    except ValueError:
        errors["date"] = N_("Enter a date as YYYY-MM-DD.")
    if (lat is None) != (lng is None):
        errors["lat"] = N_("Give both latitude and longitude, or neither.")
    if quantity is not None and not 1 <= quantity <= 24:
        errors["quantity"] = N_("Enter a number between 1 and 24.")
    if errors:
        raise ValidationFailed(errors)
    from platform_core.catalog.services import get_item_by_slug

    service = await get_item_by_slug(item, for_customer=current_tenant())
    duration = service.duration_minutes
    if service.pricing_model == "hourly":
        duration = max(quantity or service.min_quantity, service.min_quantity) * 60
    slots = await available_slots(
        rt, duration_minutes=duration, start_date=on, days=1, skills=list(service.required_skills),
        staff_id=staff_id, lat=lat, lng=lng,
    )
    return Availability(item=item, date=on, timezone=current_tenant().timezone, duration_minutes=duration, slots=slots)
