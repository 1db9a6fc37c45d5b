"""When no worker was found by the franchise's deadline (dispatch/deadlines.py), the customer
picks another of the times the franchise offers, or cancels at no charge with a full refund.
The pages (rearrange.py) and the API (controllers.py) both go through here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.catalog.services import get_item
from platform_core.dispatch.services import get_settings as dispatch_settings
from platform_core.errors import Conflict, ValidationFailed
from platform_core.orders import machine as m
from platform_core.orders import services
from platform_core.orders.schemas import ActorRef, Order
from platform_core.scheduling.schemas import Slot
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .availability import available_slots, customer_rules, lock_days, qualified_for
from .schemas import OtherTimes


async def _earliest() -> datetime:
    """The first start that still leaves dispatch its whole time to find a worker: a time inside
    the deadline would dead-end again."""
    return clock.now() + timedelta(hours=(await dispatch_settings()).arrange_deadline_hours)


async def offered_slots(order: Order, day: date) -> list[Slot]:
    """The times the franchise offers on `day` for this order: its item's skills, its length,
    its place, after the earliest start dispatch can still arrange."""
    item = await get_item(order.item_id)
    minutes = int((order.scheduled_end - order.scheduled_start) / timedelta(minutes=1))
    found = await available_slots(await customer_rules(order.customer_id, item), duration_minutes=minutes, start_date=day, days=1, skills=list(item.required_skills),
                                  lat=order.address.lat, lng=order.address.lng, qualified=qualified_for(item, order.customer_id))
    earliest = await _earliest()
    return [s for s in found if s.start >= earliest]


async def other_times(order: Order, day: date | None) -> OtherTimes:
    """The days the customer may move the visit to, and the free times of `day` (the first of
    them when not given or not bookable). Conflict when the order is not waiting for that choice."""
    if order.state != m.DISPATCH_FAILED:
        raise Conflict("This order can not do that now.")
    tz = ZoneInfo(current_tenant().timezone)
    today = clock.today(tz)
    first = (await _earliest()).astimezone(tz).date()
    horizon = (await customer_rules(order.customer_id, await get_item(order.item_id))).horizon_days
    days = [d for d in (today + timedelta(days=i) for i in range(horizon)) if d >= first]
    chosen = day if day in days else (days[0] if days else None)
    return OtherTimes(days=days, day=chosen, timezone=tz.key, slots=await offered_slots(order, chosen) if chosen else [])


async def reschedule(order: Order, starts: datetime | None, customer_id: int) -> Order:
    """Move the visit to `starts`, which must be one of the times offered; back to dispatch."""
    if starts is None or starts.tzinfo is None:
        raise ValidationFailed({"slot_start": N_("Choose one of the times shown.")})
    tz = ZoneInfo(current_tenant().timezone)
    day = starts.astimezone(tz).date()
    # As a placement: the new time's days take turns from the check to the commit (before the
    # order's row, which no holder of an order's row follows with a day's lock).
    length = order.scheduled_end - order.scheduled_start
    await lock_days(day, (starts + length - timedelta(microseconds=1)).astimezone(tz).date())
    offered = next((s for s in await offered_slots(order, day) if s.start == starts), None)
    if offered is None:
        raise ValidationFailed({"slot_start": N_("This time is no longer free. Please choose another.")})
    return await services.reschedule_order(order.id, offered.start, offered.end, ActorRef(kind="customer", id=customer_id))


async def cancel_at_no_charge(order: Order, customer_id: int) -> Order:
    """Nobody was found: cancelled with no fee; whatever was paid goes back (payments hears
    on_order_cancelled)."""
    return await services.transition(order.id, "refund_no_worker", ActorRef(kind="customer", id=customer_id))
