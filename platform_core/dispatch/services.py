"""Dispatch: who does which order. See machine.py in orders for the states it drives."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Range

from platform_core.db import current_connection

# Assignment states that hold a worker's time (the exclusion constraint covers the same set).
HOLDING = ("offered", "accepted", "completed")


async def busy_ranges(staff_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """The time each worker is already committed between `start` and `end`, from live assignments."""
    rows = await current_connection().fetch(
        "select staff_id, lower(during) as starts, upper(during) as ends from core_assignment "
        "where tenant_id = hearth_current_tenant() and staff_id = any($1::bigint[]) "
        "and status = any($2::text[]) and during && $3 order by staff_id, lower(during)",
        staff_ids, list(HOLDING), Range(start, end, upper_inc=False),
    )
    busy: dict[int, list[tuple[datetime, datetime]]] = {sid: [] for sid in staff_ids}
    for row in rows:
        busy[row["staff_id"]].append((row["starts"], row["ends"]))
    return busy
