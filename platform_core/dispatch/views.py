"""Dispatch pages: the console's board and settings, and the staff app's job offers and pool."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from platform_core.accounts.guards import require_console, require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.catalog.services import get_item
from platform_core.errors import HearthError, NotFound, ValidationFailed
from platform_core.orders import machine as m
from platform_core.orders.privacy import for_worker
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import get_order
from platform_core.pluginsys.calls import collect_now
from platform_core.runtime import current_runtime
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import done_notice, error_context, form_values
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import offers, services
from . import pool as grab_pool
from .batch import run_batch
from .candidates import rank_candidates, unqualified
from .schemas import DEFAULT_WEIGHTS, DispatchSettingsUpdate

MANAGE = [require_console("dispatch.manage")]
BOARD_ORDERS = 30
BOARD_CANDIDATES = 3

SCORE_LABELS = {
    "distance": N_("Distance"),
    "rating": N_("Rating"),
    "workload": N_("Workload balance"),
    "skills": N_("Skills match"),
}
MODE_LABELS = {
    "auto": N_("Automatic: offer each order to the best worker"),
    "manual": N_("Manual: the office assigns from the dispatch board"),
    "customer_pick": N_("Customer's pick: offer only to the worker the customer chose; orders without a pick wait on the dispatch board"),
}
NOTICES = {
    "assigned": N_("The order was offered to the worker."),
    "reassigned": N_("The order was moved to another worker."),
    "batch": N_("Waiting orders were offered to the best workers."),
    "saved": N_("Dispatch settings saved."),
    "accepted": N_("You accepted the job."),
    "declined": N_("You declined the job. It goes to another worker."),
    "claimed": N_("The job is yours."),
}


def _tz() -> ZoneInfo:
    return ZoneInfo(current_tenant().timezone)


def console_actor(request: Request) -> ActorRef:
    user = request.scope["state"]["console_user"]
    return ActorRef(kind="console", id=user.id, permissions=frozenset(request.scope["state"]["permissions"]))


# --------------------------------------------------------------------------- console: the board


async def _board_rows() -> dict[str, list[dict[str, Any]]]:
    waiting = []
    settings = await services.get_settings()
    active = await list_workers(status="active")
    for order_id in await offers.waiting_order_ids((m.PAID, m.DISPATCH_FAILED, m.NO_SHOW), limit=BOARD_ORDERS):
        order = await get_order(order_id)
        candidates = await rank_candidates(order, settings=settings, workers=active)
        waiting.append({
            "order": order, "item": await get_item(order.item_id), "candidates": candidates[:BOARD_CANDIDATES],
            "more": max(0, len(candidates) - BOARD_CANDIDATES),
        })
    held = []
    for assignment in await services.held_assignments(("offered", "accepted"), limit=BOARD_ORDERS):
        held.append({"order": await get_order(assignment.order_id), "assignment": assignment})
    return {"waiting": waiting, "held": held}


@get("/console/dispatch", guards=MANAGE, include_in_schema=False, name="dispatch-board")
async def board(request: Request) -> Response:
    workers = {w.id: w for w in await list_workers()}
    return page(request, "dispatch/board.html", console=True, tz=_tz(), workers=workers, flash=done_notice(request, NOTICES),
                settings=await services.get_settings(), **await _board_rows())


async def _order_page(request: Request, order_id: int, *, status_code: int = 200, **context: Any) -> Response:
    order = await get_order(order_id)
    live = await services.live_assignment(order_id)
    candidates = await rank_candidates(order, exclude={live.staff_id} if live else frozenset())
    workers = {w.id: w for w in await list_workers()}
    item = await get_item(order.item_id)
    # Workers with the skills who are left out for a credential or course: the office sees why.
    skilled = [w.id for w in workers.values() if w.status == "active" and set(item.required_skills) <= set(w.skills)]
    context.setdefault("errors", {})
    return page(request, "dispatch/order.html", console=True, status_code=status_code, tz=_tz(), order=order, live=live,
                item=item, not_qualified=await unqualified(order, skilled),
                candidates=candidates, history=await services.assignments_of_order(order_id), workers=workers,
                score_labels=SCORE_LABELS, flash=done_notice(request, NOTICES), **context)


@get("/console/dispatch/orders/{order_id:int}", guards=MANAGE, include_in_schema=False, name="dispatch-order")
async def order_page(request: Request, order_id: PathId) -> Response:
    return await _order_page(request, order_id)


@post("/console/dispatch/orders/{order_id:int}/assign", guards=MANAGE, include_in_schema=False, name="dispatch-assign")
async def assign(request: Request, order_id: PathId) -> Response:
    form = await request.form()
    try:
        staff_id = int(form.get("staff_id", ""))
    except ValueError:
        exc: HearthError = ValidationFailed({"staff_id": "Choose a worker."})
        return await _order_page(request, order_id, status_code=400, **error_context(exc))
    had_worker = await services.live_assignment(order_id) is not None
    try:
        await offers.assign_by_hand(order_id, staff_id, console_actor(request))
    except HearthError as exc:
        return await _order_page(request, order_id, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"/console/dispatch?done={'reassigned' if had_worker else 'assigned'}", status_code=303)


@post("/console/dispatch/batch", guards=MANAGE, include_in_schema=False, name="dispatch-batch")
async def batch_now(request: Request) -> Response:
    await run_batch(by_hand=True)
    return Redirect("/console/dispatch?done=batch", status_code=303)


# --------------------------------------------------------------------------- console: settings


def _weight_names(weights: dict[str, float]) -> list[str]:
    """The core's scores, the strategies of the plugins the tenant has on, and any name already
    weighted."""
    names = list(DEFAULT_WEIGHTS)
    for _, name in collect_now(current_runtime().hooks(current_tenant()).provide_dispatch_strategies):
        if name not in names:
            names.append(name)
    names.extend(n for n in weights if n not in names)
    return names


async def _settings_page(request: Request, *, status_code: int = 200, values: dict[str, Any] | None = None, **context: Any) -> Response:
    current = await services.get_settings()
    if values is None:
        values = {"mode": current.mode, "grab_pool": current.grab_pool, "accept_timeout_minutes": str(current.accept_timeout_s // 60),
                  "travel_speed_kmh": str(current.travel_speed_kmh), "arrange_deadline_hours": str(current.arrange_deadline_hours),
                  "office_alert_hours": str(current.office_alert_hours),
                  **{f"weight_{n}": f"{current.weights.get(n, 0):g}" for n in _weight_names(current.weights)}}
    context.setdefault("errors", {})
    return page(request, "dispatch/settings.html", console=True, status_code=status_code, values=values,
                weight_names=_weight_names(current.weights), score_labels=SCORE_LABELS, mode_labels=MODE_LABELS,
                flash=done_notice(request, NOTICES), **context)


def settings_update_from(values: dict[str, str], names: list[str]) -> DispatchSettingsUpdate:
    errors: dict[str, str] = {}

    def number(field: str, low: float, high: float, message: str) -> float | None:
        try:
            value = float(values.get(field, "").strip())
        except ValueError:
            errors[field] = "Enter a number."
            return None
        if not low <= value <= high:
            errors[field] = message
            return None
        return value

    mode = values.get("mode", "")
    if mode not in MODE_LABELS:
        errors["mode"] = "Choose a dispatch mode."
    minutes = number("accept_timeout_minutes", 1, 1440, "Enter a number of minutes between 1 and 1440.")
    speed = number("travel_speed_kmh", 1, 120, "Enter a speed between 1 and 120 km/h.")
    deadline = number("arrange_deadline_hours", 1, 168, N_("Enter a number of hours between 1 and 168."))
    alert = number("office_alert_hours", 0, 168, N_("Enter a number of hours between 0 and 168."))
    weights = {n: number(f"weight_{n}", 0, 100, "Enter a weight between 0 and 100.") for n in names}
    if errors:
        raise ValidationFailed(errors)
    return DispatchSettingsUpdate(
        mode=mode, grab_pool=values.get("grab_pool") == "1", accept_timeout_s=int(minutes * 60),  # type: ignore[operator]
        travel_speed_kmh=int(speed), arrange_deadline_hours=int(deadline), office_alert_hours=int(alert),  # type: ignore[arg-type]
        weights={n: w for n, w in weights.items() if w is not None},  # type: ignore[arg-type]
    )


@get("/console/dispatch/settings", guards=MANAGE, include_in_schema=False, name="dispatch-settings")
async def settings_page(request: Request) -> Response:
    return await _settings_page(request)


@post("/console/dispatch/settings", guards=MANAGE, include_in_schema=False, name="dispatch-settings-save")
async def settings_save(request: Request) -> Response:
    values = form_values(await request.form())
    current = await services.get_settings()
    try:
        await services.update_settings(settings_update_from(values, _weight_names(current.weights)))
    except HearthError as exc:
        return await _settings_page(request, status_code=exc.status_code, values=values, **error_context(exc))
    return Redirect("/console/dispatch/settings?done=saved", status_code=303)


# --------------------------------------------------------------------------- staff app: offers and the pool


async def _job_rows(assignments) -> list[dict[str, Any]]:
    rows = []
    for a in assignments:
        order = await for_worker(await get_order(a.order_id))
        rows.append({"assignment": a, "order": order, "item": await get_item(order.item_id),
                     "facts": await services.offer_facts(order, a.staff_id)})
    return rows


@get("/staff/jobs", guards=[require_staff], include_in_schema=False, name="staff-jobs")
async def jobs(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    mine = await offers.offers_for(staff.id)
    settings = await services.get_settings()
    return page(request, "dispatch/staff_jobs.html", staff=staff, tz=_tz(), grab_pool=settings.grab_pool, flash=done_notice(request, NOTICES),
                offered=await _job_rows([a for a in mine if a.status == "offered"]),
                accepted=await _job_rows([a for a in mine if a.status == "accepted"]))


async def _job_page(request: Request, staff_id: int, assignment_id: int, *, status_code: int = 200, **context: Any) -> Response:
    assignment = await offers.staff_assignment(staff_id, assignment_id)
    order = await for_worker(await get_order(assignment.order_id))
    return page(request, "dispatch/staff_job.html", status_code=status_code, tz=_tz(), assignment=assignment, order=order,
                item=await get_item(order.item_id), facts=await services.offer_facts(order, staff_id),
                flash=done_notice(request, NOTICES), **context)


@get("/staff/jobs/{assignment_id:int}", guards=[require_staff], include_in_schema=False, name="staff-job")
async def job(request: Request, principal: NamedDependency[Principal], assignment_id: PathId) -> Response:
    staff = await active_staff(principal)
    return await _job_page(request, staff.id, assignment_id)


@post("/staff/jobs/{assignment_id:int}/accept", guards=[require_staff], include_in_schema=False, name="staff-job-accept")
async def job_accept(request: Request, principal: NamedDependency[Principal], assignment_id: PathId) -> Response:
    staff = await active_staff(principal)
    try:
        await offers.accept_offer(staff.id, assignment_id)
    except HearthError as exc:
        return await _job_page(request, staff.id, assignment_id, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"/staff/jobs/{assignment_id}?done=accepted", status_code=303)


@post("/staff/jobs/{assignment_id:int}/decline", guards=[require_staff], include_in_schema=False, name="staff-job-decline")
async def job_decline(request: Request, principal: NamedDependency[Principal], assignment_id: PathId) -> Response:
    staff = await active_staff(principal)
    form = await request.form()
    try:
        await offers.decline_offer(staff.id, assignment_id, reason=str(form.get("reason", "")))
    except HearthError as exc:
        return await _job_page(request, staff.id, assignment_id, status_code=exc.status_code, **error_context(exc))
    return Redirect("/staff/jobs?done=declined", status_code=303)


async def _pool_page(request: Request, staff, *, status_code: int = 200, **context: Any) -> Response:
    if not (await services.get_settings()).grab_pool:
        raise NotFound("page")
    rows = [{"order": o, "candidate": c, "item": await get_item(o.item_id)} for o, c in await grab_pool.pool_orders(staff.id)]
    return page(request, "dispatch/staff_pool.html", status_code=status_code, tz=_tz(), rows=rows, staff=staff, **context)


@get("/staff/pool", guards=[require_staff], include_in_schema=False, name="staff-pool")
async def pool(request: Request, principal: NamedDependency[Principal]) -> Response:
    return await _pool_page(request, await active_staff(principal))


@post("/staff/pool/{order_id:int}/claim", guards=[require_staff], include_in_schema=False, name="staff-pool-claim")
async def pool_claim(request: Request, principal: NamedDependency[Principal], order_id: PathId) -> Response:
    staff = await active_staff(principal)
    try:
        assignment = await grab_pool.claim_order(staff.id, order_id)
    except HearthError as exc:
        if exc.status_code == 404:
            raise
        return await _pool_page(request, staff, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"/staff/jobs/{assignment.id}?done=claimed", status_code=303)


HANDLERS = [board, order_page, assign, batch_now, settings_page, settings_save, jobs, job, job_accept, job_decline, pool, pool_claim]
