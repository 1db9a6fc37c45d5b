"""Hook implementations of the loyalty plugin: thin, each hands over to the module that holds the
rule (points, check-in and tasks, tiers, the shop)."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from platform_core.plugin_api import (
    BookingWindowQuery,
    CustomerConsoleContext,
    CustomerEvent,
    CustomerProfileEvent,
    DispatchCandidate,
    EarningsContext,
    FeedbackEvent,
    JobHandler,
    MemberContext,
    MenuEntry,
    OrderEvent,
    PluginInfo,
    PluginToggleEvent,
    RefundEvent,
    ReviewEvent,
    StaticDir,
    TenantFileEvent,
    hookimpl,
)

from . import (
    checkin_views,
    console_points,
    console_task_views,
    earning,
    expiry,
    member_centre,
    points_views,
    privileges,
    reports,
    sharing,
    shop_console,
    shop_views,
    task_views,
    tasks,
    tenant_data,
    tier_views,
    tiers,
)
from .config import LoyaltyConfig

NAME = "loyalty"
HERE = Path(__file__).parent


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Loyalty",
        description="Points on completed services, a daily check-in, tasks, member tiers with privileges, and a rewards shop: the member centre of your booking site.",
        config=LoyaltyConfig,
        category="marketing",
    )


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["plugins.loyalty.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def register_static_dirs() -> list[StaticDir]:
    return [StaticDir(name=NAME, path=str(HERE / "static"))]


@hookimpl
def register_routes():
    return [*checkin_views.HANDLERS, *task_views.HANDLERS, *console_task_views.HANDLERS, *shop_views.HANDLERS, *shop_console.HANDLERS,
            *tier_views.HANDLERS, *console_points.ROUTES, *reports.ROUTES, *points_views.HANDLERS]


@hookimpl
def register_job_handlers() -> list[JobHandler]:
    return [
        JobHandler(kind=earning.AWARD_JOB, handler=earning.award_order),
        JobHandler(kind=earning.REFUND_JOB, handler=earning.refund_order),
        JobHandler(kind=expiry.EXPIRE_JOB, handler=expiry.expire_points, daily_at=time(3, 0)),
        JobHandler(kind=expiry.REMIND_JOB, handler=expiry.remind_expiring, daily_at=time(10, 0)),
        JobHandler(kind=tiers.EVALUATE_JOB, handler=tiers.run_evaluate_job, daily_at=time(3, 30)),
        JobHandler(kind=privileges.BIRTHDAY_JOB, handler=privileges.run_birthday_job, daily_at=time(0, 5)),
    ]


@hookimpl
def provide_console_menu() -> list[MenuEntry]:
    return [
        MenuEntry(label="Loyalty tasks", href="/p/loyalty/console/tasks", icon="star", permission="marketing.manage",
                  section="marketing", order=60),
        MenuEntry(label="Rewards shop", href="/p/loyalty/console/shop", icon="star", section="marketing", permission="marketing.manage", order=61),
        MenuEntry(label="Reward fulfilment", href="/p/loyalty/console/fulfilment", icon="inbox", section="operations", permission="orders.manage", order=60),
        *tier_views.menu_entries(),
        MenuEntry(label="Points", href="/p/loyalty/console/points", icon="star", permission="customers.view", section="marketing", order=62),
        MenuEntry(label="Loyalty reports", href="/p/loyalty/console/reports", icon="chart", permission="finance.view", section="marketing", order=63),
    ]


@hookimpl
def provide_account_menu() -> list[MenuEntry]:
    return [MenuEntry(label="Rewards shop", href="/p/loyalty/shop", icon="star", order=16)]


# ---- facts the programme reacts to


@hookimpl
async def on_tenant_file_applied(event: TenantFileEvent) -> None:
    if event.plugin_name == NAME:
        await tenant_data.apply(event)


@hookimpl
async def on_plugin_enabled(event: PluginToggleEvent) -> None:
    if event.plugin_name == NAME:
        await tiers.seed_default_tiers()


@hookimpl
async def on_order_completed(event: OrderEvent) -> None:
    await earning.order_settled(event, "completed")
    await tasks.complete_tasks(event.customer_id, "first_order", f"order:{event.order_id}")
    await tiers.on_order_completed(event.customer_id)


@hookimpl
async def on_order_paid(event: OrderEvent) -> None:
    await earning.order_settled(event, "paid")


@hookimpl
async def on_refund_succeeded(event: RefundEvent) -> None:
    await earning.refund_succeeded(event)


@hookimpl
async def on_customer_profile_updated(event: CustomerProfileEvent) -> None:
    await tasks.profile_updated(event)


@hookimpl
async def on_review_submitted(event: ReviewEvent) -> None:
    await tasks.complete_tasks(event.customer_id, "review", f"review:{event.review_id}")


@hookimpl
async def on_customer_registered(event: CustomerEvent) -> None:
    await sharing.registered(event)


# ---- contributions


@hookimpl
async def compute_member_panels(member: MemberContext):
    return await member_centre.member_panels(member)


@hookimpl
async def compute_earnings_panels(earnings: EarningsContext):
    return await member_centre.earnings_panels(earnings)


@hookimpl
async def compute_customer_console_panels(customer: CustomerConsoleContext):
    return await member_centre.console_panels(customer)


@hookimpl
async def compute_booking_window(query: BookingWindowQuery):
    return await tasks.booking_window(query)


@hookimpl
async def compute_dispatch_scores(candidate: DispatchCandidate):
    return await privileges.dispatch_score(candidate)


@hookimpl
async def select_feedback_assignee(feedback: FeedbackEvent):
    return await privileges.feedback_assignee(feedback)


@hookimpl
def provide_segment_filters():
    return tiers.segment_filters()
