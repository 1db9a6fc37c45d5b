"""Live tracking: the worker's positions while en route, kept as the last position in the shared
store and published on the order's channel; the customer's view of them; the visit's steps.

Positions are accepted only from the worker of the order's live assignment and only in state
en_route: sharing starts with "On my way" and stops on arrival (the last position is dropped and
subscribers are told it ended).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import msgspec
from litestar.channels import ChannelsPlugin

from platform_core import clock
from platform_core.dispatch.services import get_settings as dispatch_settings
from platform_core.errors import Conflict, NotFound, RateLimited
from platform_core.geo import distance_m
from platform_core.orders import machine as m
from platform_core.orders.privacy import for_worker
from platform_core.orders.schemas import ActorRef, Order
from platform_core.orders.services import (
    get_order,
    get_order_by_number,
    live_staff_id,
    transition,
)
from platform_core.pluginsys.calls import first
from platform_core.pluginsys.contexts import RouteQuery
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext

from .channels import channel_for, publish
from .schemas import PositionIn, TrackUpdate, TrackView

# A position older than this is not shown: the worker's phone went quiet.
POSITION_TTL = 300
# The page sends one every 5 seconds; more is a runaway client.
POSITIONS_PER_MINUTE = 30
SHARING_STATES = frozenset({m.EN_ROUTE})
# While the order is in one of these the customer's socket stays open.
TRACKABLE_STATES = frozenset({m.ASSIGNED, m.ACCEPTED, m.EN_ROUTE})
VISIT_EVENTS = ("depart", "arrive", "complete")

async def eta_seconds(tenant: TenantContext, origin: tuple[float, float], destination: tuple[float, float]) -> int:
    """A routing plugin's answer (select_route_eta), else straight-line distance over the
    tenant's travel speed."""
    answer = await first(current_runtime().hooks(tenant).select_route_eta, route=RouteQuery(tenant=tenant, origin=origin, destination=destination))
    if answer is not None:
        return int(answer)
    speed_kmh = (await dispatch_settings()).travel_speed_kmh
    return round(distance_m(origin, destination) / (speed_kmh / 3.6))


def destination_of(order: Order) -> tuple[float, float] | None:
    if order.address.lat is None or order.address.lng is None:
        return None
    return (order.address.lat, order.address.lng)


def _position_key(tenant: TenantContext, order_id: int) -> str:
    return tenant.key("track", order_id)


async def assigned_order(staff_id: int, order_id: int) -> Order:
    """The order, if `staff_id` is the worker of its live assignment; else it is not found."""
    try:
        order = await get_order(order_id)
    except NotFound:
        raise NotFound("order") from None
    if await live_staff_id(order_id) != staff_id:
        raise NotFound("order")
    return await for_worker(order)


async def record_position(channels: ChannelsPlugin, staff_id: int, order_id: int, position: PositionIn) -> TrackUpdate:
    """Keep and publish the worker's position; refused unless they are on the way to this order."""
    order = await assigned_order(staff_id, order_id)
    if order.state not in SHARING_STATES:
        raise Conflict("Your location is shared only while you are on the way.")
    tenant = current_tenant()
    count, left = await current_runtime().kv.incr(tenant.key("track-rate", order_id), 60)
    if count > POSITIONS_PER_MINUTE:
        raise RateLimited(left)
    here = (position.lat, position.lng)
    destination = destination_of(order)
    update = TrackUpdate(
        type="position", state=order.state, lat=position.lat, lng=position.lng, accuracy=position.accuracy,
        at=clock.now(),
        distance_m=None if destination is None else round(distance_m(here, destination)),
        eta_s=None if destination is None else await eta_seconds(tenant, here, destination),
    )
    encoded = msgspec.json.encode(update)
    await current_runtime().kv.set(_position_key(tenant, order_id), encoded, POSITION_TTL)
    await publish(current_runtime().settings, channels, channel_for(current_runtime().settings, tenant.id, order_id), encoded)
    return update


async def stop_sharing(channels: ChannelsPlugin, order: Order) -> None:
    """Forget the last position and tell the customer's sockets that sharing ended."""
    tenant = current_tenant()
    await current_runtime().kv.delete(_position_key(tenant, order.id))
    await publish(current_runtime().settings, channels, channel_for(current_runtime().settings, tenant.id, order.id), msgspec.json.encode(TrackUpdate(type="ended", state=order.state)))


async def current_update(order: Order) -> TrackUpdate:
    """The latest news for the customer: the last position, or waiting, or ended."""
    if order.state not in TRACKABLE_STATES:
        return TrackUpdate(type="ended", state=order.state)
    if order.state in SHARING_STATES:
        raw = await current_runtime().kv.get(_position_key(current_tenant(), order.id))
        if raw is not None:
            return msgspec.json.decode(raw, type=TrackUpdate)
    return TrackUpdate(type="waiting", state=order.state)


async def track_view(customer_id: int, number: str) -> tuple[Order, TrackView]:
    """The customer's own order and what to show on its map; another customer's is not found."""
    order = await get_order_by_number(number, customer_id=customer_id)
    view = TrackView(number=order.number, state=order.state, destination=destination_of(order), last=await current_update(order))
    return order, view


async def order_state(order_id: int) -> str:
    """The order's state now (sockets re-check it, so sharing ends however the order moved on)."""
    return (await get_order(order_id)).state


def visit_day(order: Order) -> date:
    """The day of the visit on the franchise's calendar."""
    return order.scheduled_start.astimezone(ZoneInfo(current_tenant().timezone)).date()


def before_visit_day(order: Order) -> bool:
    return clock.today(current_tenant().timezone) < visit_day(order)


async def visit_step(channels: ChannelsPlugin, staff_id: int, order_id: int, event: str) -> Order:
    """A step of the visit by its worker: depart ("On my way"), arrive, complete. Arriving stops
    the location sharing. None of them before the visit's day: a job started or completed days
    early would release the money and the review for work not done."""
    if event not in VISIT_EVENTS:
        raise NotFound("page")
    order = await assigned_order(staff_id, order_id)
    if before_visit_day(order):
        raise Conflict("This job is on %(day)s. You can start and complete it from that day on.",
                       params={"day": visit_day(order).isoformat()})
    order = await transition(order_id, event, ActorRef(kind="staff", id=staff_id))
    if event == "arrive":
        await stop_sharing(channels, order)
    return order
