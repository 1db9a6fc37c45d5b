"""The JSON API of the staff app's job offers (the mini-program and the mobile web app)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from platform_core.accounts.guards import BEARER_SECURITY, require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.web.bounds import PathId

from . import offers
from .schemas import Decline, Job


class StaffJobsController(Controller):
    path = "/api/v1/staff/jobs"
    tags = ["Staff app"]
    guards = [require_staff]
    security = BEARER_SECURITY

    @get("/", operation_id="listMyJobs", summary="The worker's open offers and accepted jobs, soonest first")
    async def list_jobs(self, principal: NamedDependency[Principal]) -> list[Job]:
        staff = await active_staff(principal)
        return [await offers.job_view(a) for a in await offers.offers_for(staff.id)]

    @get("/{job_id:int}", operation_id="getMyJob", summary="One of the worker's jobs")
    async def get_job(self, principal: NamedDependency[Principal], job_id: PathId) -> Job:
        """Another worker's job is a 404. The address is given once the job is accepted."""
        staff = await active_staff(principal)
        return await offers.job_view(await offers.staff_assignment(staff.id, job_id))

    @post("/{job_id:int}/accept", operation_id="acceptJob", status_code=200, summary="Accept an offer")
    async def accept(self, principal: NamedDependency[Principal], job_id: PathId) -> Job:
        """409 when the offer lapsed, was withdrawn or was already answered."""
        staff = await active_staff(principal)
        return await offers.job_view(await offers.accept_offer(staff.id, job_id))

    @post("/{job_id:int}/decline", operation_id="declineJob", status_code=204, summary="Decline an offer")
    async def decline(
        self, principal: NamedDependency[Principal], job_id: PathId, data: JSONBody[Decline]) -> None:
        """The order goes to the next best worker; this worker is not offered it again."""
        staff = await active_staff(principal)
        await offers.decline_offer(staff.id, job_id, reason=data.reason)
