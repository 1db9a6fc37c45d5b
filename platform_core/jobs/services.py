"""The outbox: `enqueue` writes a job in the business transaction; a worker runs it after commit.

One way to leave a transaction with a side effect: the job exists only if the transaction that
asked for it commits, and a `pg_notify` sent after that commit wakes the workers.

Not inside the transaction: PostgreSQL serialises the commits of every transaction that has
notified (a database-wide lock, held through the commit's WAL flush), so a NOTIFY in each
booking and each payment made their commits wait for one another (bench/payment_notifications.py
--waits: `Lock:object` at COMMIT). After commit, one process sends at most one NOTIFY at a time,
on its own connection without waiting for the flush, and one more if a commit asked meanwhile:
every commit is followed by a NOTIFY sent after it. The NOTIFY waits WAKE_GATHER first, so the
commits of those milliseconds share it: a commit with none in flight cost a NOTIFY of its own (a
round trip and a transaction), one per payment when they come one at a time and 0.2–0.4 per post
with eight at once (bench/payment_notifications.py); a worker's job now starts at most
WAKE_GATHER later (its poll, the fallback, is seconds).
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime, time
from typing import Any, AsyncIterator, Iterable, Sequence

import asyncpg
import msgspec
import pluggy

from platform_core import clock
from platform_core.db import after_commit, current_connection
from platform_core.db.engine import side_connection
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.manager import is_core
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.services import active_tenant_zones

from .schemas import DEFAULT_MAX_ATTEMPTS, Job, JobFunction, JobRequest, Payload

log = logging.getLogger("hearth.jobs")

NOTIFY_CHANNEL = "hearth_jobs"
WAKE_GATHER = 0.01  # seconds a wake waits for more commits to share its NOTIFY
# The jobs held by the innermost `batched()` block of this task, if any.
_batch: ContextVar[list[JobRequest] | None] = ContextVar("hearth_job_batch", default=None)
_JOB_COLUMNS = "id, tenant_id, kind, payload, key, run_at, attempts, max_attempts, last_error, done_at, failed_at"


class HandlerSpec(msgspec.Struct, frozen=True):
    """A registered handler and the plugin it belongs to (None for the core); `daily_at` for a
    job each franchise runs once a day at that local time (JobHandler)."""

    handler: JobFunction
    plugin: str | None
    daily_at: time | None = None


async def enqueue(
    kind: str,
    payload: Payload | None = None,
    *,
    run_at: datetime | None = None,
    key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int | None:
    """Ask for `kind` to run for the current tenant once this transaction commits (or at
    `run_at`, by platform_core.clock). With `key`, a second job of the same tenant, kind and key
    is not created: returns None then, else the new job's id. The payload holds ids, never
    personal data."""
    body = msgspec.json.encode(msgspec.convert(payload or {}, Payload)).decode()
    # A later run_at is found by polling.
    return await current_connection().fetchval(
        "with job as (insert into core_job (tenant_id, kind, payload, key, run_at, max_attempts) "
        "values ($1, $2, $3::jsonb, $4, $5, $6) on conflict (tenant_id, kind, key) do nothing returning id) "
        "select id from job left join lateral (select pg_notify($7, '') where $8) as woken on true",
        current_tenant().id, kind, body, key, run_at or clock.now(), max_attempts, NOTIFY_CHANNEL, not after_commit(_wake_workers),
    )


async def enqueue_many(jobs: Iterable[JobRequest]) -> None:
    """`enqueue` for several jobs in one statement (a key already taken creates none, as there);
    inside `batched()`, held for the block's one statement."""
    held = _batch.get()
    if held is not None:
        held.extend(jobs)
        return
    await _insert(list(jobs))


@asynccontextmanager
async def batched() -> AsyncIterator[None]:
    """The jobs `enqueue_many` asks for inside the block are written together, in one statement,
    when it ends without an error: a fact's reactions (dispatch's jobs, the messages') cost one
    round trip. Blocks do not merge: a nested one writes its own at its end, so work in a
    savepoint (a plugin's reaction) that calls a service with its own block keeps its jobs in the
    savepoint. `enqueue` is never held back; `write_with_jobs` writes the jobs held so far with
    its own statement."""
    token = _batch.set([])
    try:
        yield
        jobs = _batch.get() or []
    finally:
        _batch.reset(token)
    await _insert(jobs)


async def write_with_jobs(statement: str, args: Sequence[Any], jobs: Iterable[JobRequest] = ()) -> asyncpg.Record:
    """Run `statement`, another owner's insert of one row with `returning` (its parameters $1 to
    $n are `args`), and write `jobs` with it, in one statement; inside `batched()`, the jobs the
    block holds so far go with them. An inbox entry and its fact's jobs (the SMS, dispatch's)
    cost one round trip. Returns the statement's row."""
    held = _batch.get()
    pending = [*(held or ()), *jobs]
    if not pending:
        return await current_connection().fetchrow(statement, *args)
    # The insert's row has the scalar subquery evaluated with it, so the workers are woken.
    row = await current_connection().fetchrow(
        f"with ride as ({statement}), {_job_cte(len(args) + 1)} "
        f"select ride.*, (select count(*) from job left join lateral (select pg_notify(${len(args) + 7}, '') where ${len(args) + 8}) as woken on true) as jobs "
        "from ride",
        *args, *_job_args(pending),
    )
    if held is not None:
        held.clear()
    return row


def _job_cte(first: int) -> str:
    """The jobs' insert as a `with` item named `job`, its parameters numbered from `first` (see
    _job_args; the last two say on which channel to wake the workers, and whether this statement does)."""
    n = [f"${first + i}" for i in range(6)]
    return (
        "job as (insert into core_job (tenant_id, kind, payload, key, run_at, max_attempts) "
        f"select {n[0]}::bigint, kind, payload, key, run_at, max_attempts "
        f"from unnest({n[1]}::text[], {n[2]}::jsonb[], {n[3]}::text[], {n[4]}::timestamptz[], {n[5]}::int[]) "
        "as j(kind, payload, key, run_at, max_attempts) "
        "on conflict (tenant_id, kind, key) do nothing returning id)"
    )


def _job_args(jobs: list[JobRequest]) -> list[Any]:
    now = clock.now()
    return [
        current_tenant().id, [j.kind for j in jobs],
        [msgspec.json.encode(msgspec.convert(j.payload, Payload)).decode() for j in jobs],
        [j.key for j in jobs], [j.run_at or now for j in jobs], [j.max_attempts for j in jobs], NOTIFY_CHANNEL,
        not after_commit(_wake_workers),
    ]


async def _insert(jobs: list[JobRequest]) -> None:
    if not jobs:
        return
    await current_connection().execute(
        f"with {_job_cte(1)} select count(*) from job left join lateral (select pg_notify($7, '') where $8) as woken on true",
        *_job_args(jobs),
    )


class _Waking:
    """The NOTIFY this process has waiting or in flight, and whether a commit asked for one
    while it was in flight."""

    task: asyncio.Task | None = None
    again = False


def _wake_workers() -> None:
    """After a commit that wrote jobs: a NOTIFY still waiting is sent after this commit; one in
    flight, if it started before this commit, may reach a worker that looks before it, so one
    more follows it."""
    running = _Waking.task
    if running is not None and not running.done() and running.get_loop() is asyncio.get_running_loop():
        _Waking.again = True
        return
    _Waking.task = asyncio.get_running_loop().create_task(_notify())


async def _notify() -> None:
    while True:
        await asyncio.sleep(WAKE_GATHER)
        _Waking.again = False  # the commits so far are before the NOTIFY below
        try:
            async with side_connection() as conn:
                # Its own transaction, not waiting for the WAL flush: a lost wake costs a worker's poll, not a job.
                await conn.execute("select set_config('synchronous_commit', 'off', true), pg_notify($1, '')", NOTIFY_CHANNEL)
        except Exception:
            log.warning("could not wake the job workers; they find the jobs at their next poll", exc_info=True)
            return
        if not _Waking.again:
            return


def _job(row) -> Job:
    data = dict(row)
    if isinstance(data["payload"], str):
        data["payload"] = json.loads(data["payload"])
    return msgspec.convert(data, Job)


async def get_job(job_id: int) -> Job | None:
    """A job of the current tenant (for status pages and tests)."""
    row = await current_connection().fetchrow(
        f"select {_JOB_COLUMNS} from core_job where id = $1 and tenant_id = $2", job_id, current_tenant().id
    )
    return None if row is None else _job(row)


def collect_handlers(pm: pluggy.PluginManager) -> dict[str, HandlerSpec]:
    """{kind: handler} from every `register_job_handlers` impl; a kind claimed twice is an error."""
    handlers: dict[str, HandlerSpec] = {}
    for plugin, registered in collect_now(pm.hook.register_job_handlers):
        if registered.kind in handlers:
            raise RuntimeError(f"job kind {registered.kind!r} is registered twice (by {plugin})")
        handlers[registered.kind] = HandlerSpec(registered.handler, None if is_core(plugin) else plugin, registered.daily_at)
    return handlers


# The next local day's run of a daily job for each franchise, keyed by that day: asking again
# changes nothing. The job table has no row-level security (the workers claim across franchises).
_SCHEDULE_DAILY_SQL = """
insert into core_job (tenant_id, kind, payload, key, run_at, max_attempts)
select t.id, $1, '{}'::jsonb, 'daily:' || d.day, (d.day + $2::time) at time zone t.zone, $4
from unnest($5::bigint[], $6::text[]) as t(id, zone)
cross join lateral (
  select case when ($3::timestamptz at time zone t.zone)::time < $2::time
    then ($3::timestamptz at time zone t.zone)::date
    else ($3::timestamptz at time zone t.zone)::date + 1 end as day
) d
on conflict (tenant_id, kind, key) do nothing
"""


async def schedule_daily(conn: asyncpg.Connection, handlers: dict[str, HandlerSpec]) -> None:
    """Make sure each daily job has its next run for every active franchise that runs it (a
    plugin's: those that have the plugin on)."""
    for kind, spec in handlers.items():
        if spec.daily_at is not None:
            tenants = await active_tenant_zones(conn, spec.plugin)
            await conn.execute(_SCHEDULE_DAILY_SQL, kind, spec.daily_at, clock.now(), DEFAULT_MAX_ATTEMPTS,
                               [tid for tid, _ in tenants], [zone for _, zone in tenants])
