"""The loyalty reports: points issued, redeemed, expired and taken back per month for the last 12
months (months of the franchise's time zone), the points outstanding now with their liability in
money, the members and the tier spread; the monthly table as CSV.

Each figure is one statement over an index: the months over `loyalty_movement_reports`
(tenant_id, created_at, kind), the outstanding points over `loyalty_lot_open` (remaining > 0),
the members and tiers over `loyalty_member_tier` (tenant_id, tier_code).

What the columns count, from the ledger's movements (points.py):
- issued: every `earned` movement (orders, check-ins, tasks, adjustments up, tiers, birthdays);
- redeemed: `spent` movements (the shop, adjustments down), less the points given back when a
  redemption was cancelled (a `reversed` movement that adds points), in the month it happened;
- expired: `expired` movements;
- taken back: `reversed` movements that take points (refunds, and the debt a refund left, paid by
  later points).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get
from litestar.params import Parameter

from platform_core.plugin_api import (
    clock,
    current_connection,
    current_tenant,
    lazy_gettext,
    page,
    plugin_config,
    require_console,
)

from .config import LoyaltyConfig

MONTHS = 12
SERIES = ("issued", "redeemed", "expired", "taken_back")
SERIES_COLOURS = {"issued": "#16a34a", "redeemed": "#2563eb", "expired": "#d97706", "taken_back": "#dc2626"}


class MonthRow(msgspec.Struct, frozen=True, kw_only=True):
    month: str  # "2026-12", in the franchise's time zone
    issued: int
    redeemed: int
    expired: int
    taken_back: int


class TierCount(msgspec.Struct, frozen=True, kw_only=True):
    tier_code: str
    members: int


class Outstanding(msgspec.Struct, frozen=True, kw_only=True):
    points: int  # spendable now, summed over every member
    liability: int  # what they are worth, in minor units (points_per_yuan_value points = 1 yuan)
    points_per_yuan_value: int


class LoyaltyReport(msgspec.Struct, frozen=True, kw_only=True):
    months: list[MonthRow]
    outstanding: Outstanding
    members: int
    tiers: list[TierCount]
    currency: str


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the last `months` months, oldest first, `today`'s month last."""
    index = today.year * 12 + today.month - 1
    return [date((i // 12), i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


async def monthly(months: int = MONTHS) -> list[MonthRow]:
    """Points issued, redeemed, expired and taken back per month, the last `months` months of
    the franchise's time zone, oldest first; a month without movements is all zeros."""
    tz = current_tenant().timezone
    starts = month_starts(clock.today(ZoneInfo(tz)), months)
    since = datetime.combine(starts[0], datetime.min.time(), ZoneInfo(tz))
    rows = await current_connection().fetch(
        "select to_char(date_trunc('month', created_at at time zone $2), 'YYYY-MM') as month, "
        "  coalesce(sum(points) filter (where kind = 'earned'), 0) as issued, "
        "  coalesce(-sum(points) filter (where kind = 'spent'), 0) "
        "    - coalesce(sum(points) filter (where kind = 'reversed' and points > 0), 0) as redeemed, "
        "  coalesce(-sum(points) filter (where kind = 'expired'), 0) as expired, "
        "  coalesce(-sum(points) filter (where kind = 'reversed' and points < 0), 0) as taken_back "
        "from loyalty_movement where created_at >= $1 group by 1",
        since, tz,
    )
    found = {r["month"]: r for r in rows}
    out = []
    for start in starts:
        key = start.strftime("%Y-%m")
        r = found.get(key)
        out.append(MonthRow(month=key, **{s: int(r[s]) if r else 0 for s in SERIES}))
    return out


async def outstanding() -> Outstanding:
    """The points members can spend now and what the franchise owes for them."""
    config = await plugin_config(LoyaltyConfig)
    total = int(await current_connection().fetchval(
        "select coalesce(sum(remaining), 0) from loyalty_lot "
        "where remaining > 0 and (expires_at is null or expires_at > $1)", clock.now()))
    value = config.points_per_yuan_value
    return Outstanding(points=total, liability=(total * 100 + value // 2) // value, points_per_yuan_value=value)


async def tier_spread() -> list[TierCount]:
    """Members per tier code, the largest tier first (the tiers' names are joined by whoever
    shows them)."""
    rows = await current_connection().fetch(
        "select tier_code, count(*) as members from loyalty_member group by tier_code order by members desc, tier_code")
    return [TierCount(tier_code=r["tier_code"], members=int(r["members"])) for r in rows]


async def loyalty_report() -> LoyaltyReport:
    tiers = await tier_spread()
    return LoyaltyReport(months=await monthly(), outstanding=await outstanding(), members=sum(t.members for t in tiers),
                         tiers=tiers, currency=current_tenant().currency)


def monthly_csv(months: list[MonthRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["month", *SERIES])
    for m in months:
        writer.writerow([m.month, m.issued, m.redeemed, m.expired, m.taken_back])
    return out.getvalue()


# --------------------------------------------------------------------------- the chart


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    series: str
    x: float
    y: float
    width: float
    height: float
    fill: str
    value: int


class ChartMonth(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    label: str  # "12"; the year too on the first bar and in January: "2026-01"
    label_x: float
    bars: list[Bar]


CHART_WIDTH, CHART_HEIGHT, CHART_BASE = 720, 220, 190  # the bars stand on y = CHART_BASE


def chart(months: list[MonthRow]) -> list[ChartMonth]:
    """The monthly bars as SVG geometry (the page allows no inline styles: sizes and colours are
    SVG attributes), scaled to the largest value."""
    top = max([getattr(m, s) for m in months for s in SERIES] + [1])
    group = CHART_WIDTH / max(len(months), 1)
    width = (group - 12) / len(SERIES)
    drawn = []
    for i, m in enumerate(months):
        bars = []
        for j, series in enumerate(SERIES):
            value = max(getattr(m, series), 0)
            height = round((CHART_BASE - 10) * value / top, 1)
            bars.append(Bar(series=series, x=round(i * group + 6 + j * width, 1), y=round(CHART_BASE - height, 1),
                            width=round(width - 1, 1), height=height, fill=SERIES_COLOURS[series], value=value))
        label = m.month if i == 0 or m.month.endswith("-01") else m.month[5:]
        drawn.append(ChartMonth(month=m.month, label=label, label_x=round(i * group + group / 2, 1), bars=bars))
    return drawn


# --------------------------------------------------------------------------- pages

REPORTS = require_console(("finance.view", "marketing.manage"))
SERIES_LABELS = {"issued": lazy_gettext("Issued"), "redeemed": lazy_gettext("Redeemed"), "expired": lazy_gettext("Expired"),
                 "taken_back": lazy_gettext("Taken back")}


@get("/console/reports", guards=[REPORTS], include_in_schema=False, name="loyalty-console-reports")
async def reports_page(request: Request) -> Response:
    report = await loyalty_report()
    return page(request, "loyalty/console_reports.html", console=True, report=report, bars=chart(report.months),
                series=SERIES_LABELS, colours=SERIES_COLOURS, chart_width=CHART_WIDTH, chart_height=CHART_HEIGHT,
                chart_base=CHART_BASE)


@get("/console/reports/monthly.csv", guards=[REPORTS], include_in_schema=False, name="loyalty-console-reports-csv")
async def reports_csv(months: Annotated[int, Parameter(ge=1, le=60)] = MONTHS) -> Response:
    """The monthly table as CSV (UTF-8, a header row of column names)."""
    body = monthly_csv(await monthly(months))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="loyalty-points-{current_tenant().slug}.csv"', "cache-control": "no-store"})


@get("/api/console/reports", guards=[REPORTS], name="loyalty-api-console-reports")
async def api_reports() -> LoyaltyReport:
    """The same figures as the reports page."""
    return await loyalty_report()


ROUTES = [reports_page, reports_csv, api_reports]
