"""When a care plan's visits fall, pure: the weekdays as a bit mask (Monday = bit 0), the days
of a window, and a visit's start as an instant. A visit is at the same wall-clock time all year
in the franchise's zone, so across a daylight-saving change its instant moves by the hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def mask_of(days: list[int]) -> int:
    """Weekday numbers (0 = Monday) as the stored bit mask."""
    return sum(1 << d for d in set(days) if 0 <= d <= 6)


def days_of(mask: int) -> list[int]:
    return [d for d in range(7) if mask & (1 << d)]


def visit_dates(mask: int, starts_on: date, ends_on: date | None, first: date, last: date) -> list[date]:
    """The plan's visit days from `first` to `last` (both included), inside its own dates."""
    day, end = max(first, starts_on), last if ends_on is None else min(last, ends_on)
    out = []
    while day <= end:
        if mask & (1 << day.weekday()):
            out.append(day)
        day += timedelta(days=1)
    return out


def local_start(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant `day` at `at` happens in `tz` (aware, UTC). A time the clocks skip (02:30 on a
    spring-forward night) becomes the same wall time an hour later, as the clocks read then."""
    naive = datetime.combine(day, at)
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    return instant


def window_minutes(start: time, end: time) -> int:
    """The visit's length by the wall clock (a plan's window lies within one day)."""
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
