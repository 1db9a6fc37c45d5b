"""The orders JSON API under /api/v1: quotes, placing an order (with an Idempotency-Key), the
customer's orders, cancelling, photo uploads; and the media those uploads are served from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import (
    FromPath,
    FromQuery,
    HeaderParameter,
    JSONBody,
    MultipartBody,
)

from platform_core.accounts.guards import (
    BEARER_SECURITY,
    require_customer,
    signed_in_customer,
)
from platform_core.accounts.services import active_customer, active_customer_id
from platform_core.accounts.sessions import Principal
from platform_core.bounds import Count, Id, Latitude, Longitude
from platform_core.catalog.services import get_item
from platform_core.errors import NotFound, ValidationFailed
from platform_core.orders import machine as m
from platform_core.orders import services, thread
from platform_core.orders.schemas import (
    ActorRef,
    CancelRequest,
    Order,
    OrderDetail,
    OrderMessage,
    OrderMessageCreate,
    OrderPlace,
    OrderSummary,
    QuoteRequest,
    Uploaded,
)
from platform_core.scheduling.schemas import Availability
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads as media
from platform_core.web.i18n import lazy_gettext as N_

from . import rescheduling
from . import services as booking
from .availability import asks_booking_window, item_availability
from .schemas import CheckoutQuote, OtherTimes, RescheduleRequest


async def order_detail(order: Order) -> OrderDetail:
    can_cancel = order.state != m.DISPATCH_FAILED and "cancel" in {
        t.event for t in services.machine_for_order(order.category_code).events_from(order.state, "customer")}
    return OrderDetail(
        # Offers passing between workers are the office's business; the customer sees the outcome.
        order=order, timeline=[e for e in await services.timeline(order.id) if e.event not in m.OFFICE_ONLY_EVENTS],
        cancellation=await services.cancellation_terms(order) if can_cancel else None,
    )


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["Orders"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @post("/", operation_id="placeOrder", status_code=201, summary="Place an order")
    async def place(
        self, principal: NamedDependency[Principal], data: JSONBody[OrderPlace],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None) -> Order:
        """`Idempotency-Key` (8–100 characters) is required: sending the same request again with
        the same key returns the first order; the same key with a different request is a 409.
        Bad input is a 400 with a message per field and places nothing."""
        if not idempotency_key:
            raise ValidationFailed({"idempotency_key": N_("Send an Idempotency-Key of 8 to 100 characters.")})
        return await booking.place_order(await active_customer_id(principal), data, idempotency_key)

    @get("/", operation_id="listMyOrders", summary="The customer's orders, newest first")
    async def list_mine(self, principal: NamedDependency[Principal]) -> list[OrderSummary]:
        return await services.customer_orders(principal.user_id)

    @get("/{number:str}", operation_id="getMyOrder", summary="One of the customer's orders, with its timeline")
    async def detail(self, principal: NamedDependency[Principal], number: FromPath[str]) -> OrderDetail:
        return await order_detail(await services.get_order_by_number(number, customer_id=principal.user_id))

    @get("/{number:str}/messages", operation_id="listMyOrderMessages", summary="The order's messages with its worker")
    async def messages(self, principal: NamedDependency[Principal], number: FromPath[str]) -> list[OrderMessage]:
        order = await services.get_order_by_number(number, customer_id=principal.user_id)
        return await thread.messages(order, ActorRef(kind="customer", id=principal.user_id))

    @post("/{number:str}/messages", operation_id="writeToMyWorker", status_code=201, summary="Write to the order's worker")
    async def write(self, principal: NamedDependency[Principal], number: FromPath[str],
                    data: JSONBody[OrderMessageCreate]) -> OrderMessage:
        """Open once a worker has accepted the order (400 on `body` before); the worker is told in
        their inbox."""
        customer = await active_customer(principal)
        order = await services.get_order_by_number(number, customer_id=customer.id)
        return await thread.post_message(order, ActorRef(kind="customer", id=customer.id), data.body)

    @post("/{number:str}/cancel", operation_id="cancelMyOrder", status_code=200, summary="Cancel an order")
    async def cancel(
        self, principal: NamedDependency[Principal], number: FromPath[str],
        data: JSONBody[CancelRequest]) -> OrderDetail:
        """Free until the tenant's free-cancellation hours before the slot; later the fee in
        `cancellation` of the order's detail is charged (a 'fee' line)."""
        order = await services.get_order_by_number(number, customer_id=principal.user_id)
        moved = await services.transition(order.id, "cancel", ActorRef(kind="customer", id=principal.user_id), note=data.reason)
        return await order_detail(moved)

    @get("/{number:str}/other-times", operation_id="getOtherTimes", summary="Times an order nobody was found for may move to")
    async def other_times(self, principal: NamedDependency[Principal], number: FromPath[str],
                          day: FromQuery[date | None] = None) -> OtherTimes:
        """For an order in `dispatch_failed` (nobody was found by the franchise's deadline): the
        days it may move to and the free times of `day` (else the first of them). 409 otherwise."""
        return await rescheduling.other_times(await services.get_order_by_number(number, customer_id=principal.user_id), day)

    @post("/{number:str}/reschedule", operation_id="rescheduleMyOrder", status_code=200, summary="Move an order nobody was found for")
    async def reschedule(self, principal: NamedDependency[Principal], number: FromPath[str],
                         data: JSONBody[RescheduleRequest]) -> OrderDetail:
        """`slot_start` must be one of the times of other-times (400 with a field message if not);
        the order goes back to dispatch at the new time. 409 when it is not waiting for this choice."""
        order = await services.get_order_by_number(number, customer_id=principal.user_id)
        return await order_detail(await rescheduling.reschedule(order, data.slot_start, principal.user_id))

    @post("/{number:str}/refund-no-worker", operation_id="refundMyUnstaffedOrder", status_code=200,
          summary="Cancel an order nobody was found for, at no charge")
    async def refund_no_worker(self, principal: NamedDependency[Principal], number: FromPath[str]) -> OrderDetail:
        """No fee; what was paid goes back in full. 409 when the order is not waiting for this choice."""
        order = await services.get_order_by_number(number, customer_id=principal.user_id)
        return await order_detail(await rescheduling.cancel_at_no_charge(order, principal.user_id))


class QuoteController(Controller):
    path = "/api/v1/quotes"
    tags = ["Orders"]

    @post("/", operation_id="quoteOrder", status_code=200, summary="The price of a booking, line by line")
    async def quote(self, principal: NamedDependency[Principal | None], data: JSONBody[QuoteRequest]) -> CheckoutQuote:
        """Open to everyone; signed in, the plugins' member prices are included, and the
        customer's coupons are listed, each with its discount or why it does not apply
        ("Minimum spend ¥100", "Not valid for this service", "Expires before the visit").
        `slot_start` and `address_id` (its district) let time and district prices apply;
        `coupon_id` prices the booking with that coupon (400 on `coupon_id` when it does not
        apply). The franchise's discount rules are priced in either way."""
        try:
            item = await get_item(data.item_id, for_customer=current_tenant())
        except NotFound:
            raise ValidationFailed({"item_id": N_("This service is not offered.")}) from None
        customer_id = principal.user_id if principal is not None and principal.kind == "customer" else None
        if customer_id is None:
            if data.coupon_id is not None:
                raise ValidationFailed({"coupon_id": N_("Sign in to use a coupon.")})
            priced = await booking.quote(None, item, data.quantity, data.addon_ids, booking.Booked(slot_start=data.slot_start))
            return CheckoutQuote(**msgspec.structs.asdict(priced))
        booked = booking.Booked(
            slot_start=data.slot_start, district=await booking.address_district(customer_id, data.address_id), coupon_id=data.coupon_id)
        priced, coupons = await booking.checkout(customer_id, item, data.quantity, data.addon_ids, booked)
        return CheckoutQuote(**msgspec.structs.asdict(priced), coupons=coupons.coupons, best_coupon_id=coupons.best)


@dataclass
class UploadForm:
    file: UploadFile


class UploadController(Controller):
    path = "/api/v1/uploads"
    tags = ["Orders"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @post("/", operation_id="uploadPhoto", status_code=201, summary="Upload a photo (JPEG, PNG or WebP, at most 5 MB)")
    async def upload(self, data: MultipartBody[UploadForm]) -> Uploaded:
        """Send the image as the multipart field `file`; use the returned URL in an order's photos."""
        content = await data.file.read(media.MAX_BYTES + 1)
        return Uploaded(url=media.save_image(current_tenant(), content))


@get("/media/{name:str}", operation_id="getMedia", include_in_schema=False)
async def serve_media(name: FromPath[str]) -> Response[bytes]:
    path = media.media_file(current_tenant(), name)
    if path is None:
        raise NotFound("photo")
    return Response(
        path.read_bytes(), media_type=media.CONTENT_TYPES[path.suffix[1:]],
        headers={"cache-control": "private, max-age=86400", "x-content-type-options": "nosniff"},
    )


class AvailabilityController(Controller):
    path = "/api/v1/availability"
    tags = ["Booking"]

    @get("/", operation_id="getAvailability", summary="Bookable slots of a service on one day")
    async def availability(
        self, request: Request, item: FromQuery[str], date: FromQuery[str], staff: FromQuery[Id | None] = None,
        quantity: FromQuery[Count | None] = None, lat: FromQuery[Latitude | None] = None, lng: FromQuery[Longitude | None] = None,
    ) -> Availability:
        """`date` is a day of the franchise's calendar (YYYY-MM-DD); each slot lists the ids of the
        workers free for the whole visit. `staff` asks for one worker; `lat`/`lng` (the visit's
        place) leave out workers whose service radius does not reach it; `quantity` is the hours of
        an hourly service. Days before the lead time or past the booking horizon have no slots."""
        # Only asked who the customer is when a plugin widens or narrows their window (priority
        # booking); otherwise a visitor's answer and a customer's are the same, at no cost.
        customer_id = await signed_in_customer(request) if asks_booking_window() else None
        return await item_availability(item=item, day=date, staff_id=staff, quantity=quantity, lat=lat, lng=lng, customer_id=customer_id)


API_HANDLERS = [OrderController, QuoteController, UploadController, AvailabilityController, serve_media]
