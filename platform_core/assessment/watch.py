"""The watch list (workers the office keeps an eye on, put on and taken off with a reason) and
the coaching record (guidance notes with a follow-up date and its outcome)."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg

from platform_core.accounts.console_services import console_user_names
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.staff.services import get_worker, list_workers
from platform_core.tenancy.context import current_tenant

from .schemas import CoachingNote, CoachingNoteCreate, FollowUpDone, Watch, WatchChange

_WATCH = "id, staff_id, reason, started_by, started_at, end_reason, ended_at"
_NOTE = "id, staff_id, note, follow_up_on, follow_up_outcome, follow_up_done_at, created_by, created_at"


async def _worker(staff_id: int) -> None:
    try:
        await get_worker(staff_id)
    except NotFound:
        raise ValidationFailed({"staff_id": "Choose a worker of this franchise."}) from None


async def _names(rows, by: str) -> tuple[dict[int, str], dict[int, str]]:
    workers = {w.id: w.name for w in await list_workers()}
    people = await console_user_names(r[by] for r in rows if r[by] is not None)
    return workers, people


async def watched_ids() -> set[int]:
    rows = await current_connection().fetch("select staff_id from core_quality_watch where ended_at is null")
    return {r["staff_id"] for r in rows}


async def _watches(rows) -> list[Watch]:
    workers, people = await _names(rows, "started_by")
    return [Watch(id=r["id"], staff_id=r["staff_id"], staff_name=workers.get(r["staff_id"], ""), reason=r["reason"],
                  started_by_name=people.get(r["started_by"], ""), started_at=r["started_at"], end_reason=r["end_reason"],
                  ended_at=r["ended_at"]) for r in rows]


async def on_watch() -> list[Watch]:
    rows = await current_connection().fetch(f"select {_WATCH} from core_quality_watch where ended_at is null order by started_at")
    return await _watches(rows)


async def watch_history(staff_id: int | None = None, limit: int = 50) -> list[Watch]:
    rows = await current_connection().fetch(
        f"select {_WATCH} from core_quality_watch where ended_at is not null and ($1::bigint is null or staff_id = $1) "
        "order by ended_at desc limit $2", staff_id, limit)
    return await _watches(rows)


async def put_on_watch(data: WatchChange, *, by: int | None) -> None:
    if not data.reason.strip():
        raise ValidationFailed({"reason": "Say why: it stays on the worker's record."})
    await _worker(data.staff_id)
    try:
        async with current_connection().transaction():
            await current_connection().execute(
                "insert into core_quality_watch (tenant_id, staff_id, reason, started_by) values ($1, $2, $3, $4)",
                current_tenant().id, data.staff_id, data.reason.strip(), by)
    except asyncpg.UniqueViolationError:
        raise Conflict("This worker is already on watch.") from None


async def take_off_watch(data: WatchChange, *, by: int | None) -> None:
    if not data.reason.strip():
        raise ValidationFailed({"reason": "Say why: it stays on the worker's record."})
    ended = await current_connection().fetchval(
        "update core_quality_watch set ended_at = now(), ended_by = $2, end_reason = $3 where staff_id = $1 and ended_at is null "
        "returning id", data.staff_id, by, data.reason.strip())
    if ended is None:
        raise Conflict("This worker is not on watch.")


async def _notes(rows) -> list[CoachingNote]:
    workers, people = await _names(rows, "created_by")
    return [CoachingNote(id=r["id"], staff_id=r["staff_id"], staff_name=workers.get(r["staff_id"], ""), note=r["note"],
                         follow_up_on=r["follow_up_on"], follow_up_outcome=r["follow_up_outcome"],
                         follow_up_done_at=r["follow_up_done_at"], created_by_name=people.get(r["created_by"], ""),
                         created_at=r["created_at"]) for r in rows]


async def add_note(data: CoachingNoteCreate, *, by: int | None, today: date) -> CoachingNote:
    errors: dict[str, str] = {}
    if not data.note.strip():
        errors["note"] = "Write what was discussed."
    if data.follow_up_on is not None and not today <= data.follow_up_on <= today + timedelta(days=366):
        errors["follow_up_on"] = "Choose a day from today to a year ahead."
    if errors:
        raise ValidationFailed(errors)
    await _worker(data.staff_id)
    row = await current_connection().fetchrow(
        f"insert into core_coaching_note (tenant_id, staff_id, note, follow_up_on, created_by) values ($1, $2, $3, $4, $5) "
        f"returning {_NOTE}", current_tenant().id, data.staff_id, data.note.strip(), data.follow_up_on, by)
    return (await _notes([row]))[0]


async def complete_follow_up(note_id: int, data: FollowUpDone, *, by: int | None) -> CoachingNote:
    """Record how the follow-up went, once: a second (or racing) one is a Conflict."""
    if not data.outcome.strip():
        raise ValidationFailed({"outcome": "Say how it went."})
    row = await current_connection().fetchrow(
        f"update core_coaching_note set follow_up_outcome = $2, follow_up_done_at = now(), follow_up_done_by = $3 "
        f"where id = $1 and follow_up_on is not null and follow_up_done_at is null returning {_NOTE}", note_id, data.outcome.strip(), by)
    if row is None:
        if await current_connection().fetchval("select id from core_coaching_note where id = $1", note_id) is None:
            raise NotFound("coaching note")
        raise Conflict("This follow-up is already done.")
    return (await _notes([row]))[0]


async def notes(staff_id: int | None = None, limit: int = 50) -> list[CoachingNote]:
    rows = await current_connection().fetch(
        f"select {_NOTE} from core_coaching_note where ($1::bigint is null or staff_id = $1) order by created_at desc, id desc limit $2",
        staff_id, limit)
    return await _notes(rows)


async def due_follow_ups(until: date, limit: int = 100) -> list[CoachingNote]:
    """Follow-ups not yet done and due by `until` (overdue ones first)."""
    rows = await current_connection().fetch(
        f"select {_NOTE} from core_coaching_note where follow_up_done_at is null and follow_up_on <= $1 "
        "order by follow_up_on, id limit $2", until, limit)
    return await _notes(rows)
