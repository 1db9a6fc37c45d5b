"""The outbox: `enqueue` writes a job in the business transaction; a worker runs it after commit.

One way to leave a transaction with a side effect: the job exists only if the transaction that
asked for it commits, and `pg_notify` (also transactional) wakes the workers at that moment.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import AsyncIterator, Iterable

import msgspec
import pluggy

from platform_core import clock
from platform_core.db import current_connection
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.manager import is_core
from platform_core.tenancy.context import current_tenant

from .schemas import DEFAULT_MAX_ATTEMPTS, Job, JobFunction, JobRequest, Payload

NOTIFY_CHANNEL = "hearth_jobs"
# The jobs held by the innermost `batched()` block of this task, if any.
_batch: ContextVar[list[JobRequest] | None] = ContextVar("hearth_job_batch", default=None)
_JOB_COLUMNS = "id, tenant_id, kind, payload, key, run_at, attempts, max_attempts, last_error, done_at, failed_at"


class HandlerSpec(msgspec.Struct, frozen=True):
    """A registered handler and the plugin it belongs to (None for the core)."""

    handler: JobFunction
    plugin: str | None


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
    # Delivered at commit, never for a rolled-back job; a later run_at is found by polling. The
    # notification rides in the insert's statement: one round trip per job.
    return await current_connection().fetchval(
        "with job as (insert into core_job (tenant_id, kind, payload, key, run_at, max_attempts) "
        "values ($1, $2, $3::jsonb, $4, $5, $6) on conflict (tenant_id, kind, key) do nothing returning id) "
        "select id from job, lateral (select pg_notify($7, '')) as woken",
        current_tenant().id, kind, body, key, run_at or clock.now(), max_attempts, NOTIFY_CHANNEL,
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
    savepoint. `enqueue` is never held back."""
    token = _batch.set([])
    try:
        yield
        jobs = _batch.get() or []
    finally:
        _batch.reset(token)
    await _insert(jobs)


async def _insert(jobs: list[JobRequest]) -> None:
    if not jobs:
        return
    now = clock.now()
    await current_connection().execute(
        "with job as (insert into core_job (tenant_id, kind, payload, key, run_at, max_attempts) "
        "select $1, kind, payload, key, run_at, max_attempts "
        "from unnest($2::text[], $3::jsonb[], $4::text[], $5::timestamptz[], $6::int[]) as j(kind, payload, key, run_at, max_attempts) "
        "on conflict (tenant_id, kind, key) do nothing returning id) "
        "select count(*) from job, lateral (select pg_notify($7, '')) as woken",
        current_tenant().id, [j.kind for j in jobs],
        [msgspec.json.encode(msgspec.convert(j.payload, Payload)).decode() for j in jobs],
        [j.key for j in jobs], [j.run_at or now for j in jobs], [j.max_attempts for j in jobs], NOTIFY_CHANNEL,
    )


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
        handlers[registered.kind] = HandlerSpec(registered.handler, None if is_core(plugin) else plugin)
    return handlers
