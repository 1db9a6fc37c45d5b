"""The customer's points history (/p/loyalty/points: the balance, what expires soon, every
movement a page at a time) and their spending by month over the last 12 months, with the same in
the API (/p/loyalty/api/points). The member centre's points panel links here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get
from litestar.params import QueryParameter

from platform_core.plugin_api import (
    MonthSpend,
    clock,
    current_tenant,
    monthly_spending,
    page,
    require_customer,
)

from . import points
from .checkin_views import customer_of

PAGE = 30
# A movement's id: Litestar checks a query parameter's bounds only from its own QueryParameter.
Before = Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)]
SPENDING_MONTHS = 12


class HistoryLine(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str  # earned, spent, expired, reversed
    points: int
    reason: str  # order, checkin, task, redemption, adjustment, tier, birthday, refund, expiry
    link: str
    day: date  # on the franchise's calendar


class PointsHistory(msgspec.Struct, frozen=True, kw_only=True):
    balance: int
    debt: int
    expiring_points: int
    expiring_on: date | None
    lines: list[HistoryLine]
    next_before: int | None  # pass as `before` for the next page; None on the last
    spending: list[MonthSpend]  # completed, paid services by month, the last 12 months


async def points_history(customer_id: int, before: int | None = None) -> PointsHistory:
    tz = ZoneInfo(current_tenant().timezone)
    held = await points.balance_of(customer_id)
    moved = await points.history(customer_id, limit=PAGE + 1, before_id=before)
    today = clock.now().astimezone(tz).date()
    months = today.year * 12 + today.month - 1 - (SPENDING_MONTHS - 1)  # this month and the 11 before it
    first_month = date(months // 12, months % 12 + 1, 1)
    since = datetime.combine(first_month, datetime.min.time(), tzinfo=tz)
    return PointsHistory(
        balance=held.points, debt=held.debt, expiring_points=held.expiring_points,
        expiring_on=held.expiring_on.astimezone(tz).date() if held.expiring_on else None,
        lines=[HistoryLine(id=m.id, kind=m.kind, points=m.points, reason=m.reason, link=m.link, day=m.created_at.astimezone(tz).date())
               for m in moved[:PAGE]],
        next_before=moved[PAGE - 1].id if len(moved) > PAGE else None,
        spending=await monthly_spending(customer_id, since, current_tenant().timezone),
    )


def spending_bars(spending: list[MonthSpend]) -> list[tuple[MonthSpend, int]]:
    """Each month with its bar's height in percent of the biggest month (drawn with SVG)."""
    top = max((m.spend_minor for m in spending), default=0)
    return [(m, round(m.spend_minor * 100 / top) if top else 0) for m in spending]


@get("/points", guards=[require_customer], include_in_schema=False, name="loyalty-points")
async def points_page(request: Request, before: Before = None) -> Response:
    history = await points_history(await customer_of(request), before)
    return page(request, "loyalty/points.html", history=history, bars=spending_bars(history.spending))


@get("/api/points", guards=[require_customer], operation_id="loyaltyPoints", tags=["Loyalty"],
     summary="The customer's points balance, history (a page at a time) and spending by month")
async def points_api(request: Request, before: Before = None) -> PointsHistory:
    """`before`: the `next_before` of the previous page, for the page after it."""
    return await points_history(await customer_of(request), before)


HANDLERS = [points_page, points_api]
