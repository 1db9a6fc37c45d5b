"""Console pages: every order with filters and search, the exceptions queue, an order's detail
with its timeline and the manual actions the machine allows a console user, and the booking
rules (cancellation fee, reminders, the relay line)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.accounts.guards import require_console
from platform_core.accounts.services import get_customer, get_staff
from platform_core.catalog.services import flatten, list_categories
from platform_core.errors import HearthError, NotFound, ValidationFailed
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import error_context
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .schemas import ActorRef, OrderFilter

# What the office may do by hand here, as its buttons say it; offering and reassigning live on
# dispatch's board.
CONSOLE_EVENTS = {
    "mark_paid": N_("Mark paid"),
    "cancel_by_franchise": N_("Cancel the order"),
    "report_no_show": N_("Report a no-show"),
    "open_dispute": N_("Open a dispute"),
    "resolve_redispatch": N_("Send back to dispatch"),
    "resolve_complete": N_("Resolve as completed"),
}
DANGER_EVENTS = frozenset({"cancel_by_franchise", "report_no_show", "open_dispute"})
DONE = {
    "mark_paid": N_("The order is marked paid."),
    "cancel_by_franchise": N_("The order is cancelled."),
    "settings": N_("The booking rules are saved."),
}


def console_actor(request: Request) -> ActorRef:
    state = request.scope["state"]
    return ActorRef(kind="console", id=state["console_user"].id, permissions=frozenset(state.get("permissions", ())))


def _filter(request: Request) -> OrderFilter:
    query = request.query_params
    raw: dict[str, Any] = {k: query.get(k) for k in ("state", "date_from", "date_to", "category", "district", "q") if query.get(k)}
    for name in ("staff_id", "page"):
        if (query.get(name) or "").isdigit():
            raw[name] = int(query[name])
    raw["exceptions"] = request.url.path.endswith("/exceptions")
    return msgspec.convert(raw, OrderFilter)


async def _list(request: Request) -> Response:
    tenant = current_tenant()
    f = _filter(request)
    errors: dict[str, str] = {}
    try:
        found = await services.search_orders(f)
    except ValidationFailed as exc:
        errors = {k: str(v) for k, v in exc.fields.items()}
        found = await services.search_orders(msgspec.structs.replace(f, date_from="", date_to=""))
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return page(
        request, "orders/console_orders.html", console=True, filters=f, found=found, errors=errors, query=query,
        states=list(services.order_states()), categories=flatten(await list_categories(tenant, for_customer=False)),
        workers=await list_workers(), districts=await services.order_districts(), timezone=ZoneInfo(tenant.timezone),
        pages=(found.total + f.per_page - 1) // f.per_page,
    )


@get("/console/orders", guards=[require_console("orders.view")], include_in_schema=False, name="console-orders")
async def orders_page(request: Request) -> Response:
    return await _list(request)


@get("/console/orders/exceptions", guards=[require_console("orders.view")], include_in_schema=False, name="console-order-exceptions")
async def exceptions_page(request: Request) -> Response:
    return await _list(request)


async def _detail(request: Request, number: str, **extra: Any) -> Response:
    order = await services.get_order_by_number(number)
    machine = services.machine_for_order(order.category_code)
    possible = {t.event for t in machine.events_from(order.state, "console")}
    if order.paid_at is not None:
        possible.discard("mark_paid")
    staff_id = await services.live_staff_id(order.id)
    requested = order.requested_staff_id
    done = DONE.get(request.query_params.get("done", ""))
    return page(
        request, "orders/console_order.html", order=order, timeline=await services.timeline(order.id),
        answers=await services.booking_answers(order),
        labels={t.event: t.label for t in machine.transitions.values()},
        actions=[(event, label) for event, label in CONSOLE_EVENTS.items() if event in possible], danger=DANGER_EVENTS,
        customer=await get_customer(order.customer_id), worker=await get_staff(staff_id) if staff_id else None,
        requested=await get_staff(requested) if requested else None, timezone=ZoneInfo(current_tenant().timezone),
        flash=[("success", done)] if done else [], show_actor=True, console=True, **extra,
    )


@get("/console/orders/{number:str}", guards=[require_console("orders.view")], include_in_schema=False, name="console-order")
async def order_page(request: Request, number: FromPath[str]) -> Response:
    return await _detail(request, number)


@post("/console/orders/{number:str}/events/{event:str}", guards=[require_console("orders.view")], include_in_schema=False,
      name="console-order-event")
async def fire_event(request: Request, number: FromPath[str], event: FromPath[str]) -> Response:
    """A manual action; the machine's guards decide who may (mark paid needs finance.manage)."""
    order = await services.get_order_by_number(number)
    form = await request.form()
    note = str(form.get("note") or "").strip()
    try:
        if event not in CONSOLE_EVENTS:
            raise NotFound("action")
        if len(note) > 500:
            raise ValidationFailed({"note": N_("This is too long.")})
        if event in DANGER_EVENTS and not note:
            raise ValidationFailed({"note": N_("Say why, for the timeline.")})
        await services.transition(order.id, event, console_actor(request), note=note)
    except NotFound:
        raise
    except HearthError as exc:
        return await _detail(request, number, status_code=exc.status_code, failed_event=event, **error_context(exc))
    return Redirect(f"/console/orders/{number}?done={event}", status_code=303)


# --------------------------------------------------------------------------- booking rules

SETTING_LIMITS = {
    "slot_minutes": (15, 60), "lead_minutes": (0, 10080), "horizon_days": (1, 90), "free_cancel_hours": (0, 720),
    "late_cancel_fee_percent": (0, 100), "reminder_hours": (0, 72),
}


@get("/console/orders/settings", guards=[require_console("settings.manage")], include_in_schema=False, name="console-booking-settings")
async def settings_page(request: Request) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    current = await services.booking_settings()
    return page(request, "orders/console_settings.html", console=True, values=msgspec.structs.asdict(current), errors={},
                flash=[("success", done)] if done else [])


@post("/console/orders/settings", guards=[require_console("settings.manage")], include_in_schema=False, name="console-booking-settings-save")
async def settings_save(request: Request) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in (*SETTING_LIMITS, "relay_phone")}
    try:
        await services.save_booking_settings(current_tenant(), values, SETTING_LIMITS)
    except HearthError as exc:
        return page(request, "orders/console_settings.html", console=True, status_code=exc.status_code, values=values, flash=[],
                    **error_context(exc))
    return Redirect("/console/orders/settings?done=settings", status_code=303)


CONSOLE_HANDLERS = [orders_page, exceptions_page, settings_page, settings_save, order_page, fire_event]
