"""The monthly job at a month's edge in the franchise's time zone, and the order facts the card
reads from the timeline: no-shows against the worker who accepted, declined offers."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.assessment import formula, jobs, scorecards
from platform_core.db import current_connection
from platform_core.orders.services import worker_month_facts
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_order, make_worker

# 23:00 on 30 November in Shanghai is 15:00 UTC; the month ends at 16:00 UTC.
LATE_NOVEMBER = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)


async def test_the_job_computes_the_month_that_ended_in_the_franchise_s_zone_once(app, make_tenant, monkeypatch):
    tenant = await make_tenant(prefix="job", timezone="Asia/Shanghai")
    worker = await make_worker(tenant, "王阿姨")
    await make_order(tenant, state="completed", staff_id=worker, assignment="completed", starts=LATE_NOVEMBER)
    # 23:30 on 30 November in Shanghai: November has not ended there, so the job computes October.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc))
    async with tenant_scope(tenant.id):
        assert await jobs.compute_last_month() is True
        assert await scorecards.month_cards(date(2026, 11, 1)) == []
    # 00:30 on 1 December in Shanghai (still 30 November in UTC): November's cards, once.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc))
    async with tenant_scope(tenant.id):
        assert await jobs.compute_last_month() is True
        cards = await scorecards.month_cards(date(2026, 11, 1))
        assert [(c.staff_id, c.completed) for c in cards] == [(worker, 1)]
        assert await jobs.compute_last_month() is False


async def test_no_shows_count_against_the_worker_who_accepted_and_declines_against_who_declined(app, tenant_a):
    tz_month = date(2026, 10, 1)
    starts, ends = formula.month_span(tz_month, ZoneInfo(tenant_a.timezone))
    absent = await make_worker(tenant_a, "张师傅")
    choosy = await make_worker(tenant_a, "刘师傅")
    order = await make_order(tenant_a, state="no_show", staff_id=absent, starts=starts + timedelta(days=3))
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        for event, actor, minutes in (("decline", choosy, 0), ("accept", absent, 5), ("report_no_show", None, 300)):
            await conn.execute(
                "insert into core_order_event (tenant_id, order_id, event, to_state, actor_kind, actor_id, created_at) "
                "select tenant_id, id, $2, 'x', $3, $4, $5 from core_order where id = $1",
                order, event, "staff" if actor else "customer", actor, starts + timedelta(days=2, minutes=minutes))
        facts = await worker_month_facts(starts, ends, grace_minutes=10)
        assert facts[absent].no_shows == 1 and facts[absent].declined == 0
        assert facts[choosy].declined == 1 and facts[choosy].no_shows == 0
        # The month after knows nothing of them.
        assert await worker_month_facts(ends, ends + timedelta(days=30), grace_minutes=10) == {}
