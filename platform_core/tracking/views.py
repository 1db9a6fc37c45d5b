"""The worker's visit page (/staff/visits/{order_id}: on my way, arrived, complete, with location
sharing while on the way) and the customer's tracking socket (/ws/orders/{number}/track)."""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import anyio
import msgspec
from litestar import Request, Response, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal, principal_for
from platform_core.bounds import is_digits
from platform_core.catalog.services import get_item
from platform_core.db import tenant_transaction
from platform_core.errors import HearthError, ValidationFailed
from platform_core.orders.machine import ACCEPTED, COMPLETED, EN_ROUTE, IN_SERVICE
from platform_core.orders.schemas import ActorRef
from platform_core.orders.thread import post_message
from platform_core.orders.visit import add_photo, tick_step
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant, current_tenant_or_none
from platform_core.web import uploads as media
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .channels import channel_for
from .job import item_steps, job_context
from .schemas import TrackUpdate

# The one step a worker takes next from each state: (event, button label, icon).
NEXT_STEP = {
    ACCEPTED: ("depart", N_("On my way"), "map-pin"),
    EN_ROUTE: ("arrive", N_("Arrived"), "home"),
    IN_SERVICE: ("complete", N_("Service completed"), "check"),
}
DONE = {"depart": N_("Have a safe trip. Your location is shared with the customer until you arrive."),
        "arrive": N_("Location sharing has stopped. Good luck with the service."),
        "complete": N_("Well done. The customer can now review the service.")}
# Sockets re-read the order this often, so sharing ends however the order moved on.
STATE_CHECK_SECONDS = 10


async def _visit_page(request: Request, staff_id: int, order_id: int, *, status_code: int = 200, **context) -> Response:
    order = await services.assigned_order(staff_id, order_id)
    tz = ZoneInfo(current_tenant().timezone)
    done = DONE.get(request.query_params.get("done", ""))
    context.setdefault("errors", {})
    return page(
        request, "tracking/visit.html", status_code=status_code, order=order, step=NEXT_STEP.get(order.state),
        starts=order.scheduled_start.astimezone(tz), ends=order.scheduled_end.astimezone(tz),
        sharing=order.state == EN_ROUTE, completed=order.state == COMPLETED, flash=[("success", done)] if done else [],
        **await job_context(order, staff_id), **context,
    )


@get("/staff/visits/{order_id:int}", guards=[require_staff], include_in_schema=False, name="staff-visit")
async def visit_page(request: Request, principal: NamedDependency[Principal], order_id: PathId) -> Response:
    staff = await active_staff(principal)
    return await _visit_page(request, staff.id, order_id)


@post("/staff/visits/{order_id:int}/messages", guards=[require_staff], include_in_schema=False, name="staff-visit-message")
async def visit_message(request: Request, principal: NamedDependency[Principal], order_id: PathId) -> Response:
    staff = await active_staff(principal)
    order = await services.assigned_order(staff.id, order_id)
    body = str((await request.form()).get("body") or "")
    try:
        await post_message(order, ActorRef(kind="staff", id=staff.id), body)
    except ValidationFailed as exc:
        return await _visit_page(request, staff.id, order_id, status_code=400, message_value=body, **error_context(exc))
    return Redirect(f"/staff/visits/{order_id}#messages", status_code=303)


@post("/staff/visits/{order_id:int}/checklist", guards=[require_staff], include_in_schema=False, name="staff-visit-checklist")
async def visit_checklist(request: Request, principal: NamedDependency[Principal], order_id: PathId) -> Response:
    """One step ticked or unticked: `step` is its index, `done` 1 or 0."""
    staff = await active_staff(principal)
    order = await services.assigned_order(staff.id, order_id)
    form = await request.form()
    step = str(form.get("step") or "")
    try:
        steps = item_steps(await get_item(order.item_id))
        if not is_digits(step):
            raise ValidationFailed({"step": N_("That step is not on this job's checklist.")})
        await tick_step(order, int(step), form.get("done") == "1", len(steps))
    except HearthError as exc:
        if exc.status_code == 404:
            raise
        return await _visit_page(request, staff.id, order_id, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"/staff/visits/{order_id}#checklist", status_code=303)


@post("/staff/visits/{order_id:int}/photos", guards=[require_staff], include_in_schema=False, name="staff-visit-photo")
async def visit_photo(request: Request, principal: NamedDependency[Principal], order_id: PathId) -> Response:
    """A photo before or after the service, from the phone's camera or gallery."""
    staff = await active_staff(principal)
    order = await services.assigned_order(staff.id, order_id)
    form = await request.form()
    stage = form.get("stage")
    upload = form.get("photo")
    try:
        if stage not in ("before", "after"):
            raise ValidationFailed({"photo_before": N_("Choose whether the photo is from before or after the service.")})
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed({f"photo_{stage}": N_("Choose a photo to upload.")})
        try:
            url = media.save_image(current_tenant(), await upload.read(media.MAX_BYTES + 1))
        except ValidationFailed as exc:
            raise ValidationFailed({f"photo_{stage}": exc.fields["file"]}) from None
        await add_photo(order, stage, url)
    except HearthError as exc:
        return await _visit_page(request, staff.id, order_id, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"/staff/visits/{order_id}#photos", status_code=303)


@post("/staff/visits/{order_id:int}/{event:str}", guards=[require_staff], include_in_schema=False, name="staff-visit-step")
async def visit_step(
    request: Request, channels: NamedDependency[ChannelsPlugin], principal: NamedDependency[Principal],
    order_id: PathId, event: FromPath[str]) -> Response:
    staff = await active_staff(principal)
    try:
        await services.visit_step(channels, staff.id, order_id, event)
    except HearthError as exc:
        if exc.status_code == 404:
            raise
        return await _visit_page(request, staff.id, order_id, status_code=exc.status_code, form_error=error_context(exc)["form_error"])
    return Redirect(f"/staff/visits/{order_id}?done={event}", status_code=303)


# --------------------------------------------------------------------------- the customer's socket

# Close codes (4000–4999 are the application's): not signed in as this order's customer.
CLOSE_REFUSED = 4403


def _same_origin(socket: WebSocket) -> bool:
    """Browsers send Origin with a socket; one from another site must not ride on our cookie."""
    origin = socket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc.lower() == socket.headers.get("host", "").lower()


@websocket("/ws/orders/{number:str}/track", name="order-track-socket")
async def track_socket(
    socket: WebSocket, channels: NamedDependency[ChannelsPlugin], number: FromPath[str]) -> None:
    """Sends TrackUpdate messages as JSON: the latest at once, then each new position; `ended`
    (arrival, or the order left the way) is the last message before the socket closes."""
    tenant = current_tenant_or_none()
    principal = await principal_for(socket)
    if tenant is None or principal is None or principal.kind != "customer" or not _same_origin(socket):
        await socket.close(code=CLOSE_REFUSED)
        return
    try:
        async with tenant_transaction(tenant.id):
            order, _view = await services.track_view(principal.user_id, number)
    except HearthError:
        await socket.close(code=CLOSE_REFUSED)
        return
    await socket.accept()
    try:
        await _relay(socket, channels, tenant.id, order.id, principal.user_id, number)
    except WebSocketDisconnect:
        return
    if socket.connection_state != "disconnect":
        await socket.close()


async def _relay(socket: WebSocket, channels: ChannelsPlugin, tenant_id: int, order_id: int, customer_id: int, number: str) -> None:
    """Pass the order's channel to the socket until sharing ends or the customer leaves."""
    async with channels.start_subscription([channel_for(current_runtime().settings, tenant_id, order_id)]) as subscriber:
        # Read the latest after subscribing, so a position published in between is not lost.
        async with tenant_transaction(tenant_id):
            _order, view = await services.track_view(customer_id, number)
        await socket.send_text(msgspec.json.encode(view.last).decode())
        if view.last.type == "ended":
            return
        async with anyio.create_task_group() as tasks:

            async def until_customer_leaves() -> None:
                while socket.connection_state != "disconnect":
                    await socket.receive()
                tasks.cancel_scope.cancel()

            async def until_order_moves_on() -> None:
                while True:
                    await anyio.sleep(STATE_CHECK_SECONDS)
                    async with tenant_transaction(tenant_id):
                        state = await services.order_state(order_id)
                    if state not in services.TRACKABLE_STATES:
                        await socket.send_text(msgspec.json.encode(TrackUpdate(type="ended", state=state)).decode())
                        tasks.cancel_scope.cancel()
                        return

            tasks.start_soon(until_customer_leaves)
            tasks.start_soon(until_order_moves_on)
            async for message in subscriber.iter_events():
                await socket.send_text(message.decode() if isinstance(message, bytes) else message)
                if msgspec.json.decode(message, type=TrackUpdate).type == "ended":
                    break
            tasks.cancel_scope.cancel()


PAGE_HANDLERS = [visit_page, visit_message, visit_checklist, visit_photo, visit_step, track_socket]
