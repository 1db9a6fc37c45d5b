"""Worker pages: the console's workers (list, create, profile, hours, days off, status), the staff
app's own availability, and the public worker profile."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from platform_core import clock
from platform_core.accounts.guards import require_console, require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.bounds import is_digits
from platform_core.catalog.schemas import SKILLS
from platform_core.catalog.services import skill_choices
from platform_core.errors import HearthError, ValidationFailed
from platform_core.geo import PlaceTip, place_line
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads as media
from platform_core.web.bounds import PathId
from platform_core.web.forms import done_notice, error_context, form_values
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.i18n import ngettext
from platform_core.web.maps import (
    REGIONS_URL,
    find_region,
    map_csp,
    region_data,
    suggest,
    tile_layer,
)
from platform_core.web.pages import page

from . import services
from .schemas import KNOWN_SKILLS, TimeOff, TimeOffCreate, WorkerCreate, WorkerUpdate

WEEKDAY_LABELS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
NOTICES = {
    "created": N_("Worker added. Fill in their profile and working hours."),
    "saved": N_("Changes saved."),
    "hours": N_("Working hours saved."),
    "off": N_("Days off saved."),
    "activated": N_("The worker is active again."),
    "deactivated": N_("The worker is deactivated and signed out."),
}
SKILL_LABELS = SKILLS
CONSOLE_GUARD = [require_console("staff.manage")]


# --- forms -----------------------------------------------------------------------------------------


def _int(values: dict[str, str], field: str, errors: dict[str, str]) -> int | None:
    text = values.get(field, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors[field] = N_("Enter a whole number.")
        return None


def _float(values: dict[str, str], field: str, errors: dict[str, str]) -> float | None:
    text = values.get(field, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors[field] = N_("Enter a number.")
        return None


def _tags(text: str) -> list[str]:
    return [t for t in (p.strip() for p in text.replace("，", ",").split(",")) if t]


async def profile_form(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The profile form as text: the ticked skills joined, and the photo stored when one was
    chosen (`photo_url:file`); with the errors of a refused photo."""
    form = await request.form()
    values = {k: v for k, v in form_values(form).items() if not isinstance(v, UploadFile) and ":" not in k}
    values["skills"] = ", ".join(str(s) for s in form.getall("skills")) if "skills" in form else ""
    errors: dict[str, str] = {}
    if form.get("photo_url:remove") == "1":
        values["photo_url"] = ""
    upload = form.get("photo_url:file")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            values["photo_url"] = media.save_image(current_tenant(), await upload.read(media.MAX_BYTES + 1))
        except ValidationFailed as exc:
            errors["photo_url"] = exc.fields["file"]
    return values, errors


def worker_update_from(values: dict[str, str]) -> WorkerUpdate:
    errors: dict[str, str] = {}
    years = _int(values, "years_experience", errors)
    radius = _int(values, "service_radius_km", errors)
    lat, lng = _float(values, "home_lat", errors), _float(values, "home_lng", errors)
    if lat is None and lng is None and (values.get("home_area_code") or values.get("home_district")):
        # Only a district was picked: the base is its centre.
        region = find_region(values.get("home_area_code", "").strip(), values.get("home_region", ""),
                             values.get("home_city", ""), values.get("home_district", ""))
        if region is None or region.lat is None:
            errors["home_district"] = N_("Choose the district from the list.")
        else:
            lat, lng = region.lat, region.lng
    if errors:
        raise ValidationFailed(errors)
    return WorkerUpdate(
        name=values.get("name", ""), photo_url=values.get("photo_url", ""), bio=values.get("bio", ""),
        years_experience=years or 0, skills=_tags(values.get("skills", "")), languages=_tags(values.get("languages", "")),
        home_lat=lat, home_lng=lng, service_radius_km=radius if radius is not None else 10,
    )


RANGES_PER_DAY = 2


def hours_from_pickers(values: dict[str, str]) -> dict[str, str]:
    """The hours form's time pickers (hours_{day}_{n}_from, _to) as each day's ranges in the
    text the service reads (hours_{day}: "08:00-12:00, 13:00-18:00"). A range with only one end
    is kept half-written, so the service refuses it on that day's field."""
    days = {}
    for day in range(7):
        parts = []
        for n in range(RANGES_PER_DAY):
            start = values.get(f"hours_{day}_{n}_from", "").strip()[:5]
            end = values.get(f"hours_{day}_{n}_to", "").strip()[:5]
            if start or end:
                parts.append(f"{start}-{end}")
        days[f"hours_{day}"] = ", ".join(parts)
    return days


def time_off_from(values: dict[str, str]) -> TimeOffCreate:
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for field in ("first_day", "last_day"):
        try:
            days[field] = date.fromisoformat(values.get(field, "").strip())
        except ValueError:
            errors[field] = N_("Enter a date as YYYY-MM-DD.")
    if errors:
        raise ValidationFailed(errors)
    return TimeOffCreate(first_day=days["first_day"], last_day=days["last_day"], reason=values.get("reason", ""))


def time_off_rows(items: list[TimeOff]) -> list[dict[str, Any]]:
    """Days off as the whole local days they cover (the last day shown is inclusive)."""
    tz = ZoneInfo(current_tenant().timezone)
    return [
        {"id": t.id, "first": t.starts.astimezone(tz).date(), "last": (t.ends.astimezone(tz) - timedelta(seconds=1)).date(),
         "reason": t.reason}
        for t in items
    ]


async def availability_context(staff_id: int, hours_values: dict[str, str] | None = None) -> dict[str, Any]:
    hours = await services.get_hours(staff_id)
    return {
        "weekdays": WEEKDAY_LABELS,
        "hours_values": hours_values or {f"hours_{d}": services.format_day_hours(hours, d) for d in range(7)},
        "time_off": time_off_rows(await services.list_time_off(staff_id)),
        "today": clock.today(current_tenant().timezone).isoformat(),
    }


def _flash(request: Request) -> list[tuple[str, str]]:
    flash = done_notice(request, NOTICES)
    jobs = request.query_params.get("jobs", "0")
    if is_digits(jobs) and int(jobs) > 0:
        flash.append(("warning", ngettext(
            "The worker already has %(num)d job in these days: reassign it from the dispatch board.",
            "The worker already has %(num)d jobs in these days: reassign them from the dispatch board.", int(jobs),
        )))
    return flash


# --- console: the list and creating a worker -----------------------------------------------------------


async def _list_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    status = request.query_params.get("status") or None
    skill = request.query_params.get("skill") or None
    query = request.query_params.get("q", "")[:40]
    workers = await services.list_workers(status=status if status in ("active", "inactive") else None, skill=skill,
                                          query=query)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return page(request, "staff/console_workers.html", console=True, status_code=status_code, workers=workers,
                skill_labels=SKILL_LABELS, known_skills=KNOWN_SKILLS, flash=_flash(request),
                filters={"status": status or "", "skill": skill or "", "q": query}, **context)


@get("/console/workers", guards=CONSOLE_GUARD, include_in_schema=False, name="console-workers")
async def workers_page(request: Request) -> Response:
    return await _list_page(request)


@post("/console/workers", guards=CONSOLE_GUARD, include_in_schema=False, name="console-workers-create")
async def workers_create(request: Request) -> Response:
    values = form_values(await request.form())
    try:
        worker = await services.create_worker(WorkerCreate(name=values.get("name", ""), phone=values.get("phone", "")))
    except HearthError as exc:
        return await _list_page(request, status_code=exc.status_code, values=values, create_failed=True, **error_context(exc))
    return Redirect(f"/console/workers/{worker.id}?done=created", status_code=303)


# --- console: one worker -----------------------------------------------------------------------------


async def render_worker_page(request: Request, staff_id: int, *, status_code: int = 200, **context: Any) -> Response:
    worker = await services.get_worker(staff_id)
    context.setdefault("errors", {})
    context.setdefault("values", {
        "name": worker.name, "photo_url": worker.photo_url, "bio": worker.bio, "years_experience": worker.years_experience,
        "skills": ", ".join(worker.skills), "languages": ", ".join(worker.languages),
        "home_lat": "" if worker.home_lat is None else worker.home_lat,
        "home_lng": "" if worker.home_lng is None else worker.home_lng, "service_radius_km": worker.service_radius_km,
    })
    availability = await availability_context(staff_id, context.pop("hours_values", None))
    tiles = await tile_layer(current_tenant())
    regions = region_data()
    near = regions.nearest(worker.home_lat, worker.home_lng) if regions and worker.home_lat is not None and worker.home_lng is not None else None
    return page(request, "staff/console_worker.html", console=True, status_code=status_code, worker=worker,
                skill_labels=SKILL_LABELS, skill_choices=await skill_choices(worker.skills), flash=_flash(request), base=f"/console/workers/{staff_id}",
                map_tiles=tiles, csp=map_csp(tiles), regions_url=REGIONS_URL if regions else "",
                home_near=place_line(near.province, near.city, near.district) if near else "",
                **availability, **context)


@get("/console/workers/places", guards=CONSOLE_GUARD, include_in_schema=False, name="console-worker-places")
async def worker_places(q: FromQuery[str] = "", city: FromQuery[str] = "") -> list[PlaceTip]:
    """Suggestions while a home base's street is typed (the map provider's input tips)."""
    return await suggest(current_tenant(), q, city)


@get("/console/workers/{staff_id:int}", guards=CONSOLE_GUARD, include_in_schema=False, name="console-worker")
async def worker_page(request: Request, staff_id: PathId) -> Response:
    return await render_worker_page(request, staff_id)


@post("/console/workers/{staff_id:int}", guards=CONSOLE_GUARD, include_in_schema=False, name="console-worker-update")
async def worker_update(request: Request, staff_id: PathId) -> Response:
    values, upload_errors = await profile_form(request)
    try:
        if upload_errors:
            raise ValidationFailed(upload_errors)
        await services.update_worker(staff_id, worker_update_from(values))
    except ValidationFailed as exc:
        return await render_worker_page(request, staff_id, status_code=400, values=values, profile_failed=True, **error_context(exc))
    return Redirect(f"/console/workers/{staff_id}?done=saved", status_code=303)


@post("/console/workers/{staff_id:int}/status", guards=CONSOLE_GUARD, include_in_schema=False, name="console-worker-status")
async def worker_status(request: Request, staff_id: PathId) -> Response:
    status = (await request.form()).get("status", "")
    await services.set_worker_status(staff_id, status)
    return Redirect(f"/console/workers/{staff_id}?done={'activated' if status == 'active' else 'deactivated'}", status_code=303)


@post("/console/workers/{staff_id:int}/hours", guards=CONSOLE_GUARD, include_in_schema=False, name="console-worker-hours")
async def worker_hours(request: Request, staff_id: PathId) -> Response:
    values = hours_from_pickers(form_values(await request.form()))
    try:
        await services.set_hours(staff_id, services.parse_week(values))
    except ValidationFailed as exc:
        return await render_worker_page(request, staff_id, status_code=400, hours_values=values, hours_failed=True,
                                  **error_context(exc))
    return Redirect(f"/console/workers/{staff_id}?done=hours#hours", status_code=303)


@post("/console/workers/{staff_id:int}/time-off/{time_off_id:int}/delete", guards=CONSOLE_GUARD, include_in_schema=False,
      name="console-worker-off-delete")
async def worker_time_off_delete(staff_id: PathId, time_off_id: PathId) -> Response:
    await services.delete_time_off(staff_id, time_off_id)
    return Redirect(f"/console/workers/{staff_id}?done=off#time-off", status_code=303)


# --- staff app: my availability ----------------------------------------------------------------------

STAFF_BASE = "/staff/availability"


async def _mine(request: Request, principal: Principal, *, status_code: int = 200, **context: Any) -> Response:
    staff = await active_staff(principal)
    availability = await availability_context(staff.id, context.pop("hours_values", None))
    return page(request, "staff/my_availability.html", status_code=status_code, staff=staff, base=STAFF_BASE,
                flash=_flash(request), errors=context.pop("errors", {}), **availability, **context)


@get(STAFF_BASE, guards=[require_staff], include_in_schema=False, name="staff-availability")
async def my_availability(request: Request, principal: NamedDependency[Principal]) -> Response:
    return await _mine(request, principal)


@post(f"{STAFF_BASE}/hours", guards=[require_staff], include_in_schema=False, name="staff-availability-hours")
async def my_hours(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    values = hours_from_pickers(form_values(await request.form()))
    try:
        await services.set_hours(staff.id, services.parse_week(values))
    except ValidationFailed as exc:
        return await _mine(request, principal, status_code=400, hours_values=values, hours_failed=True, **error_context(exc))
    return Redirect(f"{STAFF_BASE}?done=hours", status_code=303)


@post(f"{STAFF_BASE}/time-off", guards=[require_staff], include_in_schema=False, name="staff-availability-off")
async def my_time_off(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    values = form_values(await request.form())
    try:
        await services.add_time_off(staff.id, time_off_from(values))
    except ValidationFailed as exc:
        return await _mine(request, principal, status_code=400, off_values=values, off_failed=True, **error_context(exc))
    return Redirect(f"{STAFF_BASE}?done=off#time-off", status_code=303)


@post(f"{STAFF_BASE}/time-off/{{time_off_id:int}}/delete", guards=[require_staff], include_in_schema=False,
      name="staff-availability-off-delete")
async def my_time_off_delete(
    principal: NamedDependency[Principal], time_off_id: PathId
) -> Response:
    staff = await active_staff(principal)
    await services.delete_time_off(staff.id, time_off_id)
    return Redirect(f"{STAFF_BASE}?done=off#time-off", status_code=303)


HANDLERS = [
    workers_page, workers_create, worker_page, worker_update, worker_status, worker_hours, worker_places,
    worker_time_off_delete, my_availability, my_hours, my_time_off, my_time_off_delete,
]
