"""The clock: what time it is, for every business decision (slots, lead time and horizon, the
cancellation rules, offer and payment deadlines, reminders, when a job runs, session expiry).

Read it here, never with `datetime.now()` in a service, so the app and its tests share one "now"
and moving it in tests (`HEARTH_TEST_CLOCK`, docs/operations.md) moves all of it. The database
keeps its own clock: SQL that compares a time the app decided (a deadline, a job's run_at) takes
this `now()` as a parameter instead of calling PostgreSQL's `now()`. Audit columns (created_at,
updated_at, responded_at ...) keep the database's `now()`.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def today(tz: ZoneInfo | str) -> date:
    """Today's date on the calendar of the time zone `tz` (a franchise's)."""
    return now().astimezone(tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)).date()
