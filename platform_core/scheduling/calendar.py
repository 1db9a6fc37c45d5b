"""The worker calendar's held time: the ranges dispatch's assignments hold.

Dispatch owns and writes core_assignment, whose exclusion constraint on (tenant, worker, range)
makes double booking impossible; the calendar only reads the held ranges, so that the slot
engine, dispatch's candidates and the console's day-off check agree on what "busy" means
(tests/contracts/test_contracts_table_owners.py lists this read)."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Range

from platform_core.db import current_connection

# Assignment states that hold a worker's time (the exclusion constraint covers the same set).
HOLDING = ("offered", "accepted", "completed")


async def busy_ranges(staff_ids: list[int], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """The time each worker is already committed between `start` and `end`, from live assignments."""
    return (await held_time(staff_ids, start, end))[0]


async def held_time(
    staff_ids: list[int], start: datetime, end: datetime, order_ids: list[int] | None = None
) -> tuple[dict[int, list[tuple[datetime, datetime]]], set[int]]:
    """busy_ranges, and which of `order_ids` a live assignment holds (whoever's and whenever), read
    in the same statement."""
    rows = await current_connection().fetch(
        "select staff_id, order_id, lower(during) as starts, upper(during) as ends from core_assignment "
        "where tenant_id = hearth_current_tenant() and status = any($2::text[]) "
        "and ((staff_id = any($1::bigint[]) and during && $3) or order_id = any($4::bigint[])) "
        "order by staff_id, lower(during)",
        staff_ids, list(HOLDING), Range(start, end, upper_inc=False), order_ids or [],
    )
    busy: dict[int, list[tuple[datetime, datetime]]] = {sid: [] for sid in staff_ids}
    for row in rows:
        if row["staff_id"] in busy:
            busy[row["staff_id"]].append((row["starts"], row["ends"]))
    return busy, {row["order_id"] for row in rows}


async def jobs_during(staff_id: int, start: datetime, end: datetime) -> int:
    """How many jobs the worker already holds in [start, end) (a new day off: the office
    reassigns them by hand)."""
    return len((await busy_ranges([staff_id], start, end))[staff_id])
