"""The job outbox: transactional enqueue, the worker's tenant scope, retries, SKIP LOCKED, wake-ups."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from platform_core import clock
from platform_core.db import get_engine, tenant_transaction
from platform_core.jobs import services as jobs
from platform_core.jobs.services import HandlerSpec, collect_handlers, enqueue, get_job
from platform_core.jobs.worker import Worker, running_worker
from platform_core.notifications import services as notifications
from platform_core.notifications.schemas import NotificationCreate
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import JobHandler
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.runtime import Runtime, current_runtime
from platform_core.tenancy.context import current_tenant, tenant_scope


def worker_for(handlers: dict, plugin: str | None = None, **options) -> Worker:
    return Worker(current_runtime(), handlers={k: HandlerSpec(fn, plugin) for k, fn in handlers.items()}, **options)


async def enqueue_for(tenant_id: int, kind: str, payload=None, **options) -> int | None:
    async with tenant_scope(tenant_id):
        return await enqueue(kind, payload, **options)


async def job_of(tenant_id: int, job_id: int):
    async with tenant_scope(tenant_id):
        return await get_job(job_id)


async def test_job_exists_only_if_the_enqueueing_transaction_commits(tenant_a):
    async with tenant_scope(tenant_a.id):
        rolled_back = await enqueue("test.noop", {"order_id": 1})
        await get_engine().current_transaction.get().rollback()
    committed = await enqueue_for(tenant_a.id, "test.noop", {"order_id": 2})
    assert await job_of(tenant_a.id, rolled_back) is None
    assert (await job_of(tenant_a.id, committed)).payload == {"order_id": 2}


async def test_worker_runs_a_job_in_its_tenant_scope_and_commits_its_work_with_done(runtime, tenant_a):
    seen = []

    async def welcome(ctx, payload):
        seen.append((ctx.tenant.id, current_tenant().id, ctx.attempt))
        await notifications.add_notification(
            NotificationCreate(recipient_kind="customer", recipient_id=payload["customer_id"], title="Welcome")
        )

    job_id = await enqueue_for(tenant_a.id, "test.welcome", {"customer_id": 41})
    assert await worker_for({"test.welcome": welcome}).run_due() == 1
    assert seen == [(tenant_a.id, tenant_a.id, 1)]
    job = await job_of(tenant_a.id, job_id)
    assert job.state == "done" and job.attempts == 1 and job.last_error is None
    async with tenant_scope(tenant_a.id):
        assert [n.title for n in await notifications.list_notifications("customer", 41)] == ["Welcome"]


async def test_a_failing_job_rolls_back_retries_later_and_records_no_personal_data(runtime, tenant_a):
    async def flaky(ctx, payload):
        await notifications.add_notification(NotificationCreate(recipient_kind="customer", recipient_id=42, title="half done"))
        raise ConnectionError("gateway refused +8613800138000 at 1 Main St")

    job_id = await enqueue_for(tenant_a.id, "test.flaky", {"customer_id": 42})
    before = datetime.now(timezone.utc)
    await worker_for({"test.flaky": flaky}).run_due()
    job = await job_of(tenant_a.id, job_id)
    assert job.state == "pending" and job.attempts == 1
    assert job.last_error.startswith("ConnectionError at test_jobs_queue.py:")
    assert "13800138000" not in job.last_error and "Main St" not in job.last_error
    assert job.run_at >= before + timedelta(seconds=3)
    async with tenant_scope(tenant_a.id):
        assert await notifications.list_notifications("customer", 42) == []


async def test_backoff_grows_and_the_job_gives_up_after_max_attempts(runtime, tenant_a):
    calls = 0

    async def always_fails(ctx, payload):
        nonlocal calls
        calls += 1
        raise RuntimeError("no")

    job_id = await enqueue_for(tenant_a.id, "test.doomed", max_attempts=2)
    worker = worker_for({"test.doomed": always_fails})
    await worker.run_due()
    async with tenant_transaction(None) as tx:  # make the retry due now
        await tx.connection.execute("update core_job set run_at = $2 where id = $1", job_id, clock.now())
    await worker.run_due()
    await worker.run_due()
    job = await job_of(tenant_a.id, job_id)
    assert calls == 2 and job.state == "failed" and job.attempts == 2


async def test_a_dedupe_key_makes_one_job_per_tenant_kind_and_key(tenant_a, tenant_b):
    first = await enqueue_for(tenant_a.id, "test.remind", {"order_id": 9}, key="order-9")
    assert first is not None
    assert await enqueue_for(tenant_a.id, "test.remind", {"order_id": 9}, key="order-9") is None
    assert await enqueue_for(tenant_b.id, "test.remind", {"order_id": 9}, key="order-9") is not None


async def test_a_scheduled_job_waits_for_its_time(runtime, tenant_a):
    ran = []

    async def later(ctx, payload):
        ran.append(ctx.job_id)

    job_id = await enqueue_for(tenant_a.id, "test.later", run_at=datetime.now(timezone.utc) + timedelta(hours=1))
    assert await worker_for({"test.later": later}).run_due() == 0
    assert ran == [] and (await job_of(tenant_a.id, job_id)).state == "pending"


def test_payloads_carry_ids_not_records():
    from platform_core.jobs.schemas import Payload

    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"customer": {"phone": "+8613800138000"}}, Payload)


async def test_two_workers_never_run_the_same_job(runtime, make_tenant):
    tenants = [await make_tenant() for _ in range(3)]
    runs: dict[int, int] = {}

    async def count(ctx, payload):
        runs[ctx.job_id] = runs.get(ctx.job_id, 0) + 1
        await asyncio.sleep(0.005)

    ids = [await enqueue_for(tenants[i % 3].id, "test.count", {"n": i}) for i in range(30)]
    one, two = (worker_for({"test.count": count}, batch_size=3) for _ in range(2))
    done = await asyncio.gather(one.run_due(), two.run_due())
    assert sum(done) == 30 and all(done)
    assert runs == {job_id: 1 for job_id in ids}


async def test_notify_wakes_an_idle_worker_at_commit(runtime, tenant_a):
    ran = asyncio.Event()

    async def wake(ctx, payload):
        ran.set()

    worker = worker_for({"test.wake": wake}, poll_interval=60)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.3)  # idle, listening, with a minute until its next poll
        await enqueue_for(tenant_a.id, "test.wake")
        await asyncio.wait_for(ran.wait(), timeout=5)
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=5)


async def test_commits_close_together_share_one_wake(runtime, tenant_a, monkeypatch):
    wakes = []
    side_connection = jobs.side_connection

    @asynccontextmanager
    async def counted():
        wakes.append(1)
        async with side_connection() as conn:
            yield conn

    monkeypatch.setattr(jobs, "side_connection", counted)
    monkeypatch.setattr(jobs, "WAKE_GATHER", 0.5)  # wide enough for three commits on a busy machine
    for n in range(3):
        await enqueue_for(tenant_a.id, "test.noop", {"order_id": n})
    await asyncio.wait_for(jobs._Waking.task, timeout=5)
    assert len(wakes) == 1


async def test_a_plugins_job_is_dropped_when_the_tenant_turned_it_off(runtime, tenant_a):
    ran = []

    async def award(ctx, payload):
        ran.append(payload)

    job_id = await enqueue_for(tenant_a.id, "loyalty.award", {"order_id": 3})
    await worker_for({"loyalty.award": award}, plugin="loyalty").run_due()
    job = await job_of(tenant_a.id, job_id)
    assert ran == [] and job.state == "failed" and "loyalty" in job.last_error


def test_handlers_come_from_register_job_handlers_and_a_kind_is_claimed_once():
    async def handler(ctx, payload):
        return None

    class Reminders:
        @hookimpl
        def register_job_handlers(self):
            return [JobHandler(kind="reminders.send", handler=handler)]

    pm = build_plugin_manager(load_entrypoints=False)
    pm.register(Reminders(), name="reminders")
    assert collect_handlers(pm)["reminders.send"] == HandlerSpec(handler, "reminders")
    pm.register(Reminders(), name="reminders_again")
    with pytest.raises(RuntimeError, match="reminders.send"):
        collect_handlers(pm)


async def test_cleanup_removes_expired_kv_rows(runtime):
    async with get_engine().pool.acquire() as conn:
        await conn.execute(
            "insert into core_kv (key, value, expires_at) values ('test:old', 'x', now() - interval '1 second'), "
            "('test:fresh', 'x', now() + interval '1 hour') on conflict (key) do nothing"
        )
        await Worker(runtime, handlers={}).cleanup()
        keys = {r["key"] for r in await conn.fetch("select key from core_kv where key like 'test:%'")}
        await conn.execute("delete from core_kv where key like 'test:%'")
    assert keys == {"test:fresh"}


async def test_hearth_worker_0_leaves_jobs_to_worker_processes(runtime):
    rt = Runtime(settings=msgspec.structs.replace(runtime.settings, worker=False), pm=runtime.pm, relay=runtime.relay)
    async with running_worker(rt) as worker:
        assert worker is None
    async with running_worker(runtime) as worker:
        assert isinstance(worker, Worker)


def test_hearth_worker_burst_runs_due_jobs_and_exits(hearth_settings, tmp_path):
    env = {
        **os.environ, "HEARTH_ENV": "test", "DATABASE_URL": hearth_settings.db.url,
        "HEARTH_SECRET_KEY": hearth_settings.secret_key, "HEARTH_DATA_DIR": str(tmp_path), "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from platform_core.cli import main; main()", "worker", "--burst"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "jobs run" in result.stdout
