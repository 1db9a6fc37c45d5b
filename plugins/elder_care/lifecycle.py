"""A care plan's life after it is made: pause and end (the visits not yet begun cancelled under
the franchise's terms), resume (booked again), and the trial's two answers: keep the carer or ask
for another. Each takes the plan's row first, then the orders through their own transitions (the
order before its assignments and payments), the lock order the daily job keeps too."""

from __future__ import annotations

from datetime import timedelta

from platform_core.plugin_api import (
    Conflict,
    cancel_order_as_customer,
    cancel_order_for_franchise,
    clock,
    current_connection,
    order_workers,
    plugin_config,
)

from .config import ElderCareConfig
from .plans import (
    PLAN_COLUMNS,
    Plan,
    State,
    current_carer,
    generate,
    get_plan,
    plan_from_row,
    today,
    visits_of,
)


async def _cancel_ahead(plan: Plan, *, only_carer: int | None = None, by_franchise: bool = False) -> tuple[int, int]:
    """Cancel the plan's visits not yet begun (of `only_carer` when given): (cancelled, kept).
    A visit the terms no longer let go (begun, done) stays, marked "kept" only when it was its
    carer's to replace; by the franchise (a carer replaced) the family pays no fee."""
    now = clock.now()
    visits = [v for v in await visits_of(plan.id, since=today(), limit=500) if v.starts_at > now and v.state in ("placed", "unplaced")]
    workers = await order_workers([v.order_id for v in visits if v.order_id is not None])
    cancelled = kept = 0
    for visit in visits:
        if only_carer is not None and workers.get(visit.order_id) != only_carer:  # type: ignore[arg-type]
            continue
        outcome = "cancelled"
        if visit.order_id is not None:
            if by_franchise:
                outcome = await cancel_order_for_franchise(visit.order_id, "care plan: the family asked for another carer")
            else:
                outcome = await cancel_order_as_customer(visit.order_id, plan.customer_id, "care plan paused or ended")
        if outcome == "cancelled":
            cancelled += 1
            await current_connection().execute("update elder_care_visit set state = 'cancelled' where id = $1", visit.id)
        else:
            kept += 1
    return cancelled, kept


async def _set_state(plan: Plan, state: State, *, allowed: tuple[str, ...]) -> Plan:
    if plan.state not in allowed:
        raise Conflict("This care plan can't do that now.")
    row = await current_connection().fetchrow(
        f"update elder_care_plan set state = $2::varchar, ended_at = case when $2::varchar = 'ended' then now() else ended_at end "
        f"where id = $1 and state = $3 returning {PLAN_COLUMNS}", plan.id, state, plan.state)
    if row is None:
        raise Conflict("This care plan changed meanwhile. Please look again.")
    return plan_from_row(row)


async def pause(plan_id: int) -> tuple[Plan, int, int]:
    """No more visits until resumed: those ahead are cancelled under the terms. (plan, cancelled, kept)"""
    plan = await _set_state(await get_plan(plan_id, lock=True), "paused", allowed=("trial", "active"))
    cancelled, kept = await _cancel_ahead(plan)
    return plan, cancelled, kept


async def resume(plan_id: int) -> Plan:
    """Back to its trial (undecided) or active, and the visits ahead placed again."""
    plan = await get_plan(plan_id, lock=True)
    plan = await _set_state(plan, "active" if plan.confirmed_at else "trial", allowed=("paused",))
    await generate(plan, (await plugin_config(ElderCareConfig)).horizon_days)
    return plan


async def end(plan_id: int) -> tuple[Plan, int, int]:
    plan = await _set_state(await get_plan(plan_id, lock=True), "ended", allowed=("trial", "active", "paused"))
    cancelled, kept = await _cancel_ahead(plan)
    return plan, cancelled, kept


async def confirm_carer(plan_id: int) -> Plan:
    """The family keeps the trial's carer: the plan is active, that carer preferred from now on."""
    plan = await get_plan(plan_id, lock=True)
    if plan.state != "trial":
        raise Conflict("The trial of this care plan is already decided.")
    carer = await current_carer(plan)
    if carer is None:
        raise Conflict("No carer has taken a visit of this plan yet.")
    row = await current_connection().fetchrow(
        f"update elder_care_plan set state = 'active', carer_id = $2, confirmed_at = now() where id = $1 returning {PLAN_COLUMNS}",
        plan.id, carer)
    return plan_from_row(row)


async def waive_trial(plan_id: int) -> None:
    """A plan taken over already decided (the demo's, a family moving from paper): active at once;
    its carer is the first who takes a visit."""
    await current_connection().execute(
        "update elder_care_plan set state = 'active', confirmed_at = now() where id = $1 and state = 'trial'", plan_id)


async def replace_carer(plan_id: int) -> tuple[Plan, int]:
    """The family asks for another carer: the one on trial is never offered this plan's visits
    again, the visits they hold are cancelled by the franchise (no fee) and placed again for
    dispatch to find another, whose own trial starts today. (plan, visits placed again)"""
    plan = await get_plan(plan_id, lock=True)
    if plan.state not in ("trial", "active"):
        raise Conflict("This care plan can't do that now.")
    carer = await current_carer(plan)
    if carer is None:
        raise Conflict("No carer has taken a visit of this plan yet.")
    config = await plugin_config(ElderCareConfig)
    row = await current_connection().fetchrow(
        "update elder_care_plan set state = 'trial', carer_id = null, confirmed_at = null, "
        f"excluded_carers = array_append(excluded_carers, $2), trial_ends_on = $3 where id = $1 returning {PLAN_COLUMNS}",
        plan.id, carer, today() + timedelta(days=max(config.trial_days, 1) - 1))
    plan = plan_from_row(row)
    await _cancel_ahead(plan, only_carer=carer, by_franchise=True)
    return plan, await generate(plan, config.horizon_days)
