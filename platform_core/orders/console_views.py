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

from platform_core.accounts.console_services import list_console_users
from platform_core.accounts.guards import require_console
from platform_core.accounts.services import (
    customer_names,
    get_customer,
    get_staff,
    staff_names,
)
from platform_core.bounds import is_digits
from platform_core.catalog.services import flatten, list_categories
from platform_core.db import current_connection
from platform_core.errors import Forbidden, HearthError, NotFound, ValidationFailed
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.services import service_contact_from, set_service_contact
from platform_core.web.forms import error_context
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services, thread, visit
from .machine import StateMachine
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
CORE_MACHINE = StateMachine()  # the office's events are the core's, in every category
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
        if is_digits((query.get(name) or "")):
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


ACTOR_KINDS = {"customer": N_("Customer"), "staff": N_("Worker"), "console": N_("Office"), "system": N_("System"),
               "plugin": N_("Plugin")}


async def _actor_names(timeline: list) -> dict[tuple[str, int], str]:
    """Who did each step, by name: the timeline says "Office · Li Na", never "console #3"."""
    ids: dict[str, set[int]] = {"customer": set(), "staff": set(), "console": set()}
    for e in timeline:
        if e.actor_id and e.actor_kind in ids:
            ids[e.actor_kind].add(e.actor_id)
    names: dict[tuple[str, int], str] = {}
    if ids["customer"]:
        names.update({("customer", k): v for k, v in (await customer_names(ids["customer"])).items()})
    if ids["staff"]:
        names.update({("staff", k): v for k, v in (await staff_names(ids["staff"])).items()})
    if ids["console"]:
        names.update({("console", u.id): u.display_name for u in await list_console_users() if u.id in ids["console"]})
    return names


async def _detail(request: Request, number: str, **extra: Any) -> Response:
    order = await services.get_order_by_number(number)
    machine = services.machine_for_order(order.category_code)
    granted = request.scope["state"]["permissions"]
    possible = {t.event for t in machine.events_from(order.state, "console") if machine.console_permission(t.event) in granted}
    if order.paid_at is not None:
        possible.discard("mark_paid")
    timeline = await services.timeline(order.id)
    # Finance reconciles orders without seeing who the customer is or where they live.
    customer_details = "customers.view" in granted
    staff_id = await services.live_staff_id(order.id)
    requested = order.requested_staff_id
    done = DONE.get(request.query_params.get("done", ""))
    return page(
        request, "orders/console_order.html", order=order, timeline=timeline, actor_kinds=ACTOR_KINDS,
        actor_names=await _actor_names(timeline) if customer_details else {}, customer_details=customer_details,
        thread=await thread.messages(order, console_actor(request)), me="console", can_write=False, thread_action=None,
        answers=await services.booking_answers(order) if customer_details else [],
        labels={t.event: t.label for t in machine.transitions.values()},
        actions=[(event, label) for event, label in CONSOLE_EVENTS.items() if event in possible], danger=DANGER_EVENTS,
        customer=await get_customer(order.customer_id) if customer_details else None, worker=await get_staff(staff_id) if staff_id else None,
        requested=await get_staff(requested) if requested else None, timezone=ZoneInfo(current_tenant().timezone),
        flash=[("success", done)] if done else [], show_actor=True, console=True, **extra,
    )


@get("/console/orders/{number:str}", guards=[require_console("orders.view")], include_in_schema=False, name="console-order")
async def order_page(request: Request, number: FromPath[str]) -> Response:
    return await _detail(request, number)


@post("/console/orders/{number:str}/events/{event:str}", guards=[require_console("orders.view")], include_in_schema=False,
      name="console-order-event")
async def fire_event(request: Request, number: FromPath[str], event: FromPath[str]) -> Response:
    """A manual action. Each needs its permission (the machine's has_permission_* guard), checked
    before the order is read so a role without it learns nothing about the order."""
    if event not in CONSOLE_EVENTS:
        raise NotFound("action")
    if CORE_MACHINE.console_permission(event) not in request.scope["state"]["permissions"]:
        raise Forbidden()
    order = await services.get_order_by_number(number)
    form = await request.form()
    note = str(form.get("note") or "").strip()
    try:
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


@post("/console/orders/{number:str}/phone", guards=[require_console("customers.view")], include_in_schema=False,
      name="console-order-phone")
async def reveal_phone(request: Request, number: FromPath[str]) -> Response:
    """The customer's full phone, shown once on this answer; the timeline records who read it."""
    order = await services.get_order_by_number(number)
    full = await visit.reveal_customer_phone(order, console_actor(request))
    return await _detail(request, number, full_phone=full or "—")


# --------------------------------------------------------------------------- booking rules

# The franchise's service line and hours (kept with the tenant), on the same settings page.
CONTACT_FIELDS = ("service_phone", "service_opens", "service_closes")
SETTING_LIMITS = {
    "slot_minutes": (15, 60), "lead_minutes": (0, 10080), "horizon_days": (1, 90), "free_cancel_hours": (0, 720),
    "late_cancel_fee_percent": (0, 100), "reminder_hours": (0, 72),
}


@get("/console/orders/settings", guards=[require_console("settings.manage")], include_in_schema=False, name="console-booking-settings")
async def settings_page(request: Request) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    current = await services.booking_settings()
    contact = current_tenant().contact
    values = {**msgspec.structs.asdict(current), "service_phone": contact.phone, "service_opens": contact.opens,
              "service_closes": contact.closes}
    return page(request, "orders/console_settings.html", console=True, values=values, errors={},
                flash=[("success", done)] if done else [])


@post("/console/orders/settings", guards=[require_console("settings.manage")], include_in_schema=False, name="console-booking-settings-save")
async def settings_save(request: Request) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in (*SETTING_LIMITS, "relay_phone", *CONTACT_FIELDS)}
    contact_errors: dict[str, str] = {}
    try:
        contact = service_contact_from(values["service_phone"], values["service_opens"], values["service_closes"])
    except ValidationFailed as exc:
        contact_errors = exc.fields
    try:
        # A savepoint: the booking rules are not kept when the contact fields are wrong, and the
        # form shows every field's error at once.
        async with current_connection().transaction():
            try:
                await services.save_booking_settings(current_tenant(), values, SETTING_LIMITS)
            except ValidationFailed as exc:
                raise ValidationFailed({**contact_errors, **exc.fields}) from None
            if contact_errors:
                raise ValidationFailed(contact_errors)
            await set_service_contact(current_tenant().id, contact)
    except HearthError as exc:
        return page(request, "orders/console_settings.html", console=True, status_code=exc.status_code, values=values, flash=[],
                    **error_context(exc))
    return Redirect("/console/orders/settings?done=settings", status_code=303)


CONSOLE_HANDLERS = [orders_page, exceptions_page, settings_page, settings_save, order_page, fire_event, reveal_phone]
