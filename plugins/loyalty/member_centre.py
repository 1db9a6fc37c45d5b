"""Loyalty's panels of the member centre, in the order a member reads them: their tier, today's
check-in, their points, their tasks, the rewards shop. Each part of the plugin builds its panel's
data; this module says how each is shown."""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.plugin_api import (
    CustomerConsoleContext,
    EarningsContext,
    EarningsPanel,
    MemberContext,
    MemberPanel,
    money,
    plugin_config,
)

from .checkin import checkin_panel
from .config import LoyaltyConfig
from .console_points import BASE as POINTS_BASE
from .points import Movement, balance_of, history
from .shop import points_panel, shop_panel
from .task_views import tasks_panel
from .tier_views import tier_panel
from .tiers import member_tier

CHECKIN_CSS = "/static/p/loyalty/checkin-tasks.css"


async def member_panels(member: MemberContext) -> list[MemberPanel]:
    customer_id = member.customer_id
    held = await points_panel(customer_id)
    panels = [
        MemberPanel(key="loyalty.tier", title="Member tier", template="loyalty/_panel_tier.html",
                    context=await tier_panel(customer_id), order=5, href="/p/loyalty/tiers",
                    stylesheets=["/static/p/loyalty/loyalty-tiers.css"]),
        MemberPanel(key="loyalty.points", title="My points", template="loyalty/_panel_points.html", context=held, order=20,
                    href="/p/loyalty/points"),
        MemberPanel(key="loyalty.shop", title="Rewards shop", template="loyalty/_panel_shop.html",
                    context=await shop_panel(customer_id, held.balance), order=40, href="/p/loyalty/shop",
                    stylesheets=["/static/p/loyalty/shop.css"]),
    ]
    if (await plugin_config(LoyaltyConfig)).checkin_on:
        panels.append(MemberPanel(key="loyalty.checkin", title="Daily check-in", template="loyalty/_panel_checkin.html",
                                  context=await checkin_panel(customer_id), order=10, href="/p/loyalty/checkin",
                                  stylesheets=[CHECKIN_CSS]))
    tasks = await tasks_panel(customer_id)
    if tasks.total:  # a franchise that set no tasks shows no empty panel
        panels.append(MemberPanel(key="loyalty.tasks", title="Tasks", template="loyalty/_panel_tasks.html",
                                  context=tasks, order=30, href="/p/loyalty/tasks", stylesheets=[CHECKIN_CSS]))
    return panels


async def earnings_panels(earnings: EarningsContext) -> list[EarningsPanel] | None:
    """Beside the customer's "my earnings" balance: what their points are worth at the
    franchise's rate (`points_per_yuan_value` points count as ¥1, as in the liability report)."""
    if earnings.holder != "customer":
        return None
    held = (await balance_of(earnings.holder_id)).points
    if held <= 0:
        return None
    rate = (await plugin_config(LoyaltyConfig)).points_per_yuan_value
    worth = (held * 100 + rate // 2) // rate  # in fen, rounded as the liability report rounds
    return [EarningsPanel(key="loyalty.points_value", title="Your points are worth", value=money(worth, earnings.currency),
                          note="Spend them in the rewards shop.",
                          href="/p/loyalty/shop", order=20)]


class ConsoleCustomerPanel(msgspec.Struct, frozen=True, kw_only=True):
    """What the office sees of a customer's membership on the console's customer page."""

    tier: str
    tier_since: datetime | None
    points: int
    expiring_points: int
    expiring_on: datetime | None
    debt: int
    recent: list[Movement]


async def console_panels(customer: CustomerConsoleContext) -> list[MemberPanel]:
    """The customer's tier and points on their console page, with the latest movements; the
    points page (adjustments) is a click away for those who may open it."""
    held = await balance_of(customer.customer_id)
    standing = await member_tier(customer.customer_id)
    context = ConsoleCustomerPanel(tier=standing.tier.name, tier_since=standing.since, points=held.points,
                                   expiring_points=held.expiring_points, expiring_on=held.expiring_on, debt=held.debt,
                                   recent=await history(customer.customer_id, limit=5))
    return [MemberPanel(key="loyalty.console", title="Points and tier", template="loyalty/_console_customer.html",
                        context=context, order=10, href=f"{POINTS_BASE}?customer={customer.customer_id}")]
