"""Orders a plugin places and cancels for a customer (elder care's care plans): the booking
site's own placement and the order's own transitions, so a plugin's order is checked, priced,
numbered, dispatched and paid exactly as one the customer booked on the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from platform_core.errors import Conflict, Forbidden
from platform_core.orders import services as orders
from platform_core.orders.schemas import ActorRef, Order, OrderPlace

from .services import place_order

# Where a cancelled order stops: "cancelled" done, "kept" the rules refuse (a visit already begun).
CancelOutcome = Literal["cancelled", "kept"]


class PlacedOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order as a plugin needs it: where to link (`/orders/{number}`), when, its state and who
    holds it now (None before dispatch finds a worker)."""

    id: int
    number: str
    customer_id: int
    item_id: int
    state: str
    scheduled_start: datetime
    scheduled_end: datetime
    total: int
    currency: str
    payment_method: str
    staff_id: int | None = None


async def _placed(order: Order) -> PlacedOrder:
    return PlacedOrder(id=order.id, number=order.number, customer_id=order.customer_id, item_id=order.item_id, state=order.state,
                       scheduled_start=order.scheduled_start, scheduled_end=order.scheduled_end, total=order.total,
                       currency=order.currency, payment_method=order.payment_method, staff_id=await orders.live_staff_id(order.id))


async def place_order_for(
    customer_id: int, *, item_id: int, slot_start: datetime, address_id: int, idempotency_key: str, quantity: int | None = None,
    requirements: str = "", fields: dict[str, Any] | None = None, payment_method: Literal["online", "after_service"] = "after_service",
) -> PlacedOrder:
    """Place a booking for the customer at `slot_start`, as the booking page would: the item
    must be offered, the time free, the address the customer's. Raises ValidationFailed naming
    the field (``slot_start`` when nobody is free then). The same `idempotency_key` answers the
    first order again, so a job that runs twice places once."""
    data = OrderPlace(item_id=item_id, quantity=quantity, address_id=address_id, slot_start=slot_start, requirements=requirements,
                      fields=fields or {}, payment_method=payment_method)
    return await _placed(await place_order(customer_id, data, idempotency_key))


async def order_for_plugin(order_id: int) -> PlacedOrder:
    """An order of the franchise (NotFound for none)."""
    return await _placed(await orders.get_order(order_id))


async def order_workers(order_ids: list[int]) -> dict[int, int | None]:
    """Who holds each of the orders now (order id -> worker id, None before dispatch finds one)."""
    return await orders.live_staff_ids(order_ids)


async def order_numbers(order_ids: list[int]) -> dict[int, str]:
    """The orders' numbers, for links to `/orders/{number}` (order id -> number)."""
    return await orders.order_numbers(order_ids)


async def cancel_order_as_customer(order_id: int, customer_id: int, note: str = "") -> CancelOutcome:
    """The customer cancels, under the franchise's cancellation terms (their fee, if any): "kept"
    when the order is past cancelling (begun, done, already cancelled)."""
    try:
        await orders.transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id), note=note[:500])
    except (Conflict, Forbidden):
        return "kept"
    return "cancelled"


async def cancel_order_for_franchise(order_id: int, note: str = "") -> CancelOutcome:
    """The franchise cancels (no fee for the customer; whatever was paid goes back): "kept" when
    the order is no longer live."""
    try:
        await orders.transition(order_id, "cancel_by_franchise", ActorRef(kind="system", id=None), note=note[:500])
    except (Conflict, Forbidden):
        return "kept"
    return "cancelled"
