"""The franchise's training in the console (`staff.manage`): the course editor (editor_views.py),
where a course is required (head office's included), who is due, a nudge, and a worker's
training."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post

from platform_core.accounts.guards import require_console
from platform_core.accounts.ratelimit import Limit, enforce
from platform_core.bounds import INT64_MAX
from platform_core.catalog.services import list_categories
from platform_core.errors import HearthError, NotFound
from platform_core.runtime import current_runtime
from platform_core.staff.services import get_worker
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    as_struct,
    done_notice,
    error_context,
    form_data,
    optional_int,
    redirect_after_post,
)
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import learning, services
from .editor_views import (
    NOTICES,
    ORIGIN_LABELS,
    STATE_LABELS,
    STATE_TONES,
    Author,
    editor_handlers,
)
from .schemas import Requirement

BASE = "/console/training"
MANAGE = require_console("staff.manage")
STATUS_LABELS = {"not_started": N_("Not started"), "in_progress": N_("In progress"), "failed": N_("Failed"), "passed": N_("Passed")}
STATUS_TONES = {"not_started": "neutral", "in_progress": "info", "failed": "danger", "passed": "success"}
NUDGE_LIMIT = (Limit("nudge-12h", 1, 12 * 3600, N_("This worker was reminded of this course less than 12 hours ago.")),)
AUTHOR = Author(base=BASE, name="console", guards=[MANAGE], store=services.FRANCHISE, layout="layouts/console.html")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_tenant().timezone)


@post(f"{BASE}/{{course_id:int}}/required", guards=[MANAGE], include_in_schema=False, name="console-training-required")
async def set_required(request: Request, course_id: PathId) -> Response:
    form = await request.form()
    values = {"categories": [str(c) for c in form.getall("categories")] if "categories" in form else [],
              "onboarding": form.get("onboarding") == "1"}
    try:
        await services.set_requirement(course_id, as_struct(values, Requirement))
    except HearthError as exc:
        return await _course_with_error(request, course_id, exc)
    return redirect_after_post(request, f"{BASE}/{course_id}?done=required")


async def _course_with_error(request: Request, course_id: int, exc: HearthError) -> Response:
    course = await services.get_course(course_id)
    return page(request, "training/editor_course.html", console=True, status_code=exc.status_code, course=course, base=BASE,
                layout=AUTHOR.layout, head_office=False, **_labels(),
                categories=[(c.code, c.title) for c in await list_categories(current_tenant(), for_customer=False)], **error_context(exc))


def _labels() -> dict[str, Any]:
    return {"states": STATE_LABELS, "tones": STATE_TONES, "origins": ORIGIN_LABELS, "status_labels": STATUS_LABELS,
            "status_tones": STATUS_TONES}


async def _course_options() -> list[tuple[str, str]]:
    return [(str(c.id), c.title) for c in await services.list_courses(states=("published",))]


@get(f"{BASE}/due", guards=[MANAGE], include_in_schema=False, name="console-training-due")
async def due_page(request: Request) -> Response:
    params = request.query_params
    course_id = optional_int(params.get("course"))
    category = params.get("category") or None
    status = params.get("status") if params.get("status") in STATUS_LABELS else None
    rows = await learning.who_is_due(course_id=course_id, category=category, status=status)
    return page(request, "training/console_due.html", console=True, rows=rows, tz=_zone(), **_labels(),
                course_options=await _course_options(), course_id=course_id, category=category or "",
                status=status or "", categories=[(c.code, c.title) for c in await list_categories(current_tenant(), for_customer=False)],
                flash=done_notice(request, NOTICES))


@post(f"{BASE}/due/nudge", guards=[MANAGE], include_in_schema=False, name="console-training-nudge")
async def nudge(request: Request) -> Response:
    values = await form_data(request)
    staff_id, course_id = optional_int(values.get("staff_id")), optional_int(values.get("course_id"))
    back = values.get("back") if values.get("back", "").startswith(f"{BASE}/") else f"{BASE}/due"
    try:
        if not staff_id or not course_id or max(staff_id, course_id) > INT64_MAX:
            raise NotFound("course")
        # One reminder per worker and course in half a day: a nudge, not a stream of messages.
        await enforce(current_runtime().kv, current_tenant().key("training-nudge", staff_id, course_id), NUDGE_LIMIT)
        await learning.nudge(staff_id, course_id)
    except HearthError as exc:
        return page(request, "training/console_due.html", console=True, status_code=exc.status_code, rows=await learning.who_is_due(),
                    tz=_zone(), **_labels(), course_options=await _course_options(), course_id=None, category="",
                    status="", categories=[], **error_context(exc))
    sep = "&" if "?" in back else "?"
    return redirect_after_post(request, f"{back}{sep}done=nudged")


@get(f"{BASE}/workers/{{staff_id:int}}", guards=[MANAGE], include_in_schema=False, name="console-training-worker")
async def worker_training(request: Request, staff_id: PathId) -> Response:
    worker = await get_worker(staff_id)
    return page(request, "training/console_worker.html", console=True, worker=worker, courses=await learning.worker_courses(staff_id),
                tz=_zone(), flash=done_notice(request, NOTICES), **_labels())


@get(f"{BASE}/certificates/{{certificate_id:int}}", guards=[MANAGE], include_in_schema=False, name="console-training-certificate")
async def certificate(request: Request, certificate_id: PathId) -> Response:
    return page(request, "training/certificate.html", certificate=await learning.get_certificate(certificate_id), tz=_zone(),
                tenant_name=current_tenant().name, back=f"{BASE}/due")


CONSOLE_HANDLERS = [due_page, nudge, worker_training, certificate, set_required, *editor_handlers(AUTHOR)]
