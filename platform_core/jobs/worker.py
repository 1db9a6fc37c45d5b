"""The job worker: claims due jobs with FOR UPDATE SKIP LOCKED, runs each in its tenant's scope.

Several workers (the in-process one of each `hearth serve`, and `hearth worker` processes) share
one table safely: a claim is a short transaction that skips rows another worker is claiming and
leases the rows it takes (`locked_until`), so each job runs once at a time. A job's own work and
its "done" mark commit in one transaction; a failure rolls the work back and schedules a retry
with exponential backoff. LISTEN/NOTIFY wakes idle workers just after an enqueueing
transaction commits (services.py says why not inside it); a short poll finds jobs scheduled for
later.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import traceback
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import asyncpg

from platform_core import clock
from platform_core.db import current_connection, get_engine
from platform_core.db.engine import app_dsn
from platform_core.errors import HearthError
from platform_core.kv import purge_expired
from platform_core.metrics import JOBS
from platform_core.runtime import Runtime
from platform_core.tenancy.context import tenant_scope

from .schemas import JobContext
from .services import (
    NOTIFY_CHANNEL,
    HandlerSpec,
    _job,
    collect_handlers,
    schedule_daily,
)

log = logging.getLogger("hearth.jobs")

BACKOFF_BASE_S = 5
BACKOFF_MAX_S = 3600
CLEANUP_EVERY_S = 300
# Finished jobs are kept this long for inspection, then purged.
KEEP_FINISHED = "7 days"

# Due by the app's clock ($4), which set run_at; the lease is the database's own business.
_CLAIM_SQL = """
with due as (
  select id from core_job
  where done_at is null and failed_at is null and run_at <= $4
    and (locked_until is null or locked_until < now())
    and kind = any($1::text[])
  order by run_at, id
  limit $2
  for update skip locked
)
update core_job j set locked_until = now() + make_interval(secs => $3), attempts = j.attempts + 1
from due where j.id = due.id
returning j.id, j.tenant_id, j.kind, j.payload, j.key, j.run_at, j.attempts, j.max_attempts,
          j.last_error, j.done_at, j.failed_at
"""


def describe_error(exc: BaseException) -> str:
    """Where and what failed, without the exception's message (messages echo phone numbers,
    addresses and tokens back); our own errors' messages are msgids, safe to keep."""
    what = type(exc).__name__
    if isinstance(exc, HearthError):
        what += f": {exc.message}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        what += f" at {Path(last.filename).name}:{last.lineno} in {last.name}"
    return what[:500]


def backoff_seconds(attempts: int) -> float:
    """5 s, 10 s, 20 s ... capped at an hour, with jitter so retries of a burst spread out."""
    delay = min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)
    return delay * random.uniform(0.8, 1.2)


class Worker:
    def __init__(
        self,
        rt: Runtime,
        *,
        handlers: dict[str, HandlerSpec] | None = None,
        batch_size: int = 4,
        poll_interval: float = 2.0,
        lease_s: int = 300,
    ) -> None:
        self.rt = rt
        self.handlers = collect_handlers(rt.pm) if handlers is None else handlers
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.lease_s = lease_s
        # A job that outlives its lease could be claimed again, so it is cut off before that.
        self.job_timeout = lease_s * 0.8
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._last_cleanup = 0.0

    # ------------------------------------------------------------------ one pass

    async def run_due(self) -> int:
        """Run every job that is due now, batch by batch; returns how many ran (or failed)."""
        total = 0
        while not self._stopping.is_set():
            jobs = await self._claim()
            if not jobs:
                break
            await asyncio.gather(*(self._run(job) for job in jobs))
            total += len(jobs)
        return total

    async def _claim(self):
        if not self.handlers:
            return []
        async with get_engine().pool.acquire() as conn:  # type: ignore[union-attr]
            rows = await conn.fetch(_CLAIM_SQL, list(self.handlers), self.batch_size, self.lease_s, clock.now())
        return [_job(r) for r in rows]

    async def _run(self, job) -> None:
        # A job reaches the runtime, hooks and plugin config the way a request does: from its scope.
        with self.rt.scope():
            await self._run_job(job)

    async def _run_job(self, job) -> None:
        spec = self.handlers[job.kind]
        try:
            async with tenant_scope(job.tenant_id) as tenant:
                if spec.plugin is not None and spec.plugin not in tenant.enabled_plugins:
                    # The tenant turned the plugin off since: its side effects must not happen.
                    await current_connection().execute(
                        "update core_job set failed_at = now(), locked_until = null, last_error = $2 where id = $1",
                        job.id, f"plugin {spec.plugin} is off for this tenant",
                    )
                    return
                ctx = JobContext(tenant=tenant, job_id=job.id, attempt=job.attempts)
                async with asyncio.timeout(self.job_timeout):
                    await spec.handler(ctx, job.payload)
                # Same transaction as the job's work: both commit, or neither.
                await current_connection().execute(
                    "update core_job set done_at = now(), locked_until = null, last_error = null where id = $1", job.id
                )
            JOBS.labels(job.kind, "done").inc()
        except asyncio.CancelledError:
            raise  # shutting down: the lease runs out and another worker retries it
        except Exception as exc:  # noqa: BLE001 - a failing job is recorded, never fatal to the worker
            await self._record_failure(job, exc)

    async def _record_failure(self, job, exc: Exception) -> None:
        error = describe_error(exc)
        give_up = job.attempts >= job.max_attempts
        JOBS.labels(job.kind, "failed" if give_up else "retry").inc()
        log.warning(
            "job %s (%s) attempt %s/%s failed: %s", job.id, job.kind, job.attempts, job.max_attempts, error,
            extra={"fields": {"job": job.id, "kind": job.kind, "tenant_id": job.tenant_id, "gave_up": give_up}},
        )
        async with get_engine().pool.acquire() as conn:  # type: ignore[union-attr]
            await conn.execute(
                "update core_job set last_error = $2, locked_until = null, "
                "run_at = case when $3 then run_at else $5::timestamptz + make_interval(secs => $4) end, "
                "failed_at = case when $3 then now() end where id = $1",
                job.id, error, give_up, backoff_seconds(job.attempts), clock.now(),
            )

    # ------------------------------------------------------------------ housekeeping

    async def cleanup(self) -> None:
        """Drop the key-value stand-in's expired rows and finished jobs past their keeping time;
        make sure each daily job has its next run (every few minutes is enough: a run is asked
        for a day ahead, so a worker that was down for hours still finds it)."""
        async with get_engine().pool.acquire() as conn:  # type: ignore[union-attr]
            await schedule_daily(conn, self.handlers)
            await purge_expired(conn)
            await conn.execute(
                f"delete from core_job where done_at < now() - interval '{KEEP_FINISHED}' "
                f"or failed_at < now() - interval '{KEEP_FINISHED}'"
            )

    async def _maybe_cleanup(self) -> None:
        if time.monotonic() - self._last_cleanup >= CLEANUP_EVERY_S:
            self._last_cleanup = time.monotonic()
            await self.cleanup()

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Work until stop(): run what is due, then sleep until notified or the poll interval."""
        listener = None
        log.info("job worker started", extra={"fields": {"kinds": sorted(self.handlers)}})
        try:
            while not self._stopping.is_set():
                try:
                    if listener is None or listener.is_closed():
                        listener = await self._listen()
                    self._wake.clear()
                    await self._maybe_cleanup()
                    await self.run_due()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - e.g. the database went away for a moment
                    # The worker outlives a bad moment; the next pass retries.
                    log.warning("job worker: %s; retrying", describe_error(exc))
                    if listener is not None:
                        listener.terminate()
                        listener = None
                await self._sleep()
        finally:
            if listener is not None and not listener.is_closed():
                await listener.close()
            log.info("job worker stopped")

    async def _listen(self) -> asyncpg.Connection:
        # A connection of its own: LISTEN must outlive transactions, and must not hold a pool slot.
        settings = self.rt.settings
        conn = await asyncpg.connect(app_dsn(settings.db.url or "", settings.db.app_url))
        await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        return conn

    async def _sleep(self) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait([stop, wake], timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            wake.cancel()

    def stop(self) -> None:
        self._stopping.set()


@asynccontextmanager
async def running_worker(rt: Runtime, *, grace_s: float = 10.0) -> AsyncIterator[Worker | None]:
    """Run a worker in the background for the duration of the block (the app's in-process worker
    when HEARTH_WORKER is on). On exit, running jobs get `grace_s` to finish, then are cancelled
    (their transactions roll back and their leases expire, so another worker retries them)."""
    if not rt.settings.worker:
        yield None
        return
    worker = Worker(rt)
    task = asyncio.create_task(worker.run(), name="hearth-job-worker")
    try:
        yield worker
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(task, timeout=grace_s)
        except asyncio.TimeoutError:
            log.warning("job worker did not stop within %ss; cancelled", grace_s)
