"""The customer page's spending chart: twelve months of bars, drawn by the server as SVG."""

from __future__ import annotations

from datetime import date

import msgspec

CHART_WIDTH, CHART_HEIGHT = 360, 96
MONTHS = 12


class MonthBar(msgspec.Struct, frozen=True, kw_only=True):
    month: date  # the first day of the month
    spend: int  # minor units
    orders: int
    x: float
    y: float
    width: float
    height: float


def spending_since(today: date) -> date:
    """The first day of the chart's first month: eleven months before this one."""
    months = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return date(months // 12, months % 12 + 1, 1)


def spending_bars(months: list, first_month: date) -> list[MonthBar]:
    """One bar per month from `first_month` (twelve, oldest first, months without a completed
    paid order at zero), scaled to the best month. `months` is orders' MonthSpend list."""
    by_month = {m.month: m for m in months}
    slot = CHART_WIDTH / MONTHS
    best = max((m.spend_minor for m in months), default=0) or 1
    bars = []
    year, month = first_month.year, first_month.month
    for i in range(MONTHS):
        found = by_month.get(f"{year:04d}-{month:02d}")
        spend = found.spend_minor if found else 0
        height = round(CHART_HEIGHT * spend / best, 1) if spend > 0 else 0
        bars.append(MonthBar(month=date(year, month, 1), spend=spend, orders=found.orders if found else 0,
                             x=round(i * slot + slot * 0.15, 1), y=round(CHART_HEIGHT - height, 1), width=round(slot * 0.7, 1),
                             height=height))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return bars
