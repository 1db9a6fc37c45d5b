"""The customer's page when no worker was found by the franchise's deadline: another time, or
cancel at no charge with a full refund (rescheduling.py). The refund is also made for them at
the time of the visit if they do nothing (dispatch/deadlines.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.accounts.guards import require_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError
from platform_core.orders import machine as m
from platform_core.orders import services
from platform_core.orders.schemas import Order
from platform_core.payments import services as payment_services
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import error_context, redirect_after_post
from platform_core.web.pages import page

from . import rescheduling


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


async def _page(request: Request, order: Order, *, day: date | None = None, status_code: int = 200, **context: Any) -> Response:
    times = await rescheduling.other_times(order, day or _date(request.query_params.get("day")))
    context.setdefault("errors", {})
    return page(request, "orders/rearrange.html", status_code=status_code, order=order, times=times,
                refundable=await payment_services.paid_amount(order.id), timezone=ZoneInfo(times.timezone), **context)


@get("/orders/{number:str}/rearrange", guards=[require_customer], name="orders.rearrange")
async def rearrange_page(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    if order.state != m.DISPATCH_FAILED:
        return Redirect(f"/orders/{number}", status_code=303)
    return await _page(request, order)


@post("/orders/{number:str}/reschedule", guards=[require_customer], name="orders.reschedule")
async def reschedule(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    form = await request.form()
    try:
        starts = datetime.fromisoformat(str(form.get("slot_start") or ""))
    except ValueError:
        starts = None
    day = starts.astimezone(ZoneInfo(current_tenant().timezone)).date() if starts and starts.tzinfo else None
    try:
        await rescheduling.reschedule(order, starts, principal.user_id)
    except HearthError as exc:
        return await _page(request, await services.get_order(order.id), day=day, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}?done=rescheduled")


@post("/orders/{number:str}/refund-no-worker", guards=[require_customer], name="orders.refund_no_worker")
async def refund(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    try:
        await rescheduling.cancel_at_no_charge(order, principal.user_id)
    except HearthError as exc:
        return await _page(request, await services.get_order(order.id), status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}?done={'refunded' if order.paid_at else 'cancelled'}")


HANDLERS = [rearrange_page, reschedule, refund]
