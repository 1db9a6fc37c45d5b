"""The JSON API of workers: public profiles and availability, for the booking page and the
mini-program. Pick the franchise by Host or X-Tenant."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from platform_core.runtime import Runtime

from . import services
from .availability import item_availability
from .schemas import Availability, WorkerCard, WorkerPage


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


class WorkerController(Controller):
    path = "/api/v1/workers"
    tags = ["Workers"]

    @get("/", operation_id="listWorkers", summary="Active workers with the given skills, best rated first")
    async def list_workers(self, skills: FromQuery[str] = "") -> list[WorkerCard]:
        """`skills` is a comma-separated list (a service's required skills); a worker must have all."""
        return await services.workers_for_skills([s.strip() for s in skills.split(",") if s.strip()])

    @get("/{staff_id:int}", operation_id="getWorker", summary="A worker's public profile, ratings and recent reviews")
    async def get_worker(self, staff_id: FromPath[int]) -> WorkerPage:
        return await services.worker_page(staff_id)
