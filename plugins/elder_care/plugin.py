"""Hook implementations of the elder care plugin: thin, each hands over to the module that holds
the rule (care levels, plans, family, logs, the pages)."""

from __future__ import annotations

from pathlib import Path

from platform_core.plugin_api import (
    BookingFieldSpec,
    BookingWindow,
    BookingWindowQuery,
    CustomerEvent,
    DispatchCandidate,
    DispatchScore,
    MenuEntry,
    NotFound,
    PageContext,
    PluginInfo,
    PriceAdjustment,
    PriceQuote,
    Requirement,
    RequirementQuery,
    ServiceCategorySpec,
    ServiceItemSpec,
    StaticDir,
    TenantFileEvent,
    current_tenant,
    gettext,
    hookimpl,
    plugin_config,
    translate_to,
)
from platform_core.plugin_api import lazy_gettext as N_

from . import care, course, elders, family, jobs, plans, staff_views, tenant_data, views
from .config import ElderCareConfig

NAME = "elder_care"
HERE = Path(__file__).parent

# The items the category starts with (prices in fen; the franchise reprices them in its console).
ITEMS = [
    (dict(code="elder-companion-care", unit="hour", price=6000, duration_minutes=60, min_quantity=2, max_quantity=12),
     N_("Hourly companion care"), N_("A carer at home by the hour: company, meals, medication reminders, a walk, light housework.")),
    (dict(code="elder-bathing", unit="visit", price=19800, duration_minutes=90),
     N_("Bathing assistance"), N_("A safe bath or shower with two hands to help: transfers, washing, skin check, dressing.")),
    (dict(code="elder-live-in-carer", unit="month", price=780000, duration_minutes=30 * 24 * 60),
     N_("Live-in carer"), N_("A carer who lives in for a month: day and night care, meals, hygiene, company.")),
    (dict(code="elder-post-hospital-care", unit="hour", price=8000, duration_minutes=60, min_quantity=3, max_quantity=12),
     N_("Post-hospital care"), N_("Care after a hospital stay or an operation: wound watch, vital signs, medication, rehabilitation exercises.")),
]


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Elder care",
        description="The elder care category and its services, care assessments with care levels, care plans that book recurring visits with the same carer, a trial period, carers' visit logs and the family who reads them.",
        config=ElderCareConfig,
        category="services",
    )


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["plugins.elder_care.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def register_static_dirs() -> list[StaticDir]:
    return [StaticDir(name=NAME, path=str(HERE / "static"))]


@hookimpl
def register_routes():
    return [*views.HANDLERS, *staff_views.HANDLERS]


@hookimpl
def register_job_handlers():
    return jobs.JOB_HANDLERS


@hookimpl
def provide_account_menu() -> list[MenuEntry]:
    return [MenuEntry(label="Elder care", href="/p/elder_care/", icon="users", order=45)]


def _locale() -> str:
    """The franchise's language for what becomes its rows; the platform's default when the hook
    is asked outside a franchise (which plugins have categories at all, at start-up)."""
    try:
        return current_tenant().locale
    except NotFound:
        return "zh_CN"


@hookimpl
def provide_service_categories() -> list[ServiceCategorySpec]:
    locale = _locale()
    return [ServiceCategorySpec(
        code=plans.CATEGORY, title=translate_to(locale, N_("Elder care")), icon="users",
        booking_fields=[BookingFieldSpec(name="elder_notes", label=gettext("About the elder (mobility, habits, what to watch for)"),
                                         type="textarea")],
        items=[ServiceItemSpec(title=translate_to(locale, title), description=translate_to(locale, text), required_skills=["elder_care"],
                               **spec) for spec, title, text in ITEMS],
    )]


@hookimpl
def provide_training_courses():
    return [course.course_spec(_locale())]


# ---- contributions


@hookimpl
async def compute_order_requirements(query: RequirementQuery):
    if query.category != plans.CATEGORY:
        return None
    level = None
    if query.order_id is not None and (plan := await plans.plan_for_order(query.order_id)) is not None:
        level = (await elders.get_elder(plan.elder_id)).level
    elif query.customer_id is not None:
        level = await elders.customer_level(query.customer_id)
    credentials, courses = care.requirement_for(level or 1)
    reason = gettext("Elder care at care level %(level)s needs: %(what)s", level=level or 1, what=", ".join(credentials + courses))
    return Requirement(credentials=credentials, courses=courses, reason=reason)


@hookimpl
async def compute_booking_window(query: BookingWindowQuery):
    # The care assessment comes before the first service: until an elder is assessed, no times.
    if query.category != plans.CATEGORY or query.customer_id is None:
        return None
    if await elders.customer_level(query.customer_id) is not None:
        return None
    return BookingWindow(closed=gettext("Take the care assessment first: it sets the care level, what the carer must hold and the price."))


@hookimpl
async def compute_price_adjustments(quote: PriceQuote):
    if quote.category != plans.CATEGORY or quote.customer_id is None:
        return None
    level = await elders.customer_level(quote.customer_id)
    amount = (await plugin_config(ElderCareConfig)).surcharge(level or 1)
    if not amount:
        return None
    return [PriceAdjustment(label=gettext("Care level %(level)s surcharge", level=level), amount=amount, code="elder_care.level")]


@hookimpl
async def compute_dispatch_scores(candidate: DispatchCandidate):
    if candidate.category != plans.CATEGORY:
        return None
    plan = await plans.plan_for_order(candidate.order_id)
    if plan is None:
        return None
    if candidate.staff_id in plan.excluded_carers:
        return [DispatchScore(name="elder_care.same_carer", score=0, eligible=False, label=gettext("Care plan's carer"),
                              reason=gettext("The family asked for another carer"))]
    same = candidate.staff_id == plan.carer_id
    return [DispatchScore(name="elder_care.same_carer", score=1.0 if same else 0.0, label=gettext("Care plan's carer"),
                          reason=gettext("The plan's usual carer") if same else "")]


@hookimpl
async def compute_page_notices(page: PageContext):
    return await views.page_notices(page)


# ---- facts


@hookimpl
async def on_customer_registered(event: CustomerEvent) -> None:
    await family.link_new_customer(event.customer_id)


@hookimpl
async def on_tenant_file_applied(event: TenantFileEvent) -> None:
    if event.plugin_name == NAME:
        await tenant_data.apply(event)
