"""The carer's pages in the staff app: their elder care visits (yesterday to a week ahead) and
the care log of one visit (tasks, vital signs, mood, notes, photos). A worker sees and writes
only the visits whose order they hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post

from platform_core.plugin_api import (
    MAX_IMAGE_BYTES,
    PathId,
    ValidationFailed,
    as_struct,
    current_tenant,
    error_context,
    gettext,
    page,
    redirect_after_post,
    require_staff,
    save_image,
    signed_in_staff,
)

from . import elders, logs, plans

STAFF = [require_staff]
VITALS = ("systolic", "diastolic", "pulse", "temperature")


async def _me(request: Request) -> int:
    staff_id = await signed_in_staff(request)
    assert staff_id is not None  # behind require_staff
    return staff_id


@get("/staff/visits", guards=STAFF, include_in_schema=False, name="elder-care-staff-visits")
async def my_visits(request: Request) -> Response:
    today = plans.today()
    visits = await logs.carer_visits(await _me(request), today - timedelta(days=1), today + timedelta(days=7))
    saved = request.query_params.get("done") == "logged"
    return page(request, "elder_care/staff_visits.html", visits=visits, today=today,
                flash=[("success", gettext("Care log saved: the family can read it now."))] if saved else [],
                css="/static/p/elder_care/elder-care.css")


async def _log_page(request: Request, visit_id: int, values: dict[str, Any] | None = None, status_code: int = 200, **extra: Any) -> Response:
    visit, plan = await logs.visit_for_carer(visit_id, await _me(request))
    existing = await logs.log_of_visit(visit.id)
    if values is None:
        values = {"tasks_done": existing.tasks_done, "mood": existing.mood, "notes": existing.notes, "photos": existing.photos,
                  **{k: getattr(existing.vitals, k) for k in VITALS}} if existing else {"tasks_done": [], "photos": []}
    elder = await elders.get_elder(plan.elder_id)
    return page(request, "elder_care/staff_visit.html", visit=visit, plan=plan, elder=elder, values=values, existing=existing,
                moods=logs.MOODS, status_code=status_code, errors=extra.pop("errors", {}), css="/static/p/elder_care/elder-care.css",
                **extra)


@get("/staff/visits/{visit_id:int}", guards=STAFF, include_in_schema=False, name="elder-care-staff-visit")
async def visit_page(request: Request, visit_id: PathId) -> Response:
    return await _log_page(request, visit_id)


@post("/staff/visits/{visit_id:int}", guards=STAFF, include_in_schema=False, name="elder-care-staff-log")
async def write_log(request: Request, visit_id: PathId) -> Response:
    me = await _me(request)
    await logs.visit_for_carer(visit_id, me)  # a stranger's visit is 404 before any upload is kept
    form = await request.form()
    photos = [str(p) for p in form.getall("photos") if str(p).startswith("/")] if "photos" in form else []
    values: dict[str, Any] = {"tasks_done": [str(t) for t in form.getall("tasks_done")] if "tasks_done" in form else [],
                              "mood": str(form.get("mood") or ""), "notes": str(form.get("notes") or ""), "photos": photos,
                              **{k: str(form.get(k) or "").strip() for k in VITALS}}
    try:
        for upload in form.getall("photo:file") if "photo:file" in form else []:
            data = await upload.read(MAX_IMAGE_BYTES + 1) if hasattr(upload, "read") else b""
            if data:
                try:
                    photos.append(save_image(current_tenant(), data))
                except ValidationFailed as exc:
                    raise ValidationFailed({"photos": next(iter(exc.fields.values()))}) from None
        # The vital signs on their own first, so a wrong one is named by its own field.
        vitals = as_struct({k: values[k] for k in VITALS if values[k] != ""}, logs.Vitals)
        parsed = as_struct({"tasks_done": values["tasks_done"], "mood": values["mood"], "notes": values["notes"], "photos": photos},
                           logs.LogForm)
        parsed = logs.LogForm(tasks_done=parsed.tasks_done, vitals=vitals, mood=parsed.mood, notes=parsed.notes, photos=parsed.photos)
        await logs.write(visit_id, me, parsed)
    except ValidationFailed as exc:
        return await _log_page(request, visit_id, values, status_code=400, **error_context(exc))
    return redirect_after_post(request, "/p/elder_care/staff/visits?done=logged")


HANDLERS = [my_visits, visit_page, write_log]
