"""The console's home: what needs the office today, from the domains that know it (orders,
payments, reviews), each figure linking to the list it counts. It sits in the shell because it
reads several domains; each tile shows only to a role holding the permission of its list.

A handful of queries: the orders' counts in one, the takings of the month and the last 30 days in
one, the low ratings in one, and the console users for the set-up checklist.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
from litestar import Request, Response, get

from platform_core import clock
from platform_core.accounts.console_services import list_console_users
from platform_core.accounts.guards import require_console
from platform_core.accounts.permissions import ROLE_LABELS
from platform_core.assessment.appeals import open_appeal_count
from platform_core.assessment.watch import due_follow_ups
from platform_core.orders.machine import PAID
from platform_core.orders.services import order_counts
from platform_core.payments.services import revenue_by_day
from platform_core.reviews.services import low_rating_count
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

CHART_DAYS = 30
# The chart's drawing box (SVG user units); bars share the width, the tallest fills the height.
CHART_WIDTH, CHART_HEIGHT = 600, 160


class Tile(msgspec.Struct, frozen=True, kw_only=True):
    label: str  # an English msgid
    value: int
    href: str
    money: bool = False
    tone: str | None = None  # the design system's tone when the figure needs someone


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    amount: int
    x: float
    y: float
    width: float
    height: float
    href: str


def revenue_chart(amounts: dict[date, int], last_day: date, days: int = CHART_DAYS) -> list[Bar]:
    """One bar per day, oldest first, scaled to the best day; refunds beyond a day's takings
    draw no bar (the figure under the chart says what was taken)."""
    slot = CHART_WIDTH / days
    first = last_day - timedelta(days=days - 1)
    series = [(first + timedelta(days=i), amounts.get(first + timedelta(days=i), 0)) for i in range(days)]
    top = max((amount for _, amount in series), default=0) or 1
    bars = []
    for i, (day, amount) in enumerate(series):
        height = round(max(amount, 0) / top * CHART_HEIGHT, 1)
        bars.append(Bar(day=day, amount=amount, x=round(i * slot + slot * 0.15, 1), y=round(CHART_HEIGHT - height, 1),
                        width=round(slot * 0.7, 1), height=height, href=f"/console/payments?day_from={day}&day_to={day}"))
    return bars


async def _tiles(permissions: frozenset[str], today: date) -> tuple[list[Tile], list[Bar]]:
    tiles: list[Tile] = []
    bars: list[Bar] = []
    if "orders.view" in permissions:
        counts = await order_counts(today)
        tiles += [
            Tile(label=N_("Visits today"), value=counts.visits, href=f"/console/orders?date_from={today}&date_to={today}"),
            Tile(label=N_("Waiting for a worker"), value=counts.waiting, href=f"/console/orders?state={PAID}",
                 tone="warning" if counts.waiting else None),
            Tile(label=N_("Exceptions"), value=counts.exceptions, href="/console/orders/exceptions",
                 tone="danger" if counts.exceptions else None),
        ]
    if "finance.view" in permissions:
        month_start = today.replace(day=1)
        amounts = await revenue_by_day(min(month_start, today - timedelta(days=CHART_DAYS - 1)))
        tiles += [
            Tile(label=N_("Takings today"), value=amounts.get(today, 0), money=True,
                 href=f"/console/payments?day_from={today}&day_to={today}"),
            Tile(label=N_("Takings this month"), value=sum(v for d, v in amounts.items() if d >= month_start), money=True,
                 href=f"/console/payments?day_from={month_start}&day_to={today}"),
        ]
        bars = revenue_chart(amounts, today)
    if "support.manage" in permissions:
        since = clock.now() - timedelta(days=CHART_DAYS)
        low = await low_rating_count(since)
        tiles.append(Tile(label=N_("Low ratings, last 30 days"), value=low, href="/console/reviews?show=low",
                          tone="danger" if low else None))
    if "staff.manage" in permissions:
        appeals = await open_appeal_count()
        due = len(await due_follow_ups(today))
        tiles += [
            Tile(label=N_("Appeals waiting"), value=appeals, href="/console/quality/appeals", tone="warning" if appeals else None),
            Tile(label=N_("Coaching follow-ups due"), value=due, href="/console/quality#follow-ups", tone="warning" if due else None),
        ]
    return tiles, bars


@get("/console/", guards=[require_console("console.view")], include_in_schema=False, name="console-dashboard")
async def dashboard(request: Request) -> Response:
    user = request.scope["state"]["console_user"]
    permissions = request.scope["state"]["permissions"]
    tenant = current_tenant()
    today = clock.today(tenant.timezone)
    tiles, bars = await _tiles(permissions, today)
    others = [u for u in await list_console_users() if u.id != user.id]
    checklist = [
        {"done": user.totp_enabled, "label": N_("Turn on two-step verification"), "href": "/console/account/security",
         "permission": None},
        {"done": bool(tenant.enabled_plugins), "label": N_("Review the plugins for your franchise"), "href": "/console/plugins",
         "permission": "plugins.manage"},
        {"done": any(u.role == "manager" for u in others), "label": N_("Invite a manager"), "href": "/console/users",
         "permission": "users.manage"},
    ]
    checklist = [item for item in checklist if item["permission"] is None or item["permission"] in permissions]
    return page(request, "shell/dashboard.html", console=True, user=user, role_label=ROLE_LABELS[user.role], today=today, tiles=tiles,
                bars=bars, chart_labels=[bar.day for bar in bars[::7]][:-1] + [bars[-1].day] if bars else [], chart_total=sum(b.amount for b in bars), chart_size=(CHART_WIDTH, CHART_HEIGHT),
                checklist=checklist)
