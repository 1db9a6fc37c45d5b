"""Bookable times, as booking asks for them: the slot engine (scheduling) with the franchise's
booking rules and the orders waiting for a worker, both read from orders here, above the two."""

from __future__ import annotations

from datetime import date
from typing import Any

from platform_core.catalog.quotes import is_long_stay, quantity_error, visit_minutes
from platform_core.catalog.services import get_item_by_slug
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.orders.schemas import BookingSettings
from platform_core.orders.services import booking_settings, pending_demand
from platform_core.scheduling import slots as engine
from platform_core.scheduling.schemas import Availability, BookingRules, Slot
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_


def rules_of(settings: BookingSettings) -> BookingRules:
    """What the slot engine needs of the franchise's booking settings."""
    return BookingRules(slot_minutes=settings.slot_minutes, lead_minutes=settings.lead_minutes, horizon_days=settings.horizon_days)


async def booking_rules() -> BookingRules:
    return rules_of(await booking_settings())


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
    lat: float | None = None, lng: float | None = None,
) -> Availability:
    """One day's slots of a catalog item (its duration and required skills). An hourly item lasts
    `quantity` hours, within the item's limits; a long stay has one start a day, its first."""
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
    slots = await available_slots(
        duration_minutes=duration, start_date=on, days=1, skills=list(service.required_skills),
        staff_id=staff_id, lat=lat, lng=lng,
    )
    if is_long_stay(service):
        slots = slots[:1]
    return Availability(item=item, date=on, timezone=current_tenant().timezone, duration_minutes=duration, slots=slots)
