"""Customer pages: booking a service (/book/{slug}, mobile first; htmx loads a day's slots and
updates the price line by line), the customer's orders, an order's details with its fees and
timeline, cancelling with the fee shown first, and how to reach the worker."""

from __future__ import annotations

import math
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core import clock
from platform_core.accounts.guards import require_customer
from platform_core.accounts.services import active_customer, list_addresses
from platform_core.accounts.sessions import Principal
from platform_core.bounds import INT64_MAX, is_digits
from platform_core.catalog.quotes import (
    booking_fields_for,
    counts_quantity,
    is_long_stay,
)
from platform_core.catalog.services import get_item_by_slug
from platform_core.dispatch import deadlines as dispatch_deadlines
from platform_core.errors import HearthError, ValidationFailed
from platform_core.orders import machine as m
from platform_core.orders import services
from platform_core.orders.schemas import ActorRef, NewAddress, OrderPlace
from platform_core.orders.thread import post_message
from platform_core.orders.visit import confirm_completion
from platform_core.payments import services as payment_services
from platform_core.payments.schemas import REFUND_STATUSES
from platform_core.payments.views import POLL_SECONDS, method_labels
from platform_core.staff.services import workers_for_skills
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads as media
from platform_core.web.forms import error_context, optional_int, redirect_after_post
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.maps import REGIONS_URL, map_csp, region_data, tile_layer
from platform_core.web.pages import page

from . import services as booking
from .availability import booking_window, eligible_workers, item_availability
from .contact import contact_context

DONE = {
    "placed": N_("Your order is placed. We are finding your worker."),
    "paid": N_("Payment received. We are finding your worker."),
    "cancelled": N_("The order is cancelled."),
    "rescheduled": N_("Your new time is booked. We are arranging your worker."),
    "refunded": N_("The order is cancelled. Your money is on its way back."),
    "confirmed": N_("Thank you for confirming. How did it go? Your rating helps the worker."),
}
ADDRESS_FIELDS = ("contact_name", "contact_phone", "region", "city", "district", "street", "detail", "area_code")


def _days(count: int) -> list[date]:
    tz = ZoneInfo(current_tenant().timezone)
    today = clock.today(tz)
    return [today + timedelta(days=i) for i in range(count)]


def _quantity(raw: Any, errors: dict[str, str]) -> int | None:
    """The form's quantity as typed: blank is the item's minimum, anything else a whole number
    the item's limits then check (never quietly changed)."""
    text = str(raw or "").strip()
    if not text:
        return None
    if not is_digits(text) or len(text) > 6:
        errors["quantity"] = N_("Enter a whole number.")
        return None
    return int(text)


def _coordinate(raw: Any) -> float | None:
    """Where a picked suggestion placed the new address; anything else leaves it to the address
    book (the map provider, or the district's centre)."""
    try:
        value = float(str(raw or ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _coupon_choice(raw: Any) -> int | None:
    """The coupon radio's value: an id, or None for "no coupon" (or anything no row can be)."""
    value = optional_int(raw)
    return value if value is not None and 1 <= value <= INT64_MAX else None


async def _pricing(customer_id: int, item: Any, quantity: int | None, addon_ids: list[int], booked: booking.Booked,
                   chosen: Any) -> dict[str, Any]:
    """The price, the customer's coupons for it, the coupon priced in and, when the one chosen
    no longer applies (a smaller basket, another day), why, with the price without it. `chosen`
    None: the page's first view, where the best coupon is preselected."""
    booked = msgspec.structs.replace(booked, coupon_id=_coupon_choice(chosen))
    coupon_error = None
    try:
        quote, coupons = await booking.checkout(customer_id, item, quantity, addon_ids, booked, preselect=chosen is None)
    except ValidationFailed as exc:
        if "coupon_id" not in exc.fields:
            raise
        coupon_error = exc.fields["coupon_id"]
        quote, coupons = await booking.checkout(customer_id, item, quantity, addon_ids, msgspec.structs.replace(booked, coupon_id=None))
    in_use = next((line.code for line in quote.lines if line.code.startswith("coupon:")), "")
    return {"quote": quote, "coupons": coupons, "chosen_coupon": int(in_use[len("coupon:"):]) if in_use else None,
            "coupon_error": coupon_error}


def _booked(customer_addresses: list[Any], address_id: Any, slot: Any) -> booking.Booked:
    """What the form says of the visit's time and place, for the prices that depend on them."""
    chosen = optional_int(address_id)
    district = next((a.district for a in customer_addresses if a.id == chosen), "")
    try:
        slot_start = datetime.fromisoformat(str(slot)) if slot and slot != "asap" else None
    except ValueError:
        slot_start = None
    if slot_start is not None and slot_start.tzinfo is None:
        slot_start = slot_start.replace(tzinfo=ZoneInfo(current_tenant().timezone))
    return booking.Booked(slot_start=slot_start, district=district)


async def _uploaded(upload: Any) -> str | None:
    """A file input's photo stored, its URL; None when no file was chosen. ValidationFailed as
    save_image raises it."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return media.save_image(current_tenant(), await upload.read(media.MAX_BYTES + 1))


async def _form_order(request: Request, item_id: int) -> tuple[OrderPlace, str, dict[str, Any], dict[str, str]]:
    """The booking form as an OrderPlace, its idempotency key, the raw values to refill the form
    with, and the errors found reading it (an upload refused, a quantity that is not a number),
    to be shown with placement's. New photos are stored first; their URLs ride along in hidden
    fields."""
    form = await request.form()
    values = {k: form.get(k) for k in form.keys() if not k.startswith("upload.")}
    photos = [u for u in form.getall("photos") if u] if "photos" in form else []
    errors: dict[str, str] = {}
    for upload in form.getall("photo_files") if "photo_files" in form else []:
        try:
            if url := await _uploaded(upload):
                photos.append(url)
        except ValidationFailed as exc:
            errors["photos"] = exc.fields["file"]
    fields = {k[len("fields."):]: v for k, v in values.items() if k.startswith("fields.")}
    # A photo booking field: its file input is upload.<name>; the stored URL rides in fields.<name>.
    for key in form.keys():
        if key.startswith("upload."):
            name = key[len("upload."):]
            try:
                if url := await _uploaded(form.get(key)):
                    fields[name] = values[f"fields.{name}"] = url
            except ValidationFailed as exc:
                errors[f"fields.{name}"] = exc.fields["file"]
    address = None
    address_choice = form.get("address_id") or "new"
    if address_choice == "new":
        address = NewAddress(
            **{name: str(form.get(f"address.{name}") or "") for name in ADDRESS_FIELDS},  # type: ignore[arg-type]
            lat=_coordinate(form.get("address.lat")), lng=_coordinate(form.get("address.lng")),
        )
    slot = form.get("slot_start") or ""
    asap = slot == "asap"
    try:
        slot_start = None if asap or not slot else datetime.fromisoformat(str(slot))
    except ValueError:
        slot_start = None
    try:
        start_date = date.fromisoformat(str(form.get("start_date") or "")) if form.get("start_date") else None
    except ValueError:
        errors["start_date"] = N_("Enter a date as YYYY-MM-DD.")
        start_date = None
    data = OrderPlace(
        item_id=item_id, quantity=_quantity(form.get("quantity"), errors),
        addon_ids=[i for i in map(optional_int, form.getall("addon_ids") if "addon_ids" in form else []) if i],
        address_id=optional_int(address_choice), address=address, asap=asap, slot_start=slot_start, start_date=start_date,
        staff_id=optional_int(form.get("staff_id")), requirements=str(form.get("requirements") or ""), fields=fields, photos=photos,
        payment_method=form.get("payment_method") if form.get("payment_method") in ("online", "after_service") else None,
        coupon_id=_coupon_choice(form.get("coupon_id")),
    )
    values["photos"] = photos
    values["addon_ids"] = data.addon_ids
    return data, str(form.get("idempotency_key") or ""), values, errors


async def _booking_context(principal: Principal, slug: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The page's parts; `values`: the form as sent (None: the first view, with the first
    address, as soon as possible and the best coupon)."""
    tenant = current_tenant()
    item = await get_item_by_slug(slug, for_customer=tenant)
    rules = await services.booking_settings()
    days = _days(rules.horizon_days + (await booking_window(principal.user_id, item)).extra_horizon_days)
    addresses = await list_addresses(principal.user_id)
    if values is None:
        pricing = await _pricing(principal.user_id, item, None, [], _booked(addresses, addresses[0].id if addresses else None, None), None)
    else:
        pricing = await _pricing(principal.user_id, item, _quantity(values.get("quantity"), {}), values.get("addon_ids") or [],
                                 _booked(addresses, values.get("address_id"), values.get("slot_start")), values.get("coupon_id", ""))
    return {
        **pricing,
        "item": item,
        "addresses": addresses,
        "form_fields": booking_fields_for(tenant, item),
        "workers": await eligible_workers(item, await workers_for_skills(item.required_skills), principal.user_id),
        "days": days,
        "long_stay": is_long_stay(item),
        "counts_quantity": counts_quantity(item),
        "timezone": tenant.timezone,
        "free_cancel_hours": rules.free_cancel_hours,
        "pay_online": await booking.takes_payments_online(item.currency),
        "regions_url": REGIONS_URL if region_data() is not None else "",
    }


@get("/book/{slug:str}", guards=[require_customer], name="orders.book")
async def book_page(request: Request, principal: NamedDependency[Principal], slug: FromPath[str]) -> Response:
    context = await _booking_context(principal, slug)
    values: dict[str, Any] = {
        "idempotency_key": secrets.token_urlsafe(18), "quantity": context["item"].min_quantity,
        "slot_start": "" if context["long_stay"] else "asap",
        "address_id": str(context["addresses"][0].id) if context["addresses"] else "new",
        "day": context["days"][0].isoformat(), "photos": [], "addon_ids": [],
        "payment_method": "online" if context["pay_online"] else "after_service",
    }
    return page(request, "orders/book.html", values=values, errors={}, **context)


@post("/book/{slug:str}", guards=[require_customer], name="orders.place")
async def place_from_page(request: Request, principal: NamedDependency[Principal], slug: FromPath[str]) -> Response:
    customer = await active_customer(principal)
    item = await get_item_by_slug(slug, for_customer=current_tenant())
    data, key, values, form_errors = await _form_order(request, item.id)
    try:
        order = await booking.place_order(customer.id, data, key, found=form_errors)
    except ValidationFailed as exc:
        # The price of what the form says, or (a quantity or add-on refused) the reason there is none.
        refused = exc.fields.get("quantity") or exc.fields.get("addon_ids")
        context = await _booking_context(principal, slug, None if refused else values)
        if refused:
            context["quote"] = None
        return page(request, "orders/book.html", status_code=400, values=values, error=refused, **context, **error_context(exc))
    if order.state == m.PENDING_PAYMENT:
        return redirect_after_post(request, f"/orders/{order.number}/pay")
    return redirect_after_post(request, f"/orders/{order.number}?done=placed")


@get("/book/{slug:str}/slots", guards=[require_customer], name="orders.slots")
async def slots_fragment(request: Request, principal: NamedDependency[Principal], slug: FromPath[str]) -> Response:
    """A day's free times (htmx); the chosen worker and the hours booked narrow them."""
    query = request.query_params
    day = query.get("day") or _days(1)[0].isoformat()
    staff_id, quantity = optional_int(query.get("staff_id")), optional_int(query.get("quantity"))
    try:
        try:
            availability = await item_availability(item=slug, day=day, staff_id=staff_id, quantity=quantity, customer_id=principal.user_id)
        except ValidationFailed as exc:
            if "quantity" not in exc.fields:
                raise
            # The quantity's own error shows at its field: the times are those of the least.
            availability = await item_availability(item=slug, day=day, staff_id=staff_id, customer_id=principal.user_id)
        error = None
    except ValidationFailed as exc:
        availability, error = None, next(iter(exc.fields.values()), exc.message)
    return page(request, "orders/_slots.html", availability=availability, error=error, selected=query.get("slot_start", ""),
                timezone=current_tenant().timezone)


@post("/book/{slug:str}/price", guards=[require_customer], name="orders.price")
async def price_fragment(request: Request, principal: NamedDependency[Principal], slug: FromPath[str]) -> Response:
    """The price line by line for what the form says now (htmx, on every change)."""
    item = await get_item_by_slug(slug, for_customer=current_tenant())
    form = await request.form()
    addon_ids = [i for i in map(optional_int, form.getall("addon_ids") if "addon_ids" in form else []) if i]
    errors: dict[str, str] = {}
    quantity = _quantity(form.get("quantity"), errors)
    pricing: dict[str, Any] = {"quote": None, "coupons": None}
    try:
        if errors:
            raise ValidationFailed(errors)
        booked = _booked(await list_addresses(principal.user_id), form.get("address_id"), form.get("slot_start"))
        pricing = await _pricing(principal.user_id, item, quantity, addon_ids, booked, form.get("coupon_id", ""))
        error = None
    except ValidationFailed as exc:
        error = next(iter(exc.fields.values()))
    # The phone's sticky bar shows the same total; htmx swaps it out of band.
    return page(request, "orders/_price.html", **pricing, error=error, bar=True)


# --------------------------------------------------------------------------- my orders


@get("/orders", guards=[require_customer], name="orders.mine")
async def my_orders(request: Request, principal: NamedDependency[Principal]) -> Response:
    orders = await services.customer_orders(principal.user_id)
    current = [o for o in orders if o.state not in m.FINAL_STATES]
    past = [o for o in orders if o.state in m.FINAL_STATES]
    return page(request, "orders/my_orders.html", current=current, past=past, timezone=ZoneInfo(current_tenant().timezone))


async def _detail_context(principal: Principal, number: str) -> dict[str, Any]:
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    machine = services.machine_for_order(order.category_code)
    # Nobody found: the customer's choice is another time or the full refund, not a cancel.
    can_cancel = order.state != m.DISPATCH_FAILED and any(t.event == "cancel" for t in machine.events_from(order.state, "customer"))
    payments = await payment_services.order_payments(order.id)
    timeline = await services.timeline(order.id)
    return {
        "order": order,
        "payments": payments,
        "refunds": await payment_services.order_refunds(order.id),
        "refund_statuses": REFUND_STATUSES,
        # The newest payment still open: the page waits for it (a customer back from the provider's
        # page). One that succeeded while the order's reactions have not marked it paid yet counts
        # too: its first poll leads to the "paid" notice.
        "waiting_payment": next((p for p in reversed(payments) if p.action is not None and (
            p.status == "pending" or (p.status == "succeeded" and order.paid_at is None))), None),
        "method_labels": method_labels(),
        "poll_seconds": POLL_SECONDS,
        # Offers passing between workers are the office's business; the customer sees the outcome.
        "timeline": [e for e in timeline if e.event not in m.OFFICE_ONLY_EVENTS],
        "answers": await services.booking_answers(order),
        "labels": {t.event: t.label for t in machine.transitions.values()},
        "cancellation": await services.cancellation_terms(order) if can_cancel else None,
        "arranging_until": await dispatch_deadlines.answer_expected_by(order) if order.state in (m.PAID, m.ASSIGNED) else None,
        "cancelled_by": next((e.event for e in reversed(timeline) if e.to_state == m.CANCELLED), None),
        **await contact_context(order, principal.user_id),
        "timezone": ZoneInfo(current_tenant().timezone),
        "map_tiles": await tile_layer(current_tenant()),  # the live map's tiles (tracking/_live_map.html)
    }


@get("/orders/{number:str}", guards=[require_customer], name="orders.detail")
async def order_page(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    context = await _detail_context(principal, number)
    # Back from the provider's page before its notification (payments' /returned): once the money
    # is in, whenever that is, the customer gets the "paid" notice, not a silently paid order.
    if request.query_params.get("paying") and payment_services.money_is_in(context["order"], context["payments"]):
        return Redirect(f"/orders/{number}?done=paid", status_code=303)
    notice = DONE.get(request.query_params.get("done", ""))
    return page(request, "orders/order.html", flash=[("success", notice)] if notice else [], csp=map_csp(context["map_tiles"]),
                **context)


@get("/orders/{number:str}/cancel", guards=[require_customer], name="orders.cancel_confirm")
async def cancel_page(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    context = await _detail_context(principal, number)
    if context["cancellation"] is None:
        return Redirect(f"/orders/{number}", status_code=303)
    return page(request, "orders/cancel.html", errors={}, **context)


@post("/orders/{number:str}/cancel", guards=[require_customer], name="orders.cancel")
async def cancel_order(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    form = await request.form()
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    reason = str(form.get("reason") or "").strip()
    try:
        if len(reason) > 500:
            raise ValidationFailed({"reason": N_("This is too long.")})
        await services.transition(order.id, "cancel", ActorRef(kind="customer", id=principal.user_id), note=reason)
    except HearthError as exc:
        context = await _detail_context(principal, number)
        return page(request, "orders/cancel.html", status_code=exc.status_code, **context, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}?done=cancelled")


@post("/orders/{number:str}/messages", guards=[require_customer], name="orders.message")
async def order_message(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    body = str((await request.form()).get("body") or "")
    try:
        await post_message(order, ActorRef(kind="customer", id=principal.user_id), body)
    except ValidationFailed as exc:
        context = await _detail_context(principal, number)
        return page(request, "orders/order.html", status_code=400, message_value=body, **context, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}#messages")


@post("/orders/{number:str}/confirm", guards=[require_customer], name="orders.confirm")
async def confirm_done(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await services.get_order_by_number(number, customer_id=principal.user_id)
    try:
        await confirm_completion(order, principal.user_id)
    except HearthError as exc:
        if exc.status_code == 404:
            raise
        context = await _detail_context(principal, number)
        return page(request, "orders/order.html", status_code=exc.status_code, **context, **error_context(exc))
    return redirect_after_post(request, f"/orders/{number}?done=confirmed")


CUSTOMER_HANDLERS = [
    book_page, place_from_page, slots_fragment, price_fragment, my_orders, order_page, cancel_page, cancel_order,
    order_message, confirm_done,
]
