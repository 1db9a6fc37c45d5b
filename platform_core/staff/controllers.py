"""The JSON API of workers: who does a service, for the booking page and the mini-program
(availability and full profiles are booking's). Pick the franchise by Host or X-Tenant."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery

from . import services
from .schemas import WorkerCard


class WorkerController(Controller):
    path = "/api/v1/workers"
    tags = ["Workers"]

    @get("/", operation_id="listWorkers", summary="Active workers with the given skills, best rated first")
    async def list_workers(self, skills: FromQuery[str] = "") -> list[WorkerCard]:
        """`skills` is a comma-separated list (a service's required skills); a worker must have all."""
        return await services.workers_for_skills([s.strip() for s in skills.split(",") if s.strip()])
