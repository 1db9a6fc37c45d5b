"""Care logs: the carer's record of a visit (the plan's tasks done, vital signs, mood, notes,
photos). Only the worker who holds the visit's order writes it (once, then edits their own);
the plan's family reads them (family.py decides who that is). Vitals, mood and notes are health
data: sealed at rest (context "elder_care.log")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from platform_core.plugin_api import (
    Forbidden,
    NotFound,
    ValidationFailed,
    current_connection,
    current_tenant,
    decrypt_text,
    encrypt_text,
    order_workers,
)
from platform_core.plugin_api import (
    lazy_gettext as N_,
)

from . import plans

CONTEXT = "elder_care.log"
Mood = Literal["happy", "calm", "low", "anxious", "confused"]
MOODS = {"happy": N_("Cheerful"), "calm": N_("Calm"), "low": N_("Low"), "anxious": N_("Anxious"), "confused": N_("Confused")}
MAX_PHOTOS = 6


class Vitals(msgspec.Struct, frozen=True, kw_only=True):
    """What was measured; each may be left out. Temperature in tenths of a degree Celsius."""

    systolic: Annotated[int, msgspec.Meta(ge=50, le=260)] | None = None
    diastolic: Annotated[int, msgspec.Meta(ge=30, le=160)] | None = None
    pulse: Annotated[int, msgspec.Meta(ge=30, le=220)] | None = None
    temperature: Annotated[float, msgspec.Meta(ge=34.0, le=42.5)] | None = None


class LogForm(msgspec.Struct, frozen=True, kw_only=True):
    tasks_done: list[str] = []
    vitals: Vitals = Vitals()
    mood: Mood
    notes: Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^[^\x00]*$")] = ""
    photos: list[str] = []


class Sealed(msgspec.Struct, frozen=True, kw_only=True):
    vitals: Vitals
    mood: str
    notes: str


class CareLog(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    plan_id: int
    visit_id: int
    staff_id: int
    tasks_done: list[str]
    photos: list[str]
    vitals: Vitals
    mood: str
    notes: str
    created_at: datetime


def _log(row) -> CareLog:
    sealed = msgspec.json.decode(decrypt_text(row["data_cipher"], context=CONTEXT), type=Sealed)
    return CareLog(id=row["id"], plan_id=row["plan_id"], visit_id=row["visit_id"], staff_id=row["staff_id"],
                   tasks_done=list(row["tasks_done"]), photos=list(row["photos"]), vitals=sealed.vitals, mood=sealed.mood,
                   notes=sealed.notes, created_at=row["created_at"])


_COLUMNS = "id, plan_id, visit_id, staff_id, tasks_done, photos, data_cipher, created_at"


async def visit_for_carer(visit_id: int, staff_id: int) -> tuple[plans.Visit, plans.Plan]:
    """The visit, when `staff_id` holds its order now; NotFound for anyone else (a worker sees
    only their own work)."""
    visit = await plans.get_visit(visit_id)
    if visit.order_id is None or (await order_workers([visit.order_id])).get(visit.order_id) != staff_id:
        raise NotFound("visit")
    return visit, await plans.get_plan(visit.plan_id)


async def write(visit_id: int, staff_id: int, form: LogForm) -> CareLog:
    visit, plan = await visit_for_carer(visit_id, staff_id)
    errors = {}
    unknown = [t for t in form.tasks_done if t not in plan.tasks]
    if unknown:
        errors["tasks_done"] = N_("Tick tasks of the plan's list.")
    if len(form.photos) > MAX_PHOTOS:
        errors["photos"] = N_("Add at most 6 photos.")
    if (form.vitals.systolic is None) != (form.vitals.diastolic is None):
        errors["systolic"] = N_("Give both blood pressure numbers, or neither.")
    elif form.vitals.systolic is not None and form.vitals.diastolic >= form.vitals.systolic:  # type: ignore[operator]
        errors["diastolic"] = N_("The lower number must be below the upper one.")
    if errors:
        raise ValidationFailed(errors)
    sealed = encrypt_text(msgspec.json.encode(Sealed(vitals=form.vitals, mood=form.mood, notes=form.notes.strip())).decode(),
                          context=CONTEXT)
    row = await current_connection().fetchrow(
        "insert into elder_care_log (tenant_id, plan_id, visit_id, staff_id, tasks_done, photos, data_cipher) "
        "values ($1, $2, $3, $4, $5, $6, $7) on conflict (tenant_id, visit_id) do update set tasks_done = excluded.tasks_done, "
        "photos = excluded.photos, data_cipher = excluded.data_cipher where elder_care_log.staff_id = excluded.staff_id "
        f"returning {_COLUMNS}",
        current_tenant().id, plan.id, visit.id, staff_id, form.tasks_done, form.photos, sealed)
    if row is None:
        raise Forbidden("Another carer wrote this visit's log.")
    return _log(row)


async def log_of_visit(visit_id: int) -> CareLog | None:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from elder_care_log where visit_id = $1", visit_id)
    return None if row is None else _log(row)


async def timeline(plan_id: int, *, limit: int = 50) -> list[CareLog]:
    """The plan's logs, newest first (for the family: family.plan_for decides who may ask)."""
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from elder_care_log where plan_id = $1 order by created_at desc limit $2", plan_id, limit)
    return [_log(r) for r in rows]


async def carer_visits(staff_id: int, first: date, last: date) -> list[tuple[plans.Visit, plans.Plan, CareLog | None]]:
    """The worker's elder care visits between two days (those whose order they hold now), with
    the log written so far, soonest first."""
    rows = await current_connection().fetch(
        "select id, plan_id, visit_date, starts_at, order_id, state, note, attempt from elder_care_visit "
        "where visit_date between $1 and $2 and state = 'placed' and order_id is not null order by starts_at", first, last)
    visits = [msgspec.convert(dict(r), plans.Visit) for r in rows]
    workers = await order_workers([v.order_id for v in visits])  # type: ignore[misc]
    mine = [v for v in visits if workers.get(v.order_id) == staff_id]  # type: ignore[arg-type]
    by_plan = {p.id: p for p in await plans.plans_by_id(list({v.plan_id for v in mine}))} if mine else {}
    return [(v, by_plan[v.plan_id], await log_of_visit(v.id)) for v in mine]
