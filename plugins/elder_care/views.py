"""The family's pages (/p/elder_care/..., mobile first): the care assessment and its level, a new
care plan, the plan with its visits, trial, family and the carers' logs. Every page is the
signed-in customer's own or a plan they were invited to (family.py); anything else is 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect

from platform_core.plugin_api import (
    HearthError,
    NotFound,
    PageContext,
    PageNotice,
    PathId,
    ValidationFailed,
    as_struct,
    clock,
    customer_addresses,
    error_context,
    form_data,
    gettext,
    ngettext,
    order_numbers,
    page,
    plugin_config,
    redirect_after_post,
    require_customer,
    signed_in_customer,
)
from platform_core.plugin_api import lazy_gettext as N_

from . import care, elders, family, lifecycle, logs, plans, schedule
from .config import ElderCareConfig

CUSTOMER = [require_customer]
HOME = "/p/elder_care/"
DONE = {"paused": N_("The plan is paused: visits not yet begun were cancelled."), "resumed": N_("The plan is back on: its visits are booked again."),
        "ended": N_("The plan has ended."), "kept": N_("You kept the carer: they stay with this plan."),
        "replaced": N_("We are finding another carer for the visits ahead."), "invited": N_("Invitation sent."),
        "removed": N_("Family member removed."), "created": N_("Your care plan is set up: its first visits are booked.")}
CSS = "/static/p/elder_care/elder-care.css"


async def _me(request: Request) -> int:
    customer_id = await signed_in_customer(request)
    assert customer_id is not None  # behind require_customer
    return customer_id


def _flash(request: Request) -> list[tuple[str, str]]:
    notice = DONE.get(request.query_params.get("done", ""))
    return [("success", gettext(notice))] if notice else []


def _common() -> dict[str, Any]:
    return {"barthel": care.BARTHEL, "answers": care.answers, "cognition": care.COGNITION, "mobility": care.MOBILITY,
            "levels": care.LEVELS, "credential_labels": care.CREDENTIAL_LABELS, "plan_states": plans.STATES, "plan_tones": plans.STATE_TONES, "moods": logs.MOODS,
            "weekday_codes": schedule.WEEKDAY_CODES, "css": CSS}


# ---------------------------------------------------------------------------------------------- home


@get("/", guards=CUSTOMER, include_in_schema=False, name="elder-care-home")
async def home(request: Request) -> Response:
    me = await _me(request)
    return page(request, "elder_care/home.html", elders=await elders.elders_of(me), own=await plans.plans_of(me),
                shared=await family.shared_with(me), flash=_flash(request), **_common())


# ---------------------------------------------------------------------------------------------- assessment


async def _assess_page(request: Request, values: dict, elder_id: int | None = None, status_code: int = 200, **extra: Any) -> Response:
    return page(request, "elder_care/assess.html", values=values, elder_id=elder_id, status_code=status_code,
                errors=extra.pop("errors", {}), **extra, **_common())


@get("/assess", guards=CUSTOMER, include_in_schema=False, name="elder-care-assess")
async def assess_form(request: Request) -> Response:
    return await _assess_page(request, {})


async def _save_assessment(request: Request, elder_id: int | None) -> Response:
    me = await _me(request)
    values = await form_data(request)
    try:
        form = as_struct(values, elders.AssessmentForm)
        elder = await elders.assess(me, form, elder_id)
    except ValidationFailed as exc:
        return await _assess_page(request, values, elder_id, status_code=400, **error_context(exc))
    return redirect_after_post(request, f"/p/elder_care/elders/{elder.id}")


@post("/assess", guards=CUSTOMER, include_in_schema=False, name="elder-care-assess-save")
async def assess_save(request: Request) -> Response:
    return await _save_assessment(request, None)


async def _own_elder(request: Request, elder_id: int) -> elders.Elder:
    elder = await elders.get_elder(elder_id)
    if elder.customer_id != await _me(request):
        raise NotFound("elder")
    return elder


@get("/elders/{elder_id:int}", guards=CUSTOMER, include_in_schema=False, name="elder-care-elder")
async def elder_page(request: Request, elder_id: PathId) -> Response:
    elder = await _own_elder(request, elder_id)
    credentials, courses = care.requirement_for(elder.level)
    surcharge = (await plugin_config(ElderCareConfig)).surcharge(elder.level)
    return page(request, "elder_care/elder.html", elder=elder, outcome=elder.outcome, credentials=credentials, courses=courses,
                surcharge=surcharge, **_common())


@get("/elders/{elder_id:int}/assess", guards=CUSTOMER, include_in_schema=False, name="elder-care-reassess")
async def reassess_form(request: Request, elder_id: PathId) -> Response:
    elder = await _own_elder(request, elder_id)
    d = elder.data
    values = {"name": d.name, "age": d.age, "relation": d.relation, "mobility": d.mobility, "cognition": d.cognition,
              "conditions": d.conditions, "medication": d.medication, "contact_name": d.contact_name,
              "contact_phone": d.contact_phone, "contact_relation": d.contact_relation,
              **{f"adl_{code}": score for code, score in d.activities.items()}}
    return await _assess_page(request, values, elder.id)


@post("/elders/{elder_id:int}/assess", guards=CUSTOMER, include_in_schema=False, name="elder-care-reassess-save")
async def reassess_save(request: Request, elder_id: PathId) -> Response:
    await _own_elder(request, elder_id)
    return await _save_assessment(request, elder_id)


# ---------------------------------------------------------------------------------------------- a new plan


async def _plan_form_page(request: Request, me: int, values: dict, status_code: int = 200, **extra: Any) -> Response:
    addresses = await customer_addresses(me)
    return page(request, "elder_care/plan_new.html", values=values, items=await plans.care_items(), addresses=addresses,
                elder_options=[(e.id, e.data.name) for e in await elders.elders_of(me)],
                address_options=[(a.id, " ".join(filter(None, [a.label, a.area or a.district, a.street, a.detail]))) for a in addresses],
                status_code=status_code, errors=extra.pop("errors", {}),
                config=await plugin_config(ElderCareConfig), **extra, **_common())


@get("/plans/new", guards=CUSTOMER, include_in_schema=False, name="elder-care-plan-new")
async def plan_new(request: Request) -> Response:
    me = await _me(request)
    if not await elders.elders_of(me):
        return Redirect("/p/elder_care/assess", status_code=303)
    values = {"elder_id": request.query_params.get("elder", ""), "start_time": "09:00", "end_time": "12:00",
              "starts_on": (plans.today()).isoformat(), "weekdays": [0, 2, 4]}
    return await _plan_form_page(request, me, values)


def _time(text: str) -> str:
    return f"{text}:00" if len(text) == 5 else text


@post("/plans/new", guards=CUSTOMER, include_in_schema=False, name="elder-care-plan-create")
async def plan_create(request: Request) -> Response:
    me = await _me(request)
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k not in ("csrf_token", "weekdays")}
    values["weekdays"] = [int(d) for d in (form.getall("weekdays") if "weekdays" in form else []) if str(d).isdigit() and len(str(d)) == 1]
    data = {**values, "tasks": [t.strip() for t in values.get("tasks", "").splitlines() if t.strip()],
            "start_time": _time(values.get("start_time", "")), "end_time": _time(values.get("end_time", "")),
            "ends_on": values.get("ends_on") or None}
    try:
        plan = await plans.create_plan(me, as_struct(data, plans.PlanForm))
    except ValidationFailed as exc:
        return await _plan_form_page(request, me, values, status_code=400, **error_context(exc))
    return redirect_after_post(request, f"/p/elder_care/plans/{plan.id}?done=created")


# ---------------------------------------------------------------------------------------------- the plan


async def _plan_page(request: Request, plan_id: int, status_code: int = 200, **extra: Any) -> Response:
    me = await _me(request)
    plan, role = await family.plan_for(plan_id, me)
    elder = await elders.get_elder(plan.elder_id)
    visits = await plans.visits_of(plan.id, since=plans.today())
    item = await plans.get_item_ref(plan.item_id)
    visits = visits[:14]
    numbers = await order_numbers([v.order_id for v in visits if v.order_id is not None])
    return page(request, "elder_care/plan.html", plan=plan, role=role, elder=elder, item=item, visits=visits, numbers=numbers,
                carer=await plans.current_carer(plan), timeline=await logs.timeline(plan.id),
                members=await family.members(plan.id) if role == "owner" else [], today=plans.today(),
                flash=extra.pop("flash", None) or _flash(request), status_code=status_code, errors=extra.pop("errors", {}),
                **extra, **_common())


@get("/plans/{plan_id:int}", guards=CUSTOMER, include_in_schema=False, name="elder-care-plan")
async def plan_page(request: Request, plan_id: PathId) -> Response:
    return await _plan_page(request, plan_id)


async def _act(request: Request, plan_id: int, action, done: str) -> Response:
    me = await _me(request)
    await family.plan_for(plan_id, me, manage=True)
    try:
        await action(plan_id)
    except HearthError as exc:
        if exc.status_code >= 500:
            raise
        context = error_context(exc)
        return await _plan_page(request, plan_id, status_code=exc.status_code, flash=[("error", context["form_error"])])
    return redirect_after_post(request, f"/p/elder_care/plans/{plan_id}?done={done}")


@post("/plans/{plan_id:int}/pause", guards=CUSTOMER, include_in_schema=False, name="elder-care-plan-pause")
async def plan_pause(request: Request, plan_id: PathId) -> Response:
    return await _act(request, plan_id, lifecycle.pause, "paused")


@post("/plans/{plan_id:int}/resume", guards=CUSTOMER, include_in_schema=False, name="elder-care-plan-resume")
async def plan_resume(request: Request, plan_id: PathId) -> Response:
    return await _act(request, plan_id, lifecycle.resume, "resumed")


@post("/plans/{plan_id:int}/end", guards=CUSTOMER, include_in_schema=False, name="elder-care-plan-end")
async def plan_end(request: Request, plan_id: PathId) -> Response:
    return await _act(request, plan_id, lifecycle.end, "ended")


@post("/plans/{plan_id:int}/keep-carer", guards=CUSTOMER, include_in_schema=False, name="elder-care-keep-carer")
async def keep_carer(request: Request, plan_id: PathId) -> Response:
    return await _act(request, plan_id, lifecycle.confirm_carer, "kept")


@post("/plans/{plan_id:int}/replace-carer", guards=CUSTOMER, include_in_schema=False, name="elder-care-replace-carer")
async def replace_carer(request: Request, plan_id: PathId) -> Response:
    return await _act(request, plan_id, lifecycle.replace_carer, "replaced")


@post("/plans/{plan_id:int}/family", guards=CUSTOMER, include_in_schema=False, name="elder-care-invite")
async def invite(request: Request, plan_id: PathId) -> Response:
    me = await _me(request)
    plan, role = await family.plan_for(plan_id, me)
    family.refuse_if_not_owner(role)
    values = await form_data(request)
    try:
        await family.invite(plan, values.get("phone", "")[:40], values.get("may_manage") == "1")
    except ValidationFailed as exc:
        return await _plan_page(request, plan_id, status_code=400, invite_values=values, **error_context(exc))
    return redirect_after_post(request, f"/p/elder_care/plans/{plan_id}?done=invited#family")


@post("/plans/{plan_id:int}/family/{member_id:int}/remove", guards=CUSTOMER, include_in_schema=False, name="elder-care-uninvite")
async def uninvite(request: Request, plan_id: PathId, member_id: PathId) -> Response:
    plan, role = await family.plan_for(plan_id, await _me(request))
    family.refuse_if_not_owner(role)
    await family.remove(plan, member_id)
    return redirect_after_post(request, f"/p/elder_care/plans/{plan_id}?done=removed#family")


# ---------------------------------------------------------------------------------------------- notices


async def page_notices(context: PageContext) -> list[PageNotice] | None:
    """On an elder care service's page and its booking page, a customer not yet assessed is led
    to the assessment (booking is closed until then: compute_booking_window); on
    the staff app's home and jobs, a carer with visits of yesterday or today still to log is led
    to the care log."""
    if context.surface == "staff" and context.staff_id is not None and context.path in ("/staff", "/staff/", "/staff/jobs"):
        today = plans.today()
        due = [v for v, _, log in await logs.carer_visits(context.staff_id, today - timedelta(days=1), today)
               if log is None and v.starts_at <= clock.now()]
        if not due:
            return None
        return [PageNotice(title=gettext("Elder care: write the care log"), level="warning", dismissible=False,
                           body=ngettext("%(num)s visit waits for its care log: the family reads it.",
                                         "%(num)s visits wait for their care log: the family reads them.", len(due)),
                           href="/p/elder_care/staff/visits", link_label=gettext("Elder care visits"))]
    if context.surface != "customer" or not context.path.startswith(("/services/", "/book/")):
        return None
    slug = context.path.split("/")[2] if context.path.count("/") >= 2 else ""
    if slug not in {i.slug for i in await plans.care_items()}:
        return None
    if context.customer_id is not None and await elders.customer_level(context.customer_id) is not None:
        return [PageNotice(title=gettext("Elder care is booked as a care plan"), level="info", dismissible=True,
                           body=gettext("Regular visits with the same carer, a trial period and a care log after each visit."),
                           href="/p/elder_care/", link_label=gettext("Set up a care plan"))]
    return [PageNotice(title=gettext("Start with a care assessment"), level="info", dismissible=False,
                       body=gettext("Before the first visit we need to know the elder's needs: it takes five minutes and sets the care level and the price."),
                       href="/p/elder_care/assess", link_label=gettext("Take the care assessment"))]


HANDLERS = [home, assess_form, assess_save, elder_page, reassess_form, reassess_save, plan_new, plan_create, plan_page, plan_pause,
            plan_resume, plan_end, keep_carer, replace_carer, invite, uninvite]
