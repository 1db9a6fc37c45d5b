"""Daily jobs (JobHandler.daily_at): the workers ask for each one's next run at that local time in
every active franchise's zone, once per day whatever how often they ask, and a plugin's daily
job only for the franchises that have the plugin on."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.db import current_connection
from platform_core.jobs.services import HandlerSpec
from platform_core.jobs.worker import Worker
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope


async def nothing(ctx, payload) -> None:
    return None


async def daily_runs(tenant_id: int, kind: str) -> list[tuple[str, datetime]]:
    async with tenant_scope(tenant_id):
        rows = await current_connection().fetch(
            "select key, run_at from core_job where kind = $1 and tenant_id = $2 order by run_at", kind, tenant_id)
    return [(r["key"], r["run_at"]) for r in rows]


async def test_a_daily_job_is_asked_for_once_at_its_local_time_in_each_franchise(runtime, make_tenant, monkeypatch):
    shanghai = await make_tenant(prefix="sh", timezone="Asia/Shanghai")
    berlin = await make_tenant(prefix="be", timezone="Europe/Berlin")
    # 02:30 in Shanghai (18:30 UTC the day before): 03:00 has not come yet there; in Berlin it is 19:30.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 2, 18, 30, tzinfo=timezone.utc))
    worker = Worker(current_runtime(), handlers={"test.nightly": HandlerSpec(nothing, None, time(3, 0))})
    await worker.cleanup()
    await worker.cleanup()
    assert await daily_runs(shanghai.id, "test.nightly") == [
        ("daily:2026-12-03", datetime(2026, 12, 3, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai")))]
    assert await daily_runs(berlin.id, "test.nightly") == [
        ("daily:2026-12-03", datetime(2026, 12, 3, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")))]


async def test_a_plugins_daily_job_runs_only_where_the_plugin_is_on(runtime, tenant_a, tenant_b, enable_plugin):
    await enable_plugin(tenant_a, "announcements")
    worker = Worker(current_runtime(), handlers={"announcements.nightly": HandlerSpec(nothing, "announcements", time(4, 0))})
    await worker.cleanup()
    assert len(await daily_runs(tenant_a.id, "announcements.nightly")) == 1
    assert await daily_runs(tenant_b.id, "announcements.nightly") == []
