"""Pay periods on the franchise's calendar, pure: which period a day falls in, the one that ended
last, the day its statements are drawn up, and the instants a period spans in the franchise's
time zone (so an order completed at 23:50 Shanghai time on the last day is in that period)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .schemas import PayPeriod, PaySettings


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def period_of(day: date, settings: PaySettings, tz: ZoneInfo) -> PayPeriod:
    """The period the local calendar day `day` belongs to."""
    if settings.period == "monthly":
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    else:
        first = day - timedelta(days=(day.weekday() - settings.week_start) % 7)
        last = first + timedelta(days=6)
    return PayPeriod(first_day=first, last_day=last, starts_at=local_midnight(first, tz),
                     ends_at=local_midnight(last + timedelta(days=1), tz))


def period_at(instant: datetime, settings: PaySettings, tz: ZoneInfo) -> PayPeriod:
    """The period an instant (a ledger posting's time) belongs to, by the franchise's calendar."""
    return period_of(instant.astimezone(tz).date(), settings, tz)


def previous(period: PayPeriod, settings: PaySettings, tz: ZoneInfo) -> PayPeriod:
    return period_of(period.first_day - timedelta(days=1), settings, tz)


def following(period: PayPeriod, settings: PaySettings, tz: ZoneInfo) -> PayPeriod:
    return period_of(period.last_day + timedelta(days=1), settings, tz)


def last_ended(today: date, settings: PaySettings, tz: ZoneInfo) -> PayPeriod:
    """The period that ended most recently before the local day `today` began."""
    return previous(period_of(today, settings, tz), settings, tz)


def draw_day(period: PayPeriod, settings: PaySettings) -> date:
    """The local day the daily job draws up the period's statements."""
    return period.last_day + timedelta(days=1 + settings.draw_after_days)
