"""Workers: profiles, weekly hours and days off, the public page, seeding from tenants/*.toml.

The staff account itself (name, phone, status, sign-in) belongs to accounts; this domain adds
what a worker offers and when. Every query runs in the caller's tenant transaction (RLS).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from asyncpg import Range
from msgspec import UNSET

from platform_core import clock
from platform_core.accounts import services as accounts
from platform_core.accounts.phones import masked_cipher, normalize_phone, phone_index
from platform_core.crypto import Keyring
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant, tenant_scope
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    HoursRange,
    PublicProfile,
    TimeOff,
    TimeOffCreate,
    Worker,
    WorkerCard,
    WorkerCreate,
    WorkerUpdate,
    WorkerWeek,
)

TAG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# "09:00-18:00", or "9-18" as thumbs type it on a phone.
HOURS_RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*[-–~]\s*(\d{1,2})(?::(\d{2}))?\s*$")

_WORKER_COLUMNS = (
    "s.id, s.name, s.phone_cipher, s.status, coalesce(p.photo_url, '') as photo_url, coalesce(p.bio, '') as bio, "
    "coalesce(p.years_experience, 0) as years_experience, coalesce(p.skills, '{}') as skills, "
    "coalesce(p.languages, '{}') as languages, p.home_lat, p.home_lng, coalesce(p.service_radius_km, 10) as service_radius_km, "
    "coalesce(p.rating_avg, 0) as rating_avg, coalesce(p.rating_count, 0) as rating_count"
)
_WORKER_FROM = "core_staff s left join core_staff_profile p on p.staff_id = s.id and p.tenant_id = s.tenant_id"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _db_value(value: object) -> object:
    # numeric columns take a Decimal; str() keeps the digits the user typed.
    return Decimal(str(value)) if isinstance(value, float) else value


def _worker(row) -> Worker:
    return Worker(
        id=row["id"], name=row["name"], phone=masked_cipher(current_runtime().keyring, row["phone_cipher"]), status=row["status"],
        photo_url=row["photo_url"], bio=row["bio"], years_experience=row["years_experience"], skills=list(row["skills"]),
        languages=list(row["languages"]), home_lat=_float(row["home_lat"]), home_lng=_float(row["home_lng"]),
        service_radius_km=row["service_radius_km"], rating_avg=float(row["rating_avg"]), rating_count=row["rating_count"],
    )


def _card(row) -> WorkerCard:
    return WorkerCard(
        id=row["id"], name=row["name"], photo_url=row["photo_url"], years_experience=row["years_experience"],
        skills=list(row["skills"]), languages=list(row["languages"]), rating_avg=float(row["rating_avg"]),
        rating_count=row["rating_count"],
    )


# --- workers -------------------------------------------------------------------------------------


async def list_workers(*, status: str | None = None, skill: str | None = None, query: str = "") -> list[Worker]:
    """The console's list. `query` is part of a name, or a whole phone number (phones are stored
    encrypted, so only an exact number can be found, through its blind index)."""
    text = query.strip()
    phone = None
    if re.fullmatch(r"\+?[\d\s-]{7,}", text):
        try:
            phone = phone_index(current_runtime().keyring, normalize_phone(text, current_tenant()))
        except ValidationFailed:
            phone = ""
    rows = await current_connection().fetch(
        f"select {_WORKER_COLUMNS} from {_WORKER_FROM} "
        "where ($1::text is null or s.status = $1) and ($2::text is null or $2 = any(p.skills)) "
        "and ($3::text is null or s.phone_index = $3) and ($4::text = '' or s.name ilike '%' || $4 || '%') "
        "order by s.status, s.name, s.id",
        status or None, skill or None, phone, "" if phone is not None else text,
    )
    return [_worker(row) for row in rows]


async def get_worker(staff_id: int) -> Worker:
    row = await current_connection().fetchrow(f"select {_WORKER_COLUMNS} from {_WORKER_FROM} where s.id = $1", staff_id)
    if row is None:
        raise NotFound("worker")
    return _worker(row)


async def create_worker(data: WorkerCreate) -> Worker:
    tenant = current_tenant()
    staff = await accounts.create_staff(tenant, name=data.name, phone=data.phone)
    await current_connection().execute(
        "insert into core_staff_profile (tenant_id, staff_id) values ($1, $2) on conflict do nothing", tenant.id, staff.id
    )
    return await get_worker(staff.id)


def clean_tags(values: list[str], field: str) -> list[str]:
    """Lower-case snake_case tags, each once, in the order given."""
    tags: list[str] = []
    for value in values:
        tag = value.strip().lower().replace("-", "_").replace(" ", "_")
        if not tag:
            continue
        if not TAG.match(tag):
            raise ValidationFailed({field: "Use lower-case words joined by underscores, for example deep_cleaning."})
        if tag not in tags:
            tags.append(tag)
    return tags


def _check_update(data: WorkerUpdate) -> dict[str, object]:
    """The columns to write, or ValidationFailed naming every field that is wrong."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for field in ("photo_url", "bio", "years_experience", "service_radius_km", "home_lat", "home_lng"):
        value = getattr(data, field)
        if value is not UNSET:
            values[field] = value.strip() if isinstance(value, str) else value
    for field in ("skills", "languages"):
        value = getattr(data, field)
        if value is not UNSET:
            try:
                values[field] = clean_tags(value, field) if field == "skills" else [v.strip() for v in value if v.strip()][:10]
            except ValidationFailed as exc:
                errors.update(exc.fields)
    url = values.get("photo_url")
    if url and not (url.startswith("https://") or url.startswith("http://") or url.startswith("/")):
        errors["photo_url"] = N_("Enter a web address starting with https://.")
    if len(str(values.get("bio", ""))) > 2000:
        errors["bio"] = N_("Keep it under 2000 characters.")
    if "years_experience" in values and not 0 <= values["years_experience"] <= 60:
        errors["years_experience"] = N_("Enter a number between 0 and 60.")
    if "service_radius_km" in values and not 1 <= values["service_radius_km"] <= 200:
        errors["service_radius_km"] = N_("Enter a number between 1 and 200.")
    lat, lng = values.get("home_lat"), values.get("home_lng")
    if ("home_lat" in values) != ("home_lng" in values) or (lat is None) != (lng is None):
        errors["home_lat"] = N_("Give both latitude and longitude, or neither.")
    elif lat is not None and not (-90 <= lat <= 90):
        errors["home_lat"] = N_("Between -90 and 90")
    elif lng is not None and not (-180 <= lng <= 180):
        errors["home_lng"] = N_("Between -180 and 180")
    if errors:
        raise ValidationFailed(errors)
    return values


async def update_worker(staff_id: int, data: WorkerUpdate) -> Worker:
    worker = await get_worker(staff_id)
    values = _check_update(data)
    if data.name is not UNSET:
        if not data.name.strip():
            raise ValidationFailed({"name": "This field is required."})
        await accounts.rename_staff(staff_id, data.name)
    if values:
        columns = list(values)
        assignments = ", ".join(f"{c} = excluded.{c}" for c in columns)
        placeholders = ", ".join(f"${i + 3}" for i in range(len(columns)))
        await current_connection().execute(
            f"insert into core_staff_profile (tenant_id, staff_id, {', '.join(columns)}) values ($1, $2, {placeholders}) "
            f"on conflict (tenant_id, staff_id) do update set {assignments}, updated_at = now()",
            current_tenant().id, worker.id, *(_db_value(v) for v in values.values()),
        )
    return await get_worker(staff_id)


async def set_worker_status(staff_id: int, status: str) -> Worker:
    await accounts.set_staff_status(current_tenant(), staff_id, status)
    return await get_worker(staff_id)


# --- weekly hours --------------------------------------------------------------------------------


async def get_hours(staff_id: int) -> list[HoursRange]:
    rows = await current_connection().fetch(
        "select weekday, starts, ends from core_staff_hours where staff_id = $1 order by weekday, starts", staff_id
    )
    return [HoursRange(weekday=r["weekday"], starts=r["starts"], ends=r["ends"]) for r in rows]


def parse_day_hours(weekday: int, text: str) -> list[HoursRange]:
    """'08:00-12:00, 13:00-18:00' -> ranges of that weekday; blank is a day off."""
    ranges: list[HoursRange] = []
    for part in filter(None, (p.strip() for p in re.split(r"[,，;]", text or ""))):
        match = HOURS_RANGE.match(part)
        if not match:
            raise ValidationFailed({f"hours_{weekday}": "Give each range a start and an end time, like 09:00-18:00."})
        h1, m1, h2, m2 = (int(g or 0) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValidationFailed({f"hours_{weekday}": "Write hours like 09:00-18:00; separate several with commas."})
        # 24:00 is the end of the day; the column is a time, so it is kept as 23:59:59.
        ends = time(23, 59, 59) if h2 == 24 else time(h2, m2)
        ranges.append(HoursRange(weekday=weekday, starts=time(h1, m1), ends=ends))
    ranges.sort(key=lambda r: r.starts)
    for earlier, later in zip(ranges, ranges[1:]):
        if later.starts < earlier.ends:
            raise ValidationFailed({f"hours_{weekday}": "The hours of one day must not overlap."})
    if any(r.ends <= r.starts for r in ranges):
        raise ValidationFailed({f"hours_{weekday}": "Each range must end after it starts."})
    return ranges


def format_day_hours(ranges: list[HoursRange], weekday: int) -> str:
    def hhmm(t: time) -> str:
        return "24:00" if t == time(23, 59, 59) else t.strftime("%H:%M")

    return ", ".join(f"{hhmm(r.starts)}-{hhmm(r.ends)}" for r in ranges if r.weekday == weekday)


def parse_week(form: dict[str, str]) -> list[HoursRange]:
    """The weekly grid form (hours_0 .. hours_6), every day's errors at once."""
    ranges: list[HoursRange] = []
    errors: dict[str, str] = {}
    for weekday in range(7):
        try:
            ranges.extend(parse_day_hours(weekday, form.get(f"hours_{weekday}", "")))
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    return ranges


async def set_hours(staff_id: int, ranges: list[HoursRange]) -> list[HoursRange]:
    """Replace the worker's weekly hours with `ranges`."""
    if await accounts.staff_status(staff_id) is None:
        raise NotFound("worker")
    conn = current_connection()
    await conn.execute("delete from core_staff_hours where staff_id = $1", staff_id)
    await conn.executemany(
        "insert into core_staff_hours (tenant_id, staff_id, weekday, starts, ends) values (hearth_current_tenant(), $1, $2, $3, $4)",
        [(staff_id, r.weekday, r.starts, r.ends) for r in ranges],
    )
    return await get_hours(staff_id)


# --- days off ------------------------------------------------------------------------------------


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


async def list_time_off(staff_id: int, *, upcoming_only: bool = True) -> list[TimeOff]:
    rows = await current_connection().fetch(
        "select id, lower(during) as starts, upper(during) as ends, reason from core_staff_time_off "
        "where staff_id = $1 and (not $2 or upper(during) > $3) order by lower(during)",
        staff_id, upcoming_only, clock.now(),
    )
    return [TimeOff(id=r["id"], starts=r["starts"], ends=r["ends"], reason=r["reason"]) for r in rows]


async def add_time_off(staff_id: int, data: TimeOffCreate) -> TimeOff:
    if data.last_day < data.first_day:
        raise ValidationFailed({"last_day": "The last day can not be before the first."})
    if (data.last_day - data.first_day).days > 366:
        raise ValidationFailed({"last_day": "Take at most a year off at a time."})
    if len(data.reason) > 200:
        raise ValidationFailed({"reason": "Keep it under 200 characters."})
    tz = ZoneInfo(current_tenant().timezone)
    during = Range(local_midnight(data.first_day, tz), local_midnight(data.last_day + timedelta(days=1), tz), upper_inc=False)
    if await accounts.staff_status(staff_id) is None:
        raise NotFound("worker")
    row = await current_connection().fetchrow(
        "insert into core_staff_time_off (tenant_id, staff_id, during, reason) values (hearth_current_tenant(), $1, $2, $3) "
        "returning id, lower(during) as starts, upper(during) as ends, reason",
        staff_id, during, data.reason.strip(),
    )
    return TimeOff(id=row["id"], starts=row["starts"], ends=row["ends"], reason=row["reason"])


async def delete_time_off(staff_id: int, time_off_id: int) -> None:
    deleted = await current_connection().fetchval(
        "delete from core_staff_time_off where id = $1 and staff_id = $2 returning id", time_off_id, staff_id
    )
    if deleted is None:
        raise NotFound("time off")


async def time_off_during(staff_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each worker's days off that touch [start, end) (the slot engine's blocked time)."""
    rows = await current_connection().fetch(
        "select staff_id, lower(during) as starts, upper(during) as ends from core_staff_time_off "
        "where staff_id = any($1::bigint[]) and during && $2",
        staff_ids, Range(start, end, upper_inc=False),
    )
    found: dict[int, list[tuple[datetime, datetime]]] = {}
    for row in rows:
        found.setdefault(row["staff_id"], []).append((row["starts"], row["ends"]))
    return found


# --- the slot engine and ratings -----------------------------------------------------------------


async def bookable_weeks(
    skills: list[str], staff_ids: list[int] | None, off_during: tuple[datetime, datetime] | None = None,
    weekdays: list[int] | None = None,
) -> list[WorkerWeek]:
    """Active workers with every one of `skills` and some weekly hours (of `staff_ids`, when
    given; on `weekdays`, when given, and only those days' hours), by id: their hours, skills
    and home base, and with `off_during` their days off that touch it (as time_off_during), read
    in one query."""
    window = None if off_during is None else Range(off_during[0], off_during[1], upper_inc=False)
    rows = await current_connection().fetch(
        "select s.id, coalesce(p.skills, '{}') as skills, p.home_lat, p.home_lng, coalesce(p.service_radius_km, 10) as radius, "
        "h.weekday, h.starts, h.ends, "
        "case when $3::tstzrange is null then '{}' else array(select t.during from core_staff_time_off t "
        "where t.staff_id = s.id and t.during && $3 order by lower(t.during)) end as time_off "
        "from core_staff s join core_staff_hours h on h.staff_id = s.id "
        "left join core_staff_profile p on p.staff_id = s.id "
        "where s.status = 'active' and coalesce(p.skills, '{}') @> $1::text[] and ($2::bigint[] is null or s.id = any($2)) "
        "and ($4::int[] is null or h.weekday = any($4)) "
        "order by s.id, h.weekday, h.starts",
        list(skills), staff_ids, window, weekdays,
    )
    weeks: dict[int, WorkerWeek] = {}
    for row in rows:
        week = weeks.get(row["id"])
        if week is None:
            week = weeks[row["id"]] = WorkerWeek(
                staff_id=row["id"], skills=frozenset(row["skills"]), home_lat=_float(row["home_lat"]),
                home_lng=_float(row["home_lng"]), service_radius_km=row["radius"], hours={},
                time_off=[(r.lower, r.upper) for r in row["time_off"]],
            )
        week.hours.setdefault(row["weekday"], []).append((row["starts"], row["ends"]))
    return list(weeks.values())


async def lock_profile(staff_id: int) -> None:
    """Lock the worker's profile row (made if missing) until the transaction ends: whoever
    recomputes the rating takes this first, then reads the reviews, then record_rating()."""
    conn = current_connection()
    await conn.execute(
        "insert into core_staff_profile (tenant_id, staff_id) values ($1, $2) on conflict (tenant_id, staff_id) do nothing",
        current_tenant().id, staff_id,
    )
    await conn.execute("select 1 from core_staff_profile where staff_id = $1 for update", staff_id)


async def record_rating(staff_id: int, average: Decimal, count: int) -> None:
    """The worker's rating as the reviews domain computed it, under lock_profile()."""
    await current_connection().execute(
        "update core_staff_profile set rating_avg = $2, rating_count = $3, updated_at = now() where staff_id = $1",
        staff_id, average, count,
    )


# --- what customers see --------------------------------------------------------------------------


async def workers_for_skills(skills: list[str], *, limit: int = 20) -> list[WorkerCard]:
    """Active workers who have every one of `skills`, best rated first (the catalog item page)."""
    rows = await current_connection().fetch(
        f"select {_WORKER_COLUMNS} from {_WORKER_FROM} where s.status = 'active' and coalesce(p.skills, '{{}}') @> $1::text[] "
        "order by coalesce(p.rating_avg, 0) desc, coalesce(p.rating_count, 0) desc, s.id limit $2",
        list(skills), limit,
    )
    return [_card(row) for row in rows]


async def public_profile(staff_id: int) -> PublicProfile:
    """What anyone may see of an active worker (their reviews come from the reviews domain)."""
    row = await current_connection().fetchrow(
        f"select {_WORKER_COLUMNS} from {_WORKER_FROM} where s.id = $1 and s.status = 'active'", staff_id
    )
    if row is None:
        raise NotFound("worker")
    return PublicProfile(worker=_card(row), bio=row["bio"])


# --- seeding (tenants/*.toml [[staff]]) -----------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PROFILE_KEYS = frozenset({"skills", "languages", "bio", "years", "photo", "home", "radius_km", "hours"})


def parse_week_text(text: str) -> list[HoursRange]:
    """'mon-fri 08:00-18:00; sat 09:00-13:00' (the TOML spelling of weekly hours)."""
    ranges: list[HoursRange] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days, _, hours = part.partition(" ")
        first, _, last = days.partition("-")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        for weekday in range(start, end + 1):
            ranges.extend(parse_day_hours(weekday, hours))
    return ranges


async def apply_profile_entries(keyring: Keyring, tenant: TenantContext, entries: list[dict[str, str]]) -> list[str]:
    """The profile fields of [[staff]] (skills, languages, bio, years, photo, home, radius_km,
    hours): written when the worker has no profile yet, so console edits are never overwritten."""
    changes: list[str] = []
    conn = current_connection()
    for entry in filter(lambda e: PROFILE_KEYS & e.keys(), entries):
        staff_id = await accounts.staff_id_for_phone(keyring, tenant, entry["phone"])
        if staff_id is None or await conn.fetchval("select 1 from core_staff_profile where staff_id = $1", staff_id):
            continue
        lat, lng = (float(v) for v in entry["home"].split(",")) if entry.get("home") else (None, None)
        await conn.execute(
            "insert into core_staff_profile (tenant_id, staff_id, photo_url, bio, years_experience, skills, languages, "
            "home_lat, home_lng, service_radius_km) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            tenant.id, staff_id, entry.get("photo", ""), entry.get("bio", ""), int(entry.get("years", "0")),
            clean_tags(entry.get("skills", "").split(","), "skills"),
            [v.strip() for v in entry.get("languages", "").split(",") if v.strip()], _db_value(lat), _db_value(lng),
            int(entry.get("radius_km", "10")),
        )
        await set_hours(staff_id, parse_week_text(entry.get("hours", "")))
        changes.append(f"{tenant.slug}: worker profile of {entry['name']} created")
    return changes


async def apply_staff_profiles(keyring: Keyring, tenant_id: int, entries: list[dict[str, str]]) -> list[str]:
    async with tenant_scope(tenant_id) as tenant:
        return await apply_profile_entries(keyring, tenant, entries)
