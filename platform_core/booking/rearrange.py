"""When no worker was found by the franchise's deadline (dispatch/deadlines.py), the customer
picks another of the times the franchise offers, or takes a full refund. Both on one page; the
refund is also made for them at the time of the visit if they do nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core import clock
from platform_core.accounts.guards import require_customer
from platform_core.accounts.sessions import Principal
from platform_core.catalog.services import get_item
from platform_core.dispatch.services import get_settings as dispatch_settings
from platform_core.errors import HearthError, ValidationFailed
from platform_core.orders import machine as m
from platform_core.orders import services
from platform_core.orders.schemas import ActorRef, Order
from platform_core.payments import services as payment_services
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import error_context, redirect_after_post
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from .availability import available_slots, booking_rules


async def _slots(order: Order, day: date) -> list:
    """The times the franchise offers on `day` for this order (its item's skills, its length, its
    place) that still leave dispatch its whole time to find a worker: a time inside the deadline
    would dead-end again."""
    item = await get_item(order.item_id)
    minutes = int((order.scheduled_end - order.scheduled_start) / timedelta(minutes=1))
    found = await available_slots(duration_minutes=minutes, start_date=day, days=1, skills=list(item.required_skills),
                                  lat=order.address.lat, lng=order.address.lng)
    earliest = clock.now() + timedelta(hours=(await dispatch_settings()).arrange_deadline_hours)
    return [s for s in found if s.start >= earliest]


def _day(value: str | None, days: list[date]) -> date | None:
    try:
        chosen = date.fromisoformat(value or "")
    except ValueError:
        chosen = None
    return chosen if chosen in days else (days[0] if days else None)


async def _page(request: Request, order: Order, *, day: date | None = None, status_code: int = 200, **context: Any) -> Response:
    tz = ZoneInfo(current_tenant().timezone)
    rules = await booking_rules()
    today = clock.today(tz)
    # From the first day dispatch would still have its whole time for.
    first = (clock.now() + timedelta(hours=(await dispatch_settings()).arrange_deadline_hours)).astimezone(tz).date()
    days = [d for d in (today + timedelta(days=i) for i in range(rules.horizon_days)) if d >= first]
    day = day or _day(request.query_params.get("day"), days)
    context.setdefault("errors", {})
    return page(request, "orders/rearrange.html", status_code=status_code, order=order, days=days, day=day,
                slots=await _slots(order, day) if day else [], refundable=await payment_services.paid_amount(order.id), timezone=tz,
                **context)


async def _waiting_order(principal: Principal, number: str) -> Order:
    return await services.get_order_by_number(number, customer_id=principal.user_id)


@get("/orders/{number:str}/rearrange", guards=[require_customer], name="orders.rearrange")
async def rearrange_page(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await _waiting_order(principal, number)
    if order.state != m.DISPATCH_FAILED:
        return Redirect(f"/orders/{number}", status_code=303)
    return await _page(request, order)


@post("/orders/{number:str}/reschedule", guards=[require_customer], name="orders.reschedule")
async def reschedule(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await _waiting_order(principal, number)
    form = await request.form()
    raw = str(form.get("slot_start") or "")
    try:
        starts = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        starts = None
    day = starts.astimezone(ZoneInfo(current_tenant().timezone)).date() if starts and starts.tzinfo else None
    try:
        if starts is None or starts.tzinfo is None:
            raise ValidationFailed({"slot_start": N_("Choose one of the times shown.")})
        offered = next((s for s in await _slots(order, day) if s.start == starts), None)  # type: ignore[arg-type]
        if offered is None:
            raise ValidationFailed({"slot_start": N_("This time is no longer free. Please choose another.")})
        await services.reschedule_order(order.id, offered.start, offered.end, ActorRef(kind="customer", id=principal.user_id))
    except HearthError as exc:
        return await _page(request, await services.get_order(order.id), day=day, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}?done=rescheduled")


@post("/orders/{number:str}/refund-no-worker", guards=[require_customer], name="orders.refund_no_worker")
async def refund(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await _waiting_order(principal, number)
    try:
        await services.transition(order.id, "refund_no_worker", ActorRef(kind="customer", id=principal.user_id))
    except HearthError as exc:
        return await _page(request, await services.get_order(order.id), status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}?done={'refunded' if order.paid_at else 'cancelled'}")


HANDLERS = [rearrange_page, reschedule, refund]
