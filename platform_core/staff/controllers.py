"""The JSON API of workers' availability, used by the booking page and the mini-program."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from platform_core.runtime import Runtime

from .availability import item_availability
from .schemas import Availability


class AvailabilityController(Controller):
    path = "/api/v1/availability"
    tags = ["Booking"]

    @get("/", operation_id="getAvailability", summary="Bookable slots of a service on one day")
    async def availability(
        self, rt: NamedDependency[Runtime], item: FromQuery[str], date: FromQuery[str], staff: FromQuery[int | None] = None,
        quantity: FromQuery[int | None] = None, lat: FromQuery[float | None] = None, lng: FromQuery[float | None] = None,
    ) -> Availability:
        """`date` is a day of the franchise's calendar (YYYY-MM-DD); each slot lists the ids of the
        workers free for the whole visit. `staff` asks for one worker; `lat`/`lng` (the visit's
        place) leave out workers whose service radius does not reach it; `quantity` is the hours of
        an hourly service. Days before the lead time or past the booking horizon have no slots."""
        return await item_availability(rt, item=item, day=date, staff_id=staff, quantity=quantity, lat=lat, lng=lng)
