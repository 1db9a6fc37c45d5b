"""Bookable times, as booking asks for them: the slot engine (scheduling) with the franchise's
booking rules and the orders waiting for a worker, both read from orders here, above the two."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from platform_core import clock
from platform_core.catalog.quotes import is_long_stay, quantity_error, visit_minutes
from platform_core.catalog.schemas import ServiceItem
from platform_core.catalog.services import get_item_by_slug
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.orders.schemas import BookingSettings
from platform_core.orders.services import booking_settings, pending_demand
from platform_core.pluginsys.calls import collect
from platform_core.pluginsys.contexts import BookingWindow, BookingWindowQuery
from platform_core.qualifications.eligibility import eligible_among, needs
from platform_core.qualifications.schemas import Needs
from platform_core.runtime import current_runtime
from platform_core.scheduling import slots as engine
from platform_core.scheduling.schemas import Availability, BookingRules, Qualified, Slot
from platform_core.staff.schemas import WorkerCard
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_


def rules_of(settings: BookingSettings) -> BookingRules:
    """What the slot engine needs of the franchise's booking settings."""
    return BookingRules(slot_minutes=settings.slot_minutes, lead_minutes=settings.lead_minutes, horizon_days=settings.horizon_days)


async def booking_rules() -> BookingRules:
    return rules_of(await booking_settings())


NO_WINDOW = BookingWindow()


def asks_booking_window() -> bool:
    """Whether a plugin the tenant has on answers compute_booking_window: when none does, a
    caller need not even find out who the customer is."""
    return bool(current_runtime().hooks(current_tenant()).compute_booking_window.get_hookimpls())


async def booking_window(customer_id: int | None, item: ServiceItem) -> BookingWindow:
    """What the tenant's plugins say of this customer's window for this item
    (compute_booking_window): the largest extra horizon and the largest held-back count of their
    answers. Without an impl (no plugin on that answers) nothing is asked and nothing is read."""
    if not asks_booking_window():
        return NO_WINDOW
    caller = current_runtime().hooks(current_tenant()).compute_booking_window
    query = BookingWindowQuery(tenant=current_tenant(), customer_id=customer_id, item_id=item.id, category=item.category_code)
    answers = [msgspec.convert(found.value, BookingWindow, from_attributes=True) for found in await collect(caller, query=query)]
    if not answers:
        return NO_WINDOW
    return BookingWindow(
        extra_horizon_days=max(0, *(a.extra_horizon_days for a in answers)),
        held_back_workers=max(0, *(a.held_back_workers for a in answers)),
        closed=next((a.closed for a in answers if a.closed), ""),
    )


def windowed(rules: BookingRules, window: BookingWindow) -> BookingRules:
    """The franchise's rules as they hold for one customer and item."""
    if window == NO_WINDOW:
        return rules
    return msgspec.structs.replace(
        rules, horizon_days=rules.horizon_days + window.extra_horizon_days, held_back=window.held_back_workers)


async def customer_rules(customer_id: int | None, item: ServiceItem, rules: BookingRules | None = None) -> BookingRules:
    """The booking rules for this customer and item: the franchise's, with the window the
    plugins give (booking_window)."""
    return windowed(rules or await booking_rules(), await booking_window(customer_id, item))


def qualified_for(item: ServiceItem, customer_id: int | None) -> Qualified:
    """The slot engine's `qualified` for this item and customer: what the work needs is read once
    (the franchise's rules and compute_order_requirements), then checked per day."""
    found: list[Needs] = []

    async def qualified(staff_ids: list[int], day: date) -> set[int]:
        if not found:
            found.append(await needs(category=item.category_code, item_id=item.id, customer_id=customer_id))
        return await eligible_among(staff_ids, found[0], day)

    return qualified


async def eligible_workers(item: ServiceItem, workers: list[WorkerCard], customer_id: int | None = None) -> list[WorkerCard]:
    """The item page's workers who may do the item today (credentials and courses it needs)."""
    work = await needs(category=item.category_code, item_id=item.id, customer_id=customer_id)
    allowed = await eligible_among([w.id for w in workers], work, clock.today(current_tenant().timezone))
    return [w for w in workers if w.id in allowed]


async def available_slots(rules: BookingRules | None = None, **query: Any) -> list[Slot]:
    """scheduling.slots.available_slots for this franchise (same keyword arguments); `rules` when
    the caller has read them already."""
    return await engine.available_slots(rules or await booking_rules(), pending_demand, **query)


async def earliest_slot(rules: BookingRules | None = None, **query: Any) -> Slot | None:
    """scheduling.slots.earliest_slot for this franchise (same keyword arguments and `rules`)."""
    return await engine.earliest_slot(rules or await booking_rules(), pending_demand, **query)


async def lock_days(first: date, last: date) -> None:
    """Take the booking lock of each of the franchise's local days from `first` to `last` until the
    transaction ends: placements whose visits share a day take turns from the capacity check to
    the commit, so two can not both take the last free worker (a visit only takes capacity from
    visits it overlaps, and two overlapping visits share a day). In day order, in one statement,
    so two placements never wait on each other crosswise; days already held are taken again
    at no cost."""
    await current_connection().execute(
        "select pg_advisory_xact_lock(hashtextextended('hearth:booking_day:' || $1::bigint::text || ':' || d::date::text, 0)) "
        "from generate_series($2::date, $3::date, interval '1 day') as d",
        current_tenant().id, first, last,
    )


async def item_availability(
    *, item: str, day: str, staff_id: int | None = None, quantity: int | None = None,
    lat: float | None = None, lng: float | None = None, customer_id: int | None = None,
) -> Availability:
    """One day's slots of a catalog item (its duration and required skills) for `customer_id`
    (None: a visitor), within their booking window. An hourly item lasts `quantity` hours,
    within the item's limits; a long stay has one start a day, its first."""
    errors: dict[str, str] = {}
    try:
        on = date.fromisoformat(day)
    except ValueError:
        errors["date"] = N_("Enter a date as YYYY-MM-DD.")
    if (lat is None) != (lng is None):
        errors["lat"] = N_("Give both latitude and longitude, or neither.")
    service = await get_item_by_slug(item, for_customer=current_tenant())
    if (problem := quantity_error(service, quantity)) is not None:
        errors["quantity"] = problem
    if errors:
        raise ValidationFailed(errors)
    duration = visit_minutes(service, quantity)
    window = await booking_window(customer_id, service)
    if window.closed:
        raise ValidationFailed({"slot_start": window.closed})
    slots = await available_slots(
        windowed(await booking_rules(), window), duration_minutes=duration, start_date=on, days=1, skills=list(service.required_skills),
        staff_id=staff_id, lat=lat, lng=lng, qualified=qualified_for(service, customer_id),
    )
    if is_long_stay(service):
        slots = slots[:1]
    return Availability(item=item, date=on, timezone=current_tenant().timezone, duration_minutes=duration, slots=slots)
