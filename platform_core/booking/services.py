"""Booking: the price of a booking line by line, and placing an order.

`place_order` validates everything at once (field errors, no order), re-checks the slot against
real availability (held assignments and the orders still waiting for a worker) under the booking
locks of the days the visit touches (placements on other days do not wait), takes an
idempotency key (a retry returns the first order; the same key with another request is refused),
takes the day's order number in a short transaction of its own, and has orders write the order
with its lines and timeline (orders.placement). An order paid after the service is placed as
`pay_after_service` leaves it, so dispatch starts; an order paid online waits in
`pending_payment` for the checkout, and gives its slot back when it is not paid in time
(`cancel_unpaid`). docs/booking.md tells the locks and the numbering.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from platform_core import clock
from platform_core.catalog.quotes import (
    booking_fields_for,
    is_long_stay,
    quote_base,
    visit_minutes,
)
from platform_core.catalog.schemas import BookingField, ServiceItem
from platform_core.catalog.services import get_item
from platform_core.db import current_connection
from platform_core.errors import HearthError, NotFound, ValidationFailed
from platform_core.jobs.schemas import JobContext, JobRequest
from platform_core.jobs.services import batched, enqueue
from platform_core.orders import machine as m
from platform_core.orders.messages import order_placed
from platform_core.orders.placement import create_order, order_for_key, take_number
from platform_core.orders.schemas import (
    ActorRef,
    NewOrder,
    Order,
    OrderLine,
    OrderPlace,
    Quote,
)
from platform_core.orders.services import booking_settings, get_order, transition
from platform_core.pluginsys.calls import collect
from platform_core.pluginsys.contexts import JobHandler, PriceAdjustment, PriceQuote
from platform_core.promotions.holds import hold_coupon
from platform_core.promotions.pricing import checkout_coupons
from platform_core.promotions.schemas import CheckoutCoupons
from platform_core.runtime import current_runtime
from platform_core.scheduling.schemas import BookingRules
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.uploads import photo_exists

from .availability import (
    available_slots,
    booking_window,
    earliest_slot,
    lock_days,
    qualified_for,
    rules_of,
    windowed,
)

MAX_PHOTOS = 6
MAX_FIELD_TEXT = 500
UNPAID_AFTER = timedelta(minutes=30)  # the payments' own time to live
UNPAID_JOB = "orders.cancel_unpaid"
UNPAID_REASON = N_("Not paid in time")


class Booked(msgspec.Struct, frozen=True, kw_only=True):
    """What a quote knows of the booking beyond the item: each optional (docs/promotions.md)."""

    slot_start: datetime | None = None
    district: str = ""
    coupon_id: int | None = None


def _base_lines(item: ServiceItem, quantity: int | None, addon_ids: list[int]) -> list[OrderLine]:
    """Base and add-ons from the catalog; field errors as quote_base raises them."""
    return [
        OrderLine(
            kind=line.kind, label=line.label, amount=line.amount, quantity=line.quantity, unit_amount=line.unit_amount,
            code=f"addon:{line.addon_id}" if line.addon_id else line.unit,
        )
        for line in quote_base(item, quantity, addon_ids)
    ]


def price_context(customer_id: int | None, item: ServiceItem, base: list[OrderLine], booked: Booked) -> PriceQuote:
    """The quote as compute_price_adjustments (and the checkout's coupon list) read it."""
    return PriceQuote(
        tenant=current_tenant(), customer_id=customer_id, category=item.category_code, item_id=item.id,
        base_amount=sum(line.amount for line in base), currency=item.currency,
        lines=[msgspec.to_builtins(line) for line in base], slot_start=booked.slot_start, district=booked.district,
        coupon_id=booked.coupon_id,
    )


async def _adjustments(context: PriceQuote) -> list[OrderLine]:
    """Each contributor's PriceAdjustments (plugins', promotions'), as 'adjustment' lines whose
    source is the contributor; a discount says who funds it (the franchise unless told)."""
    lines: list[OrderLine] = []
    for plugin, adjustment in await collect(current_runtime().hooks(context.tenant).compute_price_adjustments, quote=context):
        adjustment = msgspec.convert(adjustment, PriceAdjustment, from_attributes=True)
        lines.append(OrderLine(
            kind="adjustment", label=adjustment.label, amount=adjustment.amount, unit_amount=adjustment.amount,
            code=adjustment.code, source=plugin,
            funded_by=(adjustment.funded_by or "franchise") if adjustment.amount < 0 else None,
        ))
    return lines


async def _priced(customer_id: int | None, item: ServiceItem, base: list[OrderLine], booked: Booked) -> Quote:
    adjustments = await _adjustments(price_context(customer_id, item, base, booked))
    subtotal = sum(line.amount for line in base)
    adjusted = sum(line.amount for line in adjustments)
    total = max(subtotal + adjusted, 0)
    return Quote(lines=base + adjustments, subtotal=subtotal, adjustments=total - subtotal, total=total, currency=item.currency)


async def quote(customer_id: int | None, item: ServiceItem, quantity: int | None, addon_ids: list[int], booked: Booked = Booked()) -> Quote:
    """Base and add-ons from the catalog, then the adjustments (plugins', the franchise's
    discount rules, the chosen coupon); never below zero. A quantity outside the item's limits
    is a field error (None: the item's minimum); so is a chosen coupon that does not apply."""
    return await _priced(customer_id, item, _base_lines(item, quantity, addon_ids), booked)


async def checkout(
    customer_id: int, item: ServiceItem, quantity: int | None, addon_ids: list[int], booked: Booked = Booked(), *,
    preselect: bool = False,
) -> tuple[Quote, CheckoutCoupons]:
    """The price with the chosen coupon and the customer's coupons for this booking (each with
    its discount or why not, the best one named). With `preselect` and no coupon chosen, the
    best one is priced in: what the booking page shows first."""
    base = _base_lines(item, quantity, addon_ids)
    coupons = await checkout_coupons(price_context(customer_id, item, base, msgspec.structs.replace(booked, coupon_id=None)))
    if preselect and booked.coupon_id is None and coupons.best is not None:
        booked = msgspec.structs.replace(booked, coupon_id=coupons.best)
    return await _priced(customer_id, item, base, booked), coupons


async def address_district(customer_id: int, address_id: int | None) -> str:
    """The district of one of the customer's addresses ('' when not theirs or not given)."""
    from platform_core.accounts.services import address_snapshot

    if address_id is None:
        return ""
    snapshot = await address_snapshot(customer_id, address_id)
    return snapshot["district"] if snapshot else ""


# --------------------------------------------------------------------------- validation


def _out_of_bounds(field: BookingField, number: float) -> str | None:
    """A number field's bounds, as the console set them; translated, or None."""
    low, high = field.min, field.max
    shown = {"min": f"{low:g}" if low is not None else "", "max": f"{high:g}" if high is not None else ""}
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            return gettext("Enter a number from %(min)s to %(max)s.", **shown)
        if low is not None:
            return gettext("Enter at least %(min)s.", **shown)
        return gettext("Enter at most %(max)s.", **shown)
    return None


def clean_fields(form: list[BookingField], given: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The item's booking fields (its own and the plugins'), each checked by its type; fields
    not on the form are dropped. Errors go under `fields.<name>`."""
    clean: dict[str, Any] = {}
    for field in form:
        key = f"fields.{field.name}"
        raw = given.get(field.name)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if field.type == "checkbox":
            value = raw in (True, "on", "true", "1", 1)
            if field.required and not value:
                errors[key] = N_("Please confirm this.")
            clean[field.name] = value
            continue
        if empty:
            if field.required:
                errors[key] = N_("This field is required.")
            continue
        text = str(raw).strip()
        if field.type == "number":
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                errors[key] = N_("Enter a number.")
            elif (problem := _out_of_bounds(field, number)) is not None:
                errors[key] = problem
            else:
                clean[field.name] = int(number) if number.is_integer() else number
        elif field.type == "photo":
            if len(text) > MAX_FIELD_TEXT or not photo_exists(current_tenant(), text):
                errors[key] = N_("Upload the photos first.")
                continue
            clean[field.name] = text
        elif field.type == "select":
            if text not in field.choices:
                errors[key] = N_("Choose one of the options.")
                continue
            clean[field.name] = text
        elif field.type == "date":
            try:
                clean[field.name] = date.fromisoformat(text).isoformat()
            except ValueError:
                errors[key] = N_("Enter a date as YYYY-MM-DD.")
        elif len(text) > MAX_FIELD_TEXT:
            errors[key] = N_("This is too long.")
        else:
            clean[field.name] = text
    return clean


async def _address_snapshot(customer_id: int, data: OrderPlace, errors: dict[str, str]) -> dict[str, Any] | None:
    """The address as it is now, with the phone still encrypted: from the address book, or a
    new one saved to it (so the customer can pick it next time)."""
    from platform_core.accounts.schemas import AddressCreate
    from platform_core.accounts.services import address_snapshot, create_address

    address_id = data.address_id
    if address_id is None and data.address is not None:
        try:
            address_id = (await create_address(
                current_tenant(), customer_id, msgspec.convert(msgspec.to_builtins(data.address), AddressCreate))).id
        except ValidationFailed as exc:
            errors.update({f"address.{name}": message for name, message in exc.fields.items()})
            return None
    if address_id is None:
        errors["address_id"] = N_("Choose an address or add one.")
        return None
    snapshot = await address_snapshot(customer_id, address_id)
    if snapshot is None:
        errors["address_id"] = N_("Choose an address or add one.")
    return snapshot


class _Check(msgspec.Struct, frozen=True):
    """How `_slot` checks: with the franchise's rules, and whether it takes the days' booking
    locks first (only a placement that will write its order does)."""

    rules: BookingRules
    lock: bool
    customer_id: int | None = None


def _days_of(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The local days a visit [start, end) touches."""
    return start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()


async def _slot(
    item: ServiceItem, data: OrderPlace, minutes: int, where: dict[str, Any] | None, errors: dict[str, str], check: _Check
) -> tuple[datetime, datetime] | None:
    """The visit's time, re-checked against availability now (a slot shown a minute ago may be
    gone); with a picked worker, that worker must be free for all of it. With `check.lock`, under
    the booking locks of the days the visit touches (availability.lock_days)."""
    lat, lng = (where or {}).get("lat"), (where or {}).get("lng")
    tz = ZoneInfo(current_tenant().timezone)
    query = {"duration_minutes": minutes, "skills": item.required_skills, "staff_id": data.staff_id, "lat": lat, "lng": lng,
             "qualified": qualified_for(item, check.customer_id)}
    if is_long_stay(item):
        return await _stay_start(data, minutes, query, errors, check)
    if data.asap:
        return await _earliest(query, errors, check)
    if data.slot_start is None:
        errors["slot_start"] = N_("Pick a time, or choose as soon as possible.")
        return None
    start = data.slot_start if data.slot_start.tzinfo else data.slot_start.replace(tzinfo=tz)
    local_day = start.astimezone(tz).date()
    if check.lock:
        await lock_days(*_days_of(start, start + timedelta(minutes=minutes), tz))
    # The chosen start alone; only a refusal reads the whole day, to say why.
    slots = await available_slots(check.rules, start_date=local_day, days=1, at=start, **query)
    if not slots:
        slots = await available_slots(check.rules, start_date=local_day, days=1, **query)
    if not slots:
        # Every worker's time that day is taken (or held by orders waiting for one): another
        # time the same day will not do either.
        errors["slot_start"] = N_("No free time left for this service that day. Please pick another day.")
        return None
    match = next((s for s in slots if s.start == start), None)
    if match is None or (data.staff_id is not None and data.staff_id not in match.staff_ids):
        field = "staff_id" if data.staff_id is not None and any(s.start == start for s in slots) else "slot_start"
        errors[field] = N_("That time is no longer available. Please pick another.")
        return None
    return match.start, match.end


async def _earliest(query: dict[str, Any], errors: dict[str, str], check: _Check) -> tuple[datetime, datetime] | None:
    """"As soon as possible": the first free time. Under lock, the days from today to that time's
    are locked and the search runs again; when the time found was taken meanwhile and the next is
    later, the lock reaches on to it (always forward: the locks stay in day order)."""
    tz = ZoneInfo(current_tenant().timezone)
    slot = await earliest_slot(check.rules, **query)
    locked: date | None = None
    while slot is not None and check.lock:
        last = _days_of(slot.start, slot.end, tz)[1]
        if locked is not None and last <= locked:
            break
        await lock_days(clock.today(tz), last)
        locked = last
        slot = await earliest_slot(check.rules, **query)
    if slot is None:
        errors["asap"] = N_("Nobody is free soon. Please pick a time.")
        return None
    return slot.start, slot.end


async def _stay_start(
    data: OrderPlace, minutes: int, query: dict[str, Any], errors: dict[str, str], check: _Check
) -> tuple[datetime, datetime] | None:
    """A long stay starts on the day the customer picks, at the first time a worker free for the
    whole stay starts that day: no "as soon as possible", no time of day to choose."""
    if data.asap:
        errors["start_date"] = N_("Choose the day the stay starts.")
        return None
    tz = ZoneInfo(current_tenant().timezone)
    day = data.start_date
    if day is None and data.slot_start is not None:
        start = data.slot_start if data.slot_start.tzinfo else data.slot_start.replace(tzinfo=tz)
        day = start.astimezone(tz).date()
    if day is None:
        errors["start_date"] = N_("Choose the day the stay starts.")
        return None
    if check.lock:
        # Every day a stay starting that day can touch: its start is not known before the check.
        await lock_days(day, day + timedelta(days=1 + math.ceil(minutes / (24 * 60))))
    slots = await available_slots(check.rules, start_date=day, days=1, **query)
    if not slots:
        # Named by the field the client sent: the page's start date, or an API client's slot.
        errors["start_date" if data.start_date else "slot_start"] = N_("Nobody can start this stay that day. Please pick another day.")
        return None
    return slots[0].start, slots[0].end


async def takes_payments_online(currency: str) -> bool:
    """Whether the franchise has a payment method on and configured for this currency (on any
    device): only then can a customer pay now."""
    from platform_core.payments import services as payments

    return any([await payments.checkout_options(device, currency) for device in ("desktop", "mobile", "wechat")])


async def _payment_method(data: OrderPlace, currency: str, errors: dict[str, str]) -> str:
    online = await takes_payments_online(currency)
    if data.payment_method is None:
        return "online" if online else "after_service"
    if data.payment_method == "online" and not online:
        errors["payment_method"] = N_("This franchise does not take payments online yet. Please pay after the service.")
    return data.payment_method


def request_hash(data: OrderPlace) -> str:
    return hashlib.sha256(msgspec.json.encode(data, order="sorted")).hexdigest()


# --------------------------------------------------------------------------- placing


async def place_order(customer_id: int, data: OrderPlace, idempotency_key: str, *, found: dict[str, str] | None = None) -> Order:
    """Place a booking for the customer. Raises ValidationFailed with every field's problem,
    Conflict for a reused key, and returns the first order for a retried one. `found`: errors
    the caller met reading the request (a page's refused upload); with any, nothing is placed,
    but the rest is still checked so every problem shows at once."""
    key = idempotency_key.strip()
    if not 8 <= len(key) <= 100:
        raise ValidationFailed({"idempotency_key": N_("Send an Idempotency-Key of 8 to 100 characters.")})
    digest = request_hash(data)
    if data.address is not None:
        # A booking that adds a new address saves it to the address book: placements of the
        # customer take turns and a retry finds its order before anything is written, so a
        # retry racing its original never adds the address twice.
        await current_connection().execute(
            "select pg_advisory_xact_lock(hashtextextended('hearth:place_order:' || $1::bigint::text, 0))", customer_id
        )
        existing = await order_for_key(customer_id, key, digest)
        if existing is not None:
            return existing

    tenant = current_tenant()
    try:
        item = await get_item(data.item_id, for_customer=tenant)
    except NotFound:
        raise ValidationFailed({"item_id": N_("This service is not offered.")}) from None
    errors: dict[str, str] = dict(found or {})
    quantity = data.quantity if data.quantity is not None else item.min_quantity
    try:
        base = _base_lines(item, quantity, data.addon_ids)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        base = None
    address = await _address_snapshot(customer_id, data, errors)
    if address is not None and item.districts and address["district"] not in item.districts:
        errors["address_id"] = N_("This service is not offered in that district yet.")
    if len(data.requirements) > 2000:
        errors["requirements"] = N_("This is too long.")
    fields = clean_fields(booking_fields_for(tenant, item), data.fields, errors)
    if len(data.photos) > MAX_PHOTOS:
        errors["photos"] = N_("Add at most 6 photos.")
    elif not all(photo_exists(tenant, url) for url in data.photos):
        errors["photos"] = N_("Upload the photos first.")
    payment_method = await _payment_method(data, item.currency, errors)
    minutes = visit_minutes(item, quantity)
    settings = await booking_settings()
    # The time is checked even when other fields are wrong (without the locks: nothing is
    # placed), so the customer sees every problem at once.
    # The customer's own window (compute_booking_window: a priority holder books further ahead,
    # others may not take the workers held back for holders), checked here under the days' locks.
    window = await booking_window(customer_id, item)
    if window.closed:
        errors["slot_start"] = window.closed
    rules = windowed(rules_of(settings), window)
    when = await _slot(item, data, minutes, address, errors, _Check(rules, lock=not errors, customer_id=customer_id))
    priced = None
    if base is not None:
        # Priced once the visit's time and district are known: an off-peak or district price
        # depends on them.
        booked = Booked(slot_start=when[0] if when else data.slot_start, district=(address or {}).get("district", ""),
                        coupon_id=data.coupon_id)
        try:
            priced = await _priced(customer_id, item, base, booked)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors or priced is None or address is None or when is None:
        # A retry of a placed order lands here when its own order took the last free time: the
        # answer is that order (or Conflict for another request under its key).
        if data.address is None and (existing := await order_for_key(customer_id, key, digest)) is not None:
            return existing
        raise ValidationFailed(errors)

    # Numbered once the booking is known to be good; a number is never given twice, so a
    # placement failing after this leaves a gap.
    number = await take_number(ZoneInfo(tenant.timezone))
    # The reactions' jobs (dispatch's, the confirmation's) in one insert.
    async with batched():
        try:
            order = await create_order(NewOrder(
                customer_id=customer_id, item_id=item.id, category_code=item.category_code, address=address,
                requirements=data.requirements.strip(), fields=fields, photos=data.photos, asap=data.asap,
                scheduled_start=when[0], scheduled_end=when[1], requested_staff_id=data.staff_id, quantity=quantity,
                price=priced, payment_method=payment_method, idempotency_key=key, request_hash=digest,
            ), number)
        except asyncpg.exceptions.ExclusionViolationError:
            raise ValidationFailed({"staff_id": N_("That worker was just booked for this time. Please pick another time or worker.")}) from None
        if order is None:
            # The same key won a race a moment ago: that order is the answer.
            existing = await order_for_key(customer_id, key, digest)
            if existing is None:
                raise HearthError()
            return existing
        if data.coupon_id is not None:
            await hold_coupon(data.coupon_id, customer_id, order.id)
        unpaid = []
        if payment_method != "after_service":
            unpaid = [JobRequest(kind=UNPAID_JOB, payload={"order_id": order.id}, run_at=clock.now() + UNPAID_AFTER, key=f"unpaid:{order.id}")]
        await order_placed(order, settings.reminder_hours, also=unpaid)
    return order


# --------------------------------------------------------------------------- unpaid online orders


async def cancel_unpaid(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An online order still unpaid after UNPAID_AFTER gives its slot back. Its payments still in
    flight are asked about first (one may have been paid a moment ago); one with time left
    gets until it expires. A provider that does not answer fails the job, which is retried."""
    from platform_core.payments import services as payments

    order = await get_order(payload["order_id"])
    if order.state != m.PENDING_PAYMENT:
        return
    running = []
    for payment in await payments.order_payments(order.id):
        if payment.status == "pending" and await payments.reconcile_payment(payment.id) == "pending":
            running.append(payment.expires_at)
    if (await get_order(order.id)).state != m.PENDING_PAYMENT:
        return
    if running:
        await enqueue(UNPAID_JOB, {"order_id": order.id}, run_at=max(running), key=f"unpaid:{order.id}:{ctx.job_id}")
        return
    await transition(order.id, "payment_timeout", ActorRef(kind="system"), note=UNPAID_REASON)


JOB_HANDLERS = [JobHandler(kind=UNPAID_JOB, handler=cancel_unpaid)]
