"""Live tracking JSON API: the worker's app posts positions; a customer's app reads the latest."""

from __future__ import annotations

from litestar import get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from platform_core.accounts.guards import (
    BEARER_SECURITY,
    require_customer,
    require_staff,
)
from platform_core.accounts.services import active_customer, active_staff
from platform_core.accounts.sessions import Principal
from platform_core.orders import thread
from platform_core.orders.schemas import ActorRef, OrderMessage, OrderMessageCreate
from platform_core.web.bounds import PathId

from . import services
from .schemas import PositionIn, TrackUpdate, TrackView


@post(
    "/api/v1/staff/orders/{order_id:int}/position", operation_id="sharePosition", status_code=202, tags=["Staff app"],
    guards=[require_staff], security=BEARER_SECURITY, summary="Share the worker's position while on the way",
)
async def share_position(
    channels: NamedDependency[ChannelsPlugin], principal: NamedDependency[Principal],
    order_id: PathId, data: JSONBody[PositionIn]) -> TrackUpdate:
    """Only the order's worker, only in state en_route (409 otherwise, e.g. after arrival); the
    answer carries the distance and ETA the customer sees."""
    staff = await active_staff(principal)
    return await services.record_position(channels, staff.id, order_id, data)


@get(
    "/api/v1/orders/{number:str}/track", operation_id="trackOrder", tags=["Orders"], guards=[require_customer],
    security=BEARER_SECURITY, summary="Where the worker is now",
)
async def track_order(principal: NamedDependency[Principal], number: FromPath[str]) -> TrackView:
    """The latest position (or waiting / ended). For live updates open the WebSocket
    `/ws/orders/{number}/track`, which sends the same `TrackUpdate` messages."""
    customer = await active_customer(principal)
    _order, view = await services.track_view(customer.id, number)
    return view


@get(
    "/api/v1/staff/orders/{order_id:int}/messages", operation_id="listJobMessages", tags=["Staff app"],
    guards=[require_staff], security=BEARER_SECURITY, summary="The job's messages with the customer",
)
async def job_messages(principal: NamedDependency[Principal], order_id: PathId) -> list[OrderMessage]:
    staff = await active_staff(principal)
    order = await services.assigned_order(staff.id, order_id)
    return await thread.messages(order, ActorRef(kind="staff", id=staff.id))


@post(
    "/api/v1/staff/orders/{order_id:int}/messages", operation_id="writeToCustomer", status_code=201, tags=["Staff app"],
    guards=[require_staff], security=BEARER_SECURITY, summary="Write to the job's customer",
)
async def write_to_customer(principal: NamedDependency[Principal], order_id: PathId,
                            data: JSONBody[OrderMessageCreate]) -> OrderMessage:
    """Only the job's worker once they accepted it; the customer is told in their inbox."""
    staff = await active_staff(principal)
    order = await services.assigned_order(staff.id, order_id)
    return await thread.post_message(order, ActorRef(kind="staff", id=staff.id), data.body)


API_HANDLERS = [share_position, track_order, job_messages, write_to_customer]
