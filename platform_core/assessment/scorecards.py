"""The franchise's formula (settings) and the monthly scorecards: the facts of a month gathered
from reviews, support and orders (each through its own service), scored by `formula`, stored
once per worker and month, recomputed on demand (the last computation wins)."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import NotFound
from platform_core.orders.services import worker_month_facts
from platform_core.reviews.services import rating_sums
from platform_core.staff.services import list_workers
from platform_core.support.services import upheld_complaints
from platform_core.tenancy.context import current_tenant

from . import formula
from .schemas import (
    DEFAULT_WEIGHTS,
    PART_NAMES,
    AssessmentSettings,
    Facts,
    Part,
    Scorecard,
)
from .watch import watched_ids

_SETTINGS_COLUMNS = (
    "weights, grace_minutes, complaints_cap, no_shows_cap, declines_cap, jobs_target, repeat_target_pct, low_rating_stars, "
    "min_jobs, watch_below, top_decile_bonus, complaint_deduction, low_rating_deduction"
)
_CARD_COLUMNS = "id, staff_id, month, score, parts, completed, rank, ranked, computed_at"


def zone() -> ZoneInfo:
    return ZoneInfo(current_tenant().timezone)


def this_month() -> date:
    return clock.today(zone()).replace(day=1)


async def get_settings() -> AssessmentSettings:
    row = await current_connection().fetchrow(f"select {_SETTINGS_COLUMNS} from core_assessment_settings")
    if row is None:
        return AssessmentSettings()
    values = dict(row)
    values["weights"] = {**{name: 0 for name in DEFAULT_WEIGHTS}, **json.loads(values["weights"])}
    return msgspec.convert(values, AssessmentSettings)


async def save_settings(settings: AssessmentSettings, *, by: int | None) -> AssessmentSettings:
    weights = {name: settings.weights.get(name, 0) for name in PART_NAMES}
    values = [getattr(settings, name) for name in _SETTINGS_COLUMNS.replace(" ", "").split(",")[1:]]
    await current_connection().execute(
        f"insert into core_assessment_settings (tenant_id, {_SETTINGS_COLUMNS}, updated_by) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
        "on conflict (tenant_id) do update set weights = excluded.weights, grace_minutes = excluded.grace_minutes, "
        "complaints_cap = excluded.complaints_cap, no_shows_cap = excluded.no_shows_cap, declines_cap = excluded.declines_cap, "
        "jobs_target = excluded.jobs_target, repeat_target_pct = excluded.repeat_target_pct, "
        "low_rating_stars = excluded.low_rating_stars, min_jobs = excluded.min_jobs, watch_below = excluded.watch_below, "
        "top_decile_bonus = excluded.top_decile_bonus, complaint_deduction = excluded.complaint_deduction, "
        "low_rating_deduction = excluded.low_rating_deduction, updated_by = excluded.updated_by, updated_at = now()",
        current_tenant().id, json.dumps(weights), *values, by)
    return await get_settings()


async def month_facts(month: date, settings: AssessmentSettings) -> dict[int, Facts]:
    """Every worker's facts for the local month `month` (workers with nothing that month too)."""
    starts, ends = formula.month_span(month, zone())
    ratings = await rating_sums(starts, ends, low_at=settings.low_rating_stars)
    orders = await worker_month_facts(starts, ends, grace_minutes=settings.grace_minutes)
    complaints: dict[int, int] = {}
    for complaint in await upheld_complaints(starts, ends):
        complaints[complaint.staff_id] = complaints.get(complaint.staff_id, 0) + 1
    facts: dict[int, Facts] = {}
    for worker in await list_workers():
        r, o = ratings.get(worker.id), orders.get(worker.id)
        facts[worker.id] = Facts(
            reviews=r.count if r else 0, quality_sum=r.quality if r else 0, attitude_sum=r.attitude if r else 0,
            skill_sum=r.skill if r else 0, complaints=complaints.get(worker.id, 0),
            completed=o.completed if o else 0, arrivals_known=o.arrivals_known if o else 0, on_time=o.on_time if o else 0,
            no_shows=o.no_shows if o else 0, declines=o.declined if o else 0, customers=o.customers if o else 0,
            repeat_customers=o.repeat_customers if o else 0)
    return facts


async def compute_month(month: date, *, by: int | None = None) -> int:
    """Compute (or compute again) every worker's card for `month`; returns how many cards hold
    a score. Workers with no data at all get no card."""
    settings = await get_settings()
    facts = await month_facts(month, settings)
    scored = {staff_id: formula.score(f, settings) for staff_id, f in facts.items()}
    scores = {staff_id: total for staff_id, (total, _) in scored.items()}
    ranks = formula.ranking(scores, {k: f.completed for k, f in facts.items()}, settings.min_jobs)
    conn = current_connection()
    for staff_id, (total, parts) in scored.items():
        if total is None:
            await conn.execute("delete from core_scorecard where staff_id = $1 and month = $2", staff_id, month)
            continue
        await conn.execute(
            "insert into core_scorecard (tenant_id, staff_id, month, score, parts, completed, rank, ranked, computed_by) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, staff_id, month) do update set "
            "score = excluded.score, parts = excluded.parts, completed = excluded.completed, rank = excluded.rank, "
            "ranked = excluded.ranked, computed_at = now(), computed_by = excluded.computed_by",
            current_tenant().id, staff_id, month, total, msgspec.json.encode(parts).decode(), facts[staff_id].completed,
            ranks.get(staff_id), len(ranks), by)
    return sum(1 for total, _ in scored.values() if total is not None)


def _card(row, names: dict[int, str], watched: set[int]) -> Scorecard:
    return Scorecard(id=row["id"], staff_id=row["staff_id"], staff_name=names.get(row["staff_id"], ""), month=row["month"],
                     score=None if row["score"] is None else float(row["score"]),
                     parts=msgspec.json.decode(row["parts"], type=list[Part]), completed=row["completed"], rank=row["rank"],
                     ranked=row["ranked"], computed_at=row["computed_at"], on_watch=row["staff_id"] in watched)


async def _names_and_watch() -> tuple[dict[int, str], set[int]]:
    return {w.id: w.name for w in await list_workers()}, await watched_ids()


async def month_cards(month: date) -> list[Scorecard]:
    """The month's cards, best first (unscored last)."""
    rows = await current_connection().fetch(
        f"select {_CARD_COLUMNS} from core_scorecard where month = $1 order by score desc nulls last, staff_id", month)
    names, watched = await _names_and_watch()
    return [_card(r, names, watched) for r in rows]


async def worker_cards(staff_id: int, limit: int = 12) -> list[Scorecard]:
    rows = await current_connection().fetch(
        f"select {_CARD_COLUMNS} from core_scorecard where staff_id = $1 order by month desc limit $2", staff_id, limit)
    names, watched = await _names_and_watch()
    return [_card(r, names, watched) for r in rows]


async def get_card(card_id: int, *, staff_id: int | None = None) -> Scorecard:
    """One card; with `staff_id`, only that worker's (another's is not found)."""
    row = await current_connection().fetchrow(
        f"select {_CARD_COLUMNS} from core_scorecard where id = $1 and ($2::bigint is null or staff_id = $2)", card_id, staff_id)
    if row is None:
        raise NotFound("scorecard")
    names, watched = await _names_and_watch()
    return _card(row, names, watched)


async def months_with_cards(limit: int = 24) -> list[date]:
    rows = await current_connection().fetch("select distinct month from core_scorecard order by month desc limit $1", limit)
    return [r["month"] for r in rows]


async def computed_months(months: list[date]) -> set[date]:
    rows = await current_connection().fetch("select distinct month from core_scorecard where month = any($1::date[])", months)
    return {r["month"] for r in rows}
