"""The console's day-off form for a worker: it belongs to the calendar because, once the day off
is saved, the office is told how many jobs the worker already holds in it."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.response import Redirect

from platform_core.errors import ValidationFailed
from platform_core.staff import services as staff
from platform_core.staff.views import CONSOLE_GUARD, render_worker_page, time_off_from
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context, form_values

from .calendar import jobs_during


@post("/console/workers/{staff_id:int}/time-off", guards=CONSOLE_GUARD, include_in_schema=False, name="console-worker-off")
async def worker_time_off(request: Request, staff_id: PathId) -> Response:
    values = form_values(await request.form())
    try:
        time_off = await staff.add_time_off(staff_id, time_off_from(values))
    except ValidationFailed as exc:
        return await render_worker_page(request, staff_id, status_code=400, off_values=values, off_failed=True, **error_context(exc))
    jobs = await jobs_during(staff_id, time_off.starts, time_off.ends)
    return Redirect(f"/console/workers/{staff_id}?done=off&jobs={jobs}#time-off", status_code=303)


HANDLERS = [worker_time_off]
