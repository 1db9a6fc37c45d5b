"""Hook implementations of the referral plugin: thin, each hands over to the module that holds
the rule (binding, rewards, the pages)."""

from __future__ import annotations

from pathlib import Path

from platform_core.plugin_api import (
    CustomerConsoleContext,
    CustomerEvent,
    FeedbackEvent,
    MemberContext,
    MemberPanel,
    MenuEntry,
    OrderEvent,
    PluginInfo,
    RefundEvent,
    StaticDir,
    TenantFileEvent,
    current_tenant,
    hookimpl,
)

from . import binding, console, programme, rewards, tenant_data, views
from .config import ReferralConfig

NAME = "referral"
HERE = Path(__file__).parent


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Invite friends",
        description="Each customer's invite link, code and QR poster; a red packet or voucher for the inviter when a friend's spend qualifies, a welcome coupon for the friend, inviter levels and a fraud review queue.",
        config=ReferralConfig,
        category="marketing",
    )


@hookimpl
def register_piccolo_apps() -> list[str]:
    return ["plugins.referral.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def register_static_dirs() -> list[StaticDir]:
    return [StaticDir(name=NAME, path=str(HERE / "static"))]


@hookimpl
def register_routes():
    return [*views.HANDLERS, *console.HANDLERS]


@hookimpl
def provide_console_menu() -> list[MenuEntry]:
    return console.menu_entries()


@hookimpl
def provide_account_menu() -> list[MenuEntry]:
    return [MenuEntry(label="Invite friends", href="/p/referral/invite", icon="users", order=17)]


# ---- facts the programme reacts to


@hookimpl
async def on_customer_registered(event: CustomerEvent) -> None:
    await binding.registered(event)


@hookimpl
async def on_order_completed(event: OrderEvent) -> None:
    await rewards.order_settled(event.order_id, event.occurred_at)


@hookimpl
async def on_order_paid(event: OrderEvent) -> None:
    await rewards.order_settled(event.order_id, event.occurred_at)


@hookimpl
async def on_refund_succeeded(event: RefundEvent) -> None:
    await rewards.order_settled(event.order_id, event.occurred_at)


@hookimpl
async def on_tenant_file_applied(event: TenantFileEvent) -> None:
    if event.plugin_name == NAME:
        await tenant_data.apply(event)


# ---- contributions


@hookimpl
async def compute_member_panels(member: MemberContext):
    standing = await programme.standing(member.customer_id, current_tenant().currency)
    return [MemberPanel(key="referral.invite", title="Invite friends", template="referral/_panel_invite.html", context=standing,
                        order=35, href="/p/referral/invite", stylesheets=["/static/p/referral/referral.css"])]


@hookimpl
async def compute_customer_console_panels(customer: CustomerConsoleContext):
    return await console.console_panels(customer)


@hookimpl
async def select_feedback_assignee(feedback: FeedbackEvent):
    return await programme.support_agent(feedback.customer_id)
