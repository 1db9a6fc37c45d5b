"""Care plans: recurring visits that become real orders a rolling number of days ahead, in the
franchise's zone. Pausing and ending cancel the visits not yet begun under the franchise's
cancellation terms; resuming places them again. The trial (试工) is the plan's own state: when
it ends the family keeps the carer (`confirm_carer`) or asks for another (`replace_carer`).
Who may do what to a plan is family.py's; this module trusts its callers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from platform_core.plugin_api import (
    ItemRef,
    NotFound,
    PlacedOrder,
    ValidationFailed,
    clock,
    current_connection,
    current_tenant,
    customer_addresses,
    order_workers,
    place_order_for,
    plugin_config,
    service_items,
)
from platform_core.plugin_api import (
    lazy_gettext as N_,
)

from . import elders, schedule
from .config import ElderCareConfig

CATEGORY = "elder_care"
State = Literal["trial", "active", "paused", "ended"]
STATES = {"trial": N_("Trial period"), "active": N_("Active"), "paused": N_("Paused"), "ended": N_("Ended")}
STATE_TONES = {"trial": "info", "active": "success", "paused": "warning", "ended": None}
MAX_TASKS = 20

PLAN_COLUMNS = ("id, customer_id, elder_id, item_id, address_id, weekdays, start_time, end_time, starts_on, ends_on, trial_ends_on, "
            "state, carer_id, confirmed_at, excluded_carers, tasks, notes, created_at, ended_at")


class PlanForm(msgspec.Struct, frozen=True, kw_only=True):
    """A new plan as the family fills it in (weekdays 0 = Monday)."""

    elder_id: int
    item_id: int
    address_id: int
    weekdays: list[int]
    start_time: time
    end_time: time
    starts_on: date
    ends_on: date | None = None
    tasks: list[str] = []
    notes: str = ""


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    customer_id: int
    elder_id: int
    item_id: int
    address_id: int
    weekdays: list[int]
    start_time: time
    end_time: time
    starts_on: date
    ends_on: date | None
    trial_ends_on: date
    state: State
    carer_id: int | None
    confirmed_at: datetime | None
    excluded_carers: list[int]
    tasks: list[str]
    notes: str
    created_at: datetime
    ended_at: datetime | None

    @property
    def live(self) -> bool:
        return self.state in ("trial", "active")


class Visit(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    plan_id: int
    visit_date: date
    starts_at: datetime
    order_id: int | None
    state: str
    note: str
    attempt: int


def plan_from_row(row) -> Plan:
    values = dict(row)
    values["weekdays"] = schedule.days_of(values["weekdays"])
    values["excluded_carers"] = list(values["excluded_carers"])
    values["tasks"] = list(values["tasks"])
    return msgspec.convert(values, Plan)


def _visit(row) -> Visit:
    return msgspec.convert(dict(row), Visit)


async def get_item_ref(item_id: int) -> ItemRef | None:
    """An item the franchise's customers can book now (the catalog keeps the list by its stamp)."""
    return next((i for i in await service_items() if i.id == item_id), None)


async def care_items() -> list[ItemRef]:
    return [i for i in await service_items() if i.category == CATEGORY]


def zone() -> ZoneInfo:
    return ZoneInfo(current_tenant().timezone)


def today() -> date:
    return clock.now().astimezone(zone()).date()


# ---------------------------------------------------------------------------------------------- reading


async def get_plan(plan_id: int, *, lock: bool = False) -> Plan:
    row = await current_connection().fetchrow(
        f"select {PLAN_COLUMNS} from elder_care_plan where id = $1{' for update' if lock else ''}", plan_id)
    if row is None:
        raise NotFound("plan")
    return plan_from_row(row)


async def plans_of(customer_id: int) -> list[Plan]:
    rows = await current_connection().fetch(f"select {PLAN_COLUMNS} from elder_care_plan where customer_id = $1 order by id desc", customer_id)
    return [plan_from_row(r) for r in rows]


async def plans_by_id(plan_ids: list[int]) -> list[Plan]:
    rows = await current_connection().fetch(f"select {PLAN_COLUMNS} from elder_care_plan where id = any($1::bigint[]) order by id desc",
                                            plan_ids)
    return [plan_from_row(r) for r in rows]


async def visits_of(plan_id: int, *, since: date | None = None, limit: int = 60) -> list[Visit]:
    rows = await current_connection().fetch(
        "select id, plan_id, visit_date, starts_at, order_id, state, note, attempt from elder_care_visit "
        "where plan_id = $1 and ($2::date is null or visit_date >= $2) order by visit_date limit $3", plan_id, since, limit)
    return [_visit(r) for r in rows]


async def get_visit(visit_id: int) -> Visit:
    row = await current_connection().fetchrow(
        "select id, plan_id, visit_date, starts_at, order_id, state, note, attempt from elder_care_visit where id = $1", visit_id)
    if row is None:
        raise NotFound("visit")
    return _visit(row)


async def plan_for_order(order_id: int) -> Plan | None:
    """The plan whose visit the order is, if any (dispatch's and the requirement's question)."""
    plan_id = await current_connection().fetchval("select plan_id from elder_care_visit where order_id = $1", order_id)
    return None if plan_id is None else await get_plan(plan_id)


# ---------------------------------------------------------------------------------------------- making


async def _checked(customer_id: int, form: PlanForm) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        elder = await elders.get_elder(form.elder_id)
        if elder.customer_id != customer_id:
            raise NotFound("elder")
    except NotFound:
        errors["elder_id"] = N_("Assess the person you care for first.")
    item = await get_item_ref(form.item_id)
    if item is None or item.category != CATEGORY:
        errors["item_id"] = N_("Choose one of the elder care services.")
    if form.address_id not in {a.id for a in await customer_addresses(customer_id)}:
        errors["address_id"] = N_("Choose an address or add one.")
    if not schedule.mask_of(form.weekdays):
        errors["weekdays"] = N_("Choose at least one day of the week.")
    minutes = schedule.window_minutes(form.start_time, form.end_time)
    if minutes < 60:
        errors["end_time"] = N_("A visit lasts at least an hour: end it later.")
    elif minutes % 60:
        errors["end_time"] = N_("Visits are booked by the hour: end on the hour after the start.")
    if form.starts_on < today():
        errors["starts_on"] = N_("Start today or later.")
    if form.ends_on is not None and form.ends_on < form.starts_on:
        errors["ends_on"] = N_("End on or after the start.")
    if len(form.tasks) > MAX_TASKS or any(len(t) > 100 for t in form.tasks):
        errors["tasks"] = N_("List at most 20 tasks of up to 100 characters each.")
    if len(form.notes) > 1000:
        errors["notes"] = N_("This is too long.")
    return errors


async def create_plan(customer_id: int, form: PlanForm) -> Plan:
    """A new plan in its trial, its first visits placed at once (the rest by the daily job)."""
    errors = await _checked(customer_id, form)
    if errors:
        raise ValidationFailed(errors)
    config = await plugin_config(ElderCareConfig)
    trial_ends = form.starts_on + timedelta(days=max(config.trial_days, 1) - 1)
    row = await current_connection().fetchrow(
        "insert into elder_care_plan (tenant_id, customer_id, elder_id, item_id, address_id, weekdays, start_time, end_time, "
        "starts_on, ends_on, trial_ends_on, state, confirmed_at, tasks, notes) "
        f"values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning {PLAN_COLUMNS}",
        current_tenant().id, customer_id, form.elder_id, form.item_id, form.address_id, schedule.mask_of(form.weekdays),
        form.start_time, form.end_time, form.starts_on, form.ends_on, trial_ends, "trial" if config.trial_days else "active",
        None if config.trial_days else clock.now(), [t.strip() for t in form.tasks if t.strip()], form.notes.strip())
    plan = plan_from_row(row)
    await generate(plan, config.horizon_days)
    return plan


# ---------------------------------------------------------------------------------------------- visits


def _requirements(plan: Plan) -> str:
    """What the carer reads on the order: the plan's tasks and notes."""
    lines = [N_("Care plan visit")] + [f"· {t}" for t in plan.tasks] + ([plan.notes] if plan.notes else [])
    return "\n".join(lines)[:2000]


async def _place(plan: Plan, day: date, starts_at: datetime, attempt: int) -> tuple[str, int | None, str]:
    """(state, order id, note) of one placement. A refusal (nobody free then, the address no
    longer served) is kept as "unplaced" with its reason and tried again by the next run; the
    savepoint keeps a refused placement from leaving anything behind."""
    item = await get_item_ref(plan.item_id)
    if item is None:
        return "unplaced", None, N_("This service is not offered.")
    hours = schedule.window_minutes(plan.start_time, plan.end_time) // 60
    try:
        async with current_connection().transaction():
            order: PlacedOrder = await place_order_for(
                plan.customer_id, item_id=plan.item_id, slot_start=starts_at, address_id=plan.address_id,
                idempotency_key=f"elder-care-{plan.id}-{day:%Y%m%d}-{attempt}", quantity=hours if item.pricing_model == "hourly" else None,
                requirements=_requirements(plan))
    except ValidationFailed as exc:
        return "unplaced", None, next(iter(exc.fields.values()), exc.message)[:300]
    return "placed", order.id, ""


async def generate(plan: Plan, horizon_days: int, *, on: date | None = None) -> int:
    """Place the plan's visits from today for `horizon_days` that have no order yet (new days,
    days unplaced before, days cancelled by a pause). Each day has one row (unique), and a
    placement's key names the day and the attempt, so running twice places nothing twice.
    Returns how many orders were placed."""
    if not plan.live:
        return 0
    start = on or today()
    tz, now = zone(), clock.now()
    known = {v.visit_date: v for v in await visits_of(plan.id, since=start, limit=500)}
    placed = 0
    for day in schedule.visit_dates(schedule.mask_of(plan.weekdays), plan.starts_on, plan.ends_on, start,
                                    start + timedelta(days=horizon_days - 1)):
        visit = known.get(day)
        if visit is not None and visit.state in ("placed", "kept"):
            continue
        starts_at = schedule.local_start(day, plan.start_time, tz)
        if starts_at <= now:
            continue
        attempt = 1 if visit is None else visit.attempt + (1 if visit.state == "cancelled" else 0)
        state, order_id, note = await _place(plan, day, starts_at, attempt)
        await current_connection().execute(
            "insert into elder_care_visit (tenant_id, plan_id, visit_date, starts_at, order_id, attempt, state, note) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (tenant_id, plan_id, visit_date) do update set "
            "starts_at = excluded.starts_at, order_id = excluded.order_id, attempt = excluded.attempt, state = excluded.state, "
            "note = excluded.note",
            current_tenant().id, plan.id, day, starts_at, order_id, attempt, state, note)
        placed += state == "placed"
    await refresh_carer(plan)
    return placed


async def refresh_carer(plan: Plan) -> int | None:
    """The plan's carer: the one the family kept, else the first worker who took one of its
    visits (preferred for the rest of them)."""
    if plan.carer_id is not None:
        return plan.carer_id
    visits = [v for v in await visits_of(plan.id, limit=500) if v.order_id is not None and v.state == "placed"]
    workers = await order_workers([v.order_id for v in visits])  # type: ignore[misc]
    carer = next((workers.get(v.order_id) for v in visits if workers.get(v.order_id) not in (None, *plan.excluded_carers)), None)  # type: ignore[arg-type]
    if carer is not None:
        await current_connection().execute("update elder_care_plan set carer_id = $2 where id = $1 and carer_id is null", plan.id, carer)
    return carer


async def current_carer(plan: Plan) -> int | None:
    return plan.carer_id if plan.carer_id is not None else await refresh_carer(plan)


async def live_plan_ids() -> list[int]:
    return [r["id"] for r in await current_connection().fetch("select id from elder_care_plan where state in ('trial', 'active') order by id")]
