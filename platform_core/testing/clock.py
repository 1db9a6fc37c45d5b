"""The moved clock: `HEARTH_TEST_CLOCK="00:10 Asia/Shanghai"` runs the tests as if it were the next
00:10 in Shanghai (or `HEARTH_TEST_CLOCK=2027-03-14T01:50-05:00`, that moment), ticking on from there.

The first process works out how far ahead that is and travels there with time-machine; every
Python process started afterwards inherits the offset in `HEARTH_TEST_CLOCK_OFFSET` and travels by
it too: xdist workers in the pytest plugin's pytest_configure, the others (the live server, the
CLI, the payment sandbox, localstripe) as they start, through the `sitecustomize` in
`clock_site/`, put first on their PYTHONPATH. So the tests and every copy of the app share one
"now". PostgreSQL, redis and chromium keep the real time: the app hands its own clock to
SQL wherever it compares a time it decided (platform_core/clock.py).
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SPEC_ENV = "HEARTH_TEST_CLOCK"
OFFSET_ENV = "HEARTH_TEST_CLOCK_OFFSET"
SITE_DIR = Path(__file__).with_name("clock_site")

_travelling = False


def destination(spec: str, real_now: datetime) -> datetime:
    """Where `spec` sends the clock from `real_now`: the next time the wall clock of the zone reads
    "HH:MM" (a day when that time does not exist is skipped), or an ISO 8601 moment with its offset."""
    parts = spec.split()
    if len(parts) == 1:
        moment = datetime.fromisoformat(spec)
        if moment.tzinfo is None:
            raise ValueError(f'{SPEC_ENV}={spec!r}: give the moment with its UTC offset, or "HH:MM Zone"')
        return moment
    try:
        hhmm, zone_name = parts
        at, zone = datetime.strptime(hhmm, "%H:%M").time(), ZoneInfo(zone_name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f'{SPEC_ENV}={spec!r}: expected "HH:MM Zone", e.g. "00:10 Asia/Shanghai"') from None
    day: date = real_now.astimezone(zone).date()
    while True:
        local = datetime.combine(day, at, tzinfo=zone)
        exists = local.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)
        if exists and local > real_now:
            return local
        day += timedelta(days=1)


def start(*, hand_on: bool = True) -> None:
    """Travel when HEARTH_TEST_CLOCK asks; nothing otherwise. With `hand_on`, the Python processes
    started from here on travel as they start (xdist's controller leaves that to each worker, which
    travels in its own pytest_configure). Safe to call again in one process."""
    global _travelling
    if _travelling:
        return
    offset = os.environ.get(OFFSET_ENV)
    if offset is None:
        spec = os.environ.get(SPEC_ENV, "").strip()
        if not spec:
            return
        real_now = datetime.now(timezone.utc)
        offset = str((destination(spec, real_now) - real_now).total_seconds())
        os.environ[OFFSET_ENV] = offset  # inherited by every process started from here on
    path = os.environ.get("PYTHONPATH", "")
    if hand_on and str(SITE_DIR) not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE_DIR), path]))
    import time_machine

    time_machine.travel(time.time() + float(offset), tick=True).start()
    time.time()  # the ticking starts from the first reading: take it now, so processes agree
    _travelling = True


def real_now() -> datetime:
    """The machine's own time, moved or not: what OpenSSL checks a certificate's dates against."""
    if _travelling:
        import time_machine

        return time_machine.escape_hatch.datetime.datetime.now(timezone.utc)
    return datetime.now(timezone.utc)


def describe() -> str | None:
    """The moved clock as the run's header shows it, or None when it is not moved."""
    spec = os.environ.get(SPEC_ENV, "").strip()
    if not _travelling or not spec:
        return None
    moved = datetime.now(timezone.utc)
    zone = spec.split()[1] if len(spec.split()) == 2 else None
    shown = moved.astimezone(ZoneInfo(zone)) if zone else moved
    return f"{SPEC_ENV}={spec}: the clock reads {shown:%Y-%m-%d %H:%M %Z} (real time + {float(os.environ[OFFSET_ENV]) / 3600:.2f} h)"
