"""The slot engine: when can an item be booked, and with whom.

A slot starts on the tenant's grid (every `slot_minutes` from local midnight), lies wholly inside
one range of a worker's weekly hours (wall-clock time in the tenant's zone, so 09:00 stays 09:00
across a DST change), overlaps none of the worker's days off nor the assignments dispatch holds
(calendar.busy_ranges), starts at least `lead_minutes` from now and within `horizon_days`
calendar days (today is day 1). The rules are the franchise's booking settings, which the caller
(booking) reads from orders and passes in.

Orders placed but not yet assigned (`waiting`, orders.services.pending_demand as booking passes
it, with the held orders that dispatch may give back) take capacity too: one the
customer placed with a picked worker holds that worker; the others are counted, and a slot is
offered only while the workers free for it outnumber the waiting orders overlapping it that one
of those workers could serve (has the order's skills). A count, not a matching: it may refuse a
slot a clever assignment could still fill, never offer one that nobody can take. The rules'
`held_back` raises that bar: workers kept free for others (priority booking) are not this
customer's to take.

An item that lasts a day or more (live-in care: a month with a new mother) is not bound to the
weekly hours: it may start on any day the worker works, at the first slot of their first range
that day, and runs its full length, over which the worker must have no day off, held assignment
or picked order (as dispatch's candidates.free_for checks).
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.geo import distance_m
from platform_core.staff.schemas import WorkerWeek
from platform_core.staff.services import bookable_weeks, time_off_during
from platform_core.tenancy.context import current_tenant

from .calendar import busy_ranges, held_time
from .schemas import BookingRules, Qualified, Slot, WaitingOrders

# A worker's hours end at 24:00, stored as 23:59:59 (services.parse_day_hours).
END_OF_DAY = time(23, 59, 59)


async def _candidates(
    skills: list[str], staff_ids: list[int] | None, lat: float | None, lng: float | None,
    off_during: tuple[datetime, datetime] | None = None, weekdays: list[int] | None = None,
) -> list[WorkerWeek]:
    """Active workers with every required skill (and, when both places are known, whose home base
    reaches the visit), with their weekly hours (on `weekdays` only, when given) and their days
    off in `off_during`."""
    return [
        week for week in await bookable_weeks(skills, staff_ids, off_during, weekdays)
        if lat is None or lng is None or week.home_lat is None
        or distance_m((week.home_lat, week.home_lng), (lat, lng)) <= week.service_radius_km * 1000
    ]


async def _blocked(staff_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Days off and held assignments of each worker that touch [start, end)."""
    blocked = await busy_ranges(staff_ids, start, end)
    for staff_id, ranges in (await time_off_during(staff_ids, start, end)).items():
        blocked.setdefault(staff_id, []).extend(ranges)
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


@functools.lru_cache(maxsize=4096)
def _grid_starts(day: date, starts: time, ends: time, duration: timedelta, step: int, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Grid starts within one range of hours whose whole visit (elapsed time) fits the range. A
    function of its arguments alone (the zone's rules included), kept: workers mostly share
    their hours, and every check walks every worker's day."""
    range_end = _range_end(day, ends, tz).astimezone(timezone.utc)
    first = math.ceil((starts.hour * 60 + starts.minute + starts.second / 60) / step) * step
    found = []
    for minute in range(first, 24 * 60, step):
        wall = _wall_time(day, time(minute // 60, minute % 60), tz)
        if wall is None:
            continue
        start = wall.astimezone(timezone.utc)
        if start + duration > range_end:
            break
        found.append(start)
    return tuple(found)


def _overlaps(start: datetime, end: datetime, ranges: list[tuple[datetime, datetime]]) -> bool:
    return any(start < r_end and r_start < end for r_start, r_end in ranges)


def _day_starts(candidate: WorkerWeek, day: date, duration: timedelta, step: int, tz: ZoneInfo):
    """A candidate's grid starts on one local day: within their hours, or for a stay of a day or
    more only the first of their day (see the module's docstring)."""
    ranges = candidate.hours.get(day.weekday(), [])
    if duration >= timedelta(days=1):
        for starts, ends in ranges:
            first = next(iter(_grid_starts(day, starts, ends, timedelta(0), step, tz)), None)
            if first is not None:
                yield first
                return
        return
    for starts, ends in ranges:
        yield from _grid_starts(day, starts, ends, duration, step, tz)


async def available_slots(
    rules: BookingRules, waiting: WaitingOrders, *, duration_minutes: int, start_date: date, days: int, skills: list[str],
    staff_id: int | None = None, lat: float | None = None, lng: float | None = None, now: datetime | None = None,
    qualified: Qualified | None = None, at: datetime | None = None,
) -> list[Slot]:
    """Bookable slots on `days` local calendar days from `start_date`, each with the workers free
    for the whole visit (with `staff_id`, only the slots that worker can take); empty when nobody
    qualifies. `qualified` (the caller's, booking's: the credentials and courses the work needs)
    says which workers may take a visit starting on a local day; without it, all may. `now` is for
    tests (default: the clock).

    With `at` (an aware time within those days), only the slot starting then, or nothing when it
    is not bookable: what a placement's check needs. It reads and walks only the visit's own
    time, where the days' slots read two days more and walk every start of every worker's day;
    a start's answer does not depend on which others are asked."""
    tenant = current_tenant()
    tz = ZoneInfo(tenant.timezone)
    now = now or clock.now()
    if at is not None:
        # In UTC, as the grid's starts are: a visit's end is elapsed time, also across a DST change.
        at = at.astimezone(timezone.utc)
    earliest = now + timedelta(minutes=rules.lead_minutes)
    last_day = now.astimezone(tz).date() + timedelta(days=rules.horizon_days - 1)
    first_day = max(start_date, earliest.astimezone(tz).date())
    end_day = min(start_date + timedelta(days=days - 1), last_day)
    if end_day < first_day or days < 1:
        return []
    duration = timedelta(minutes=duration_minutes)
    window_start = datetime.combine(first_day, time(0), tzinfo=tz)
    # A visit may run past midnight when a worker's hours end at 24:00, or for days.
    window_end = datetime.combine(end_day + timedelta(days=2), time(0), tzinfo=tz) + duration
    if at is not None:
        # Only what overlaps the visit can block it or claim its workers.
        window_start, window_end = at, at + duration
    # The whole pool, even for a picked worker: the orders waiting for any of them count. Their
    # days off in the window come with them, and only the hours of the days asked about (a
    # start is on the grid of its own day's hours).
    weekdays = sorted({(first_day + timedelta(days=n)).weekday() for n in range(min((end_day - first_day).days + 1, 7))})
    candidates = await _candidates(skills, None, lat, lng, (window_start, window_end), weekdays)
    if not candidates or (staff_id is not None and staff_id not in {c.staff_id for c in candidates}):
        return []
    # Each statement sees its own moment (read committed), and dispatch may move an order from
    # waiting to held, or back, between the two reads. So the first reads the orders waiting and
    # those held, the second the held time with which of those orders an assignment holds then:
    # an order is counted once as held, or else as waiting (one let go meanwhile included), and
    # none falls between the reads. Placements and new times of overlapping visits wait on the
    # day's lock, so no order joins the window in between.
    live = await waiting(window_start, window_end)
    blocked, held = await held_time([c.staff_id for c in candidates], window_start, window_end, [o.order_id for o in live])
    demand = [order for order in live if order.order_id not in held]
    for candidate in candidates:
        blocked.setdefault(candidate.staff_id, []).extend(candidate.time_off)
    unpicked: list[tuple[datetime, datetime, frozenset[str]]] = []
    for order in demand:
        if order.requested_staff_id is None:
            unpicked.append((order.start, order.end, order.skills))
        else:
            blocked.setdefault(order.requested_staff_id, []).append((order.start, order.end))
    skills_of = {c.staff_id: c.skills for c in candidates}
    free: dict[datetime, list[int]] = {}
    day = first_day
    while day <= end_day:
        allowed = None if qualified is None else await qualified([c.staff_id for c in candidates], day)
        for candidate in candidates:
            if allowed is not None and candidate.staff_id not in allowed:
                continue
            starts = _day_starts(candidate, day, duration, rules.slot_minutes, tz)
            if at is not None:
                starts = [at] if at in starts else []
            for start in starts:
                if start >= earliest and not _overlaps(start, start + duration, blocked.get(candidate.staff_id, [])):
                    free.setdefault(start, []).append(candidate.staff_id)
        day += timedelta(days=1)
    found: list[Slot] = []
    for start, ids in sorted(free.items()):
        end = start + duration
        claimed = sum(
            1 for w_start, w_end, w_skills in unpicked
            if w_start < end and start < w_end and any(w_skills <= skills_of[sid] for sid in ids)
        )
        if len(ids) <= claimed + rules.held_back or (staff_id is not None and staff_id not in ids):
            continue
        found.append(Slot(start=start.astimezone(tz), end=end.astimezone(tz), staff_ids=sorted(ids) if staff_id is None else [staff_id]))
    return found


async def earliest_slot(
    rules: BookingRules, waiting: WaitingOrders, *, duration_minutes: int, skills: list[str], staff_id: int | None = None,
    lat: float | None = None, lng: float | None = None, now: datetime | None = None, qualified: Qualified | None = None,
) -> Slot | None:
    """The first bookable slot within the horizon ("as soon as possible"), a few days at a time."""
    now = now or clock.now()
    tz = ZoneInfo(current_tenant().timezone)
    day = now.astimezone(tz).date()
    last_day = day + timedelta(days=rules.horizon_days - 1)
    while day <= last_day:
        slots = await available_slots(
            rules, waiting, duration_minutes=duration_minutes, start_date=day, days=3, skills=skills, staff_id=staff_id,
            lat=lat, lng=lng, now=now, qualified=qualified,
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

    def works(candidate: WorkerWeek) -> bool:
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
