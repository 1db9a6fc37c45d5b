"""Campaigns: nobody twice (sent again, and by two workers at once), consent per channel, the
cap, a scheduled send at the franchise's local time, the triggers, the results, the banner for
recipients only (and no statement without one), two franchises apart, hostile input."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from platform_core import clock
from platform_core.accounts.schemas import CustomerUpdate
from platform_core.accounts.services import update_customer
from platform_core.db import current_connection, get_engine
from platform_core.errors import ValidationFailed
from platform_core.jobs.schemas import JobContext
from platform_core.jobs.services import HandlerSpec
from platform_core.jobs.worker import Worker
from platform_core.marketing import (
    campaign_banner,
    campaign_sending,
    campaigns,
    segments,
)
from platform_core.marketing.schemas import CampaignCreate, SegmentCreate
from platform_core.notifications import services as notifications
from platform_core.pluginsys.contexts import PageContext
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant, tenant_scope
from platform_core.testing.factories import (
    api_sign_in,
    console_client,
    make_customer,
    make_order,
    post_form,
    signed_in,
)
from platform_core.testing.statements import StatementLog


async def run_jobs() -> None:
    """Run the campaign jobs that are due (by platform_core.clock) until none is left: the app's
    own worker may hold one meanwhile, so wait for it too."""
    handlers = {h.kind: HandlerSpec(h.handler, None) for h in campaign_sending.JOB_HANDLERS}
    worker = Worker(current_runtime(), handlers=handlers)
    for _ in range(200):
        await worker.run_due()
        async with get_engine().pool.acquire() as conn:
            pending = await conn.fetchval(
                "select count(*) from core_job where kind = any($1::text[]) and done_at is null and failed_at is null and run_at <= $2",
                list(handlers), clock.now())
        if not pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("campaign jobs left undone")


async def coupon_template(tenant, **overrides) -> int:
    base = {"name": "¥20 off", "kind": "amount_off", "amount_off": 2000, "per_customer_limit": 5, **overrides}
    async with tenant_scope(tenant.id):
        return (await promotions.create_template(msgspec.convert(base, CouponTemplateFields))).id


async def everyone(tenant) -> int:
    """A segment of every active customer of the franchise."""
    async with tenant_scope(tenant.id):
        return (await segments.create_segment(SegmentCreate(name="Everyone", filters=[]))).id


async def campaign(tenant, **fields) -> int:
    data = {"name": "Autumn", "audience": "segment", "title": "We miss you", "body": "Come back for a clean home.", **fields}
    async with tenant_scope(tenant.id):
        return (await campaigns.create_campaign(msgspec.convert(data, CampaignCreate))).id


async def send_now(tenant, campaign_id: int) -> None:
    async with tenant_scope(tenant.id):
        await campaigns.schedule_campaign(campaign_id)
    await run_jobs()


async def recipients(tenant, campaign_id: int) -> dict[int, dict]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select * from core_marketing_campaign_recipient where campaign_id = $1", campaign_id)
    return {r["customer_id"]: dict(r) for r in rows}


async def inbox(tenant, customer_id: int) -> list:
    async with tenant_scope(tenant.id):
        return await notifications.list_notifications("customer", customer_id)


async def test_nobody_gets_a_campaign_twice_sent_again_and_by_two_workers_at_once(runtime, tenant_a, monkeypatch):
    monkeypatch.setattr(campaign_sending, "BATCH", 2)  # several batches, each its own job
    customers = [await make_customer(tenant_a) for _ in range(5)]
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a), template_id=await coupon_template(tenant_a))
    await send_now(tenant_a, campaign_id)
    async with tenant_scope(tenant_a.id):
        assert (await campaigns.get_campaign(campaign_id)).state == "finished"
    assert set(await recipients(tenant_a, campaign_id)) == set(customers)
    # The send again from the start, twice at once, as a retried job beside a second worker would.
    async with tenant_scope(tenant_a.id):
        await current_connection().execute(
            "update core_marketing_campaign set state = 'running', send_cursor = 0 where id = $1", campaign_id)
        await current_connection().execute("delete from core_job where kind = $1", campaign_sending.SEND_JOB)
        await current_connection().execute(
            "insert into core_job (tenant_id, kind, payload, key) values ($1, $2, $3::jsonb, 'again-1'), ($1, $2, $3::jsonb, 'again-2')",
            tenant_a.id, campaign_sending.SEND_JOB, msgspec.json.encode({"campaign_id": campaign_id}).decode())
    await asyncio.gather(run_jobs(), run_jobs())
    assert set(await recipients(tenant_a, campaign_id)) == set(customers)
    for customer_id in customers:
        assert [n.title for n in await inbox(tenant_a, customer_id)] == ["We miss you"]
        async with tenant_scope(tenant_a.id):
            assert len(await promotions.customer_coupons(customer_id)) == 1


async def test_consent_is_asked_per_channel_and_marketing_off_gets_nothing(runtime, tenant_a, sms):
    inbox_only = await make_customer(tenant_a, "+8613800000001")
    agreed = await make_customer(tenant_a, "+8613800000002")
    off = await make_customer(tenant_a, "+8613800000003")
    async with tenant_scope(tenant_a.id):
        await update_customer(agreed, CustomerUpdate(marketing_sms=True))
        await update_customer(off, CustomerUpdate(marketing_messages=False, marketing_sms=True))
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a), template_id=await coupon_template(tenant_a),
                                 via_sms=True)
    await send_now(tenant_a, campaign_id)
    reached = await recipients(tenant_a, campaign_id)
    assert set(reached) == {inbox_only, agreed}
    assert (reached[inbox_only]["via_inbox"], reached[inbox_only]["via_sms"]) == (True, False)
    assert (reached[agreed]["via_inbox"], reached[agreed]["via_sms"]) == (True, True)
    async with tenant_scope(tenant_a.id) as scoped:
        payloads = await current_connection().fetch(
            "select payload from core_job where tenant_id = $1 and kind = $2", tenant_a.id, campaign_sending.SMS_JOB)
        assert [msgspec.json.decode(p["payload"]) for p in payloads] == [{"campaign_id": campaign_id, "customer_id": agreed}]
        # The job's SMS through this test's gateway (a live server's worker may have sent it to its own outbox).
        sms.messages.clear()
        await campaign_sending.send_sms(JobContext(tenant=scoped, job_id=0, attempt=1), {"campaign_id": campaign_id, "customer_id": agreed})
    assert [m.purpose for m in sms.messages] == ["marketing"]
    assert sms.messages[0].to == "+8613800000002" and "We miss you" in sms.messages[0].body
    assert await inbox(tenant_a, off) == []
    async with tenant_scope(tenant_a.id):
        assert await promotions.customer_coupons(off) == []


async def test_the_cap_limits_the_coupons_but_not_the_message(runtime, tenant_a, monkeypatch):
    monkeypatch.setattr(campaign_sending, "BATCH", 2)
    customers = [await make_customer(tenant_a) for _ in range(5)]
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a), template_id=await coupon_template(tenant_a),
                                 coupon_cap=3)
    await send_now(tenant_a, campaign_id)
    reached = await recipients(tenant_a, campaign_id)
    assert set(reached) == set(customers)
    assert sum(1 for r in reached.values() if r["coupon_id"]) == 3
    with_coupon = [n for c in customers for n in await inbox(tenant_a, c) if n.link == "/account/coupons"]
    assert len(with_coupon) == 3 and "¥20 off" in with_coupon[0].body


async def test_a_scheduled_campaign_starts_at_the_franchises_local_time(runtime, tenant_a, monkeypatch):
    customer = await make_customer(tenant_a)
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a))
    tz = ZoneInfo(tenant_a.timezone)
    day = (clock.now().astimezone(tz) + timedelta(days=2)).date()
    async with tenant_scope(tenant_a.id):
        at = campaigns.local_datetime(day.isoformat(), "09:30", tenant_a.timezone)
        scheduled = await campaigns.schedule_campaign(campaign_id, at)
        run_at = await current_connection().fetchval("select run_at from core_job where key = $1", f"start:{campaign_id}")
    assert scheduled.state == "scheduled"
    assert run_at.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, datetime.min.time()).replace(hour=9, minute=30)
    await run_jobs()
    assert await recipients(tenant_a, campaign_id) == {}
    monkeypatch.setattr(clock, "now", lambda: run_at + timedelta(minutes=1))
    await run_jobs()
    assert set(await recipients(tenant_a, campaign_id)) == {customer}
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as refused:
            await campaigns.schedule_campaign(await campaign(tenant_a, name="Past", segment_id=None, audience="registration"),
                                              run_at - timedelta(days=1))
    assert "send_at" in refused.value.fields


async def test_a_registration_campaign_welcomes_each_new_customer_once(runtime, tenant_a, client_a, sms):
    campaign_id = await campaign(tenant_a, name="Welcome", audience="registration", title="Welcome!",
                                 template_id=await coupon_template(tenant_a))
    await send_now(tenant_a, campaign_id)
    signed = await api_sign_in(client_a, sms, "13900139000", "+8613900139000")
    customer_id = signed["customer"]["id"]
    await run_jobs()
    async with tenant_scope(tenant_a.id):  # the trigger's job once more, as a retry would
        await current_connection().execute(
            "insert into core_job (tenant_id, kind, payload, key) values ($1, $2, $3::jsonb, 'again')", tenant_a.id,
            campaign_sending.TRIGGER_JOB, msgspec.json.encode({"campaign_id": campaign_id, "customer_id": customer_id}).decode())
    await run_jobs()
    assert set(await recipients(tenant_a, campaign_id)) == {customer_id}
    assert [n.title for n in await inbox(tenant_a, customer_id)] == ["Welcome!"]


async def order_days_ago(tenant, customer_id: int, days: int) -> int:
    order_id = await make_order(tenant, customer_id=customer_id, state="completed")
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "update core_order set created_at = now() - make_interval(days => $2) where id = $1", order_id, days)
    return order_id


async def test_n_days_after_the_last_order_reaches_customers_as_their_days_run_out(runtime, tenant_a, monkeypatch):
    due = await make_customer(tenant_a)
    await order_days_ago(tenant_a, due, 29)
    recent = await make_customer(tenant_a)
    await order_days_ago(tenant_a, recent, 10)
    came_back = await make_customer(tenant_a)
    await order_days_ago(tenant_a, came_back, 29)
    await order_days_ago(tenant_a, came_back, 1)
    long_gone = await make_customer(tenant_a)
    await order_days_ago(tenant_a, long_gone, 300)
    campaign_id = await campaign(tenant_a, name="30 days", audience="last_order", trigger_days=30)
    await send_now(tenant_a, campaign_id)  # the first look: nobody's 30 days ran out since the start
    assert await recipients(tenant_a, campaign_id) == {}
    later = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    await run_jobs()
    assert set(await recipients(tenant_a, campaign_id)) == {due}
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval(
            "select count(*) from core_job where tenant_id = $1 and kind = $2 and done_at is null and run_at > $3",
            tenant_a.id, campaign_sending.SWEEP_JOB, later) == 1


async def test_results_count_sent_read_issued_redeemed_and_the_orders_that_used_the_coupon(runtime, tenant_a):
    first, second = await make_customer(tenant_a), await make_customer(tenant_a)
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a), template_id=await coupon_template(tenant_a),
                                 via_banner=True)
    await send_now(tenant_a, campaign_id)
    reached = await recipients(tenant_a, campaign_id)
    order_id = await make_order(tenant_a, customer_id=first, state="completed", total=8000)
    async with tenant_scope(tenant_a.id):
        await notifications.mark_read("customer", first)
        conn = current_connection()
        coupon_id = reached[first]["coupon_id"]
        await conn.execute("update core_coupon set state = 'used', order_id = $2, used_at = now() where id = $1", coupon_id, order_id)
        await conn.execute(
            "insert into core_order_line (tenant_id, order_id, position, kind, code, label, unit_amount, amount) "
            "values ($1, $2, 90, 'adjustment', $3, 'Coupon', -2000, -2000)", tenant_a.id, order_id, f"coupon:{coupon_id}")
        results = await campaigns.campaign_results(campaign_id)
    assert (results.recipients, results.sent_inbox, results.sent_sms, results.sent_banner) == (2, 2, 0, 2)
    assert (results.read, results.coupons_issued, results.coupons_redeemed) == (1, 2, 1)
    assert (results.orders, results.revenue, results.cost) == (1, 8000, 2000)
    assert sum(d.redemptions for d in results.by_day) == 1 and sum(d.revenue for d in results.by_day) == 8000
    assert second in reached


def page_for(customer_id: int | None) -> PageContext:
    return PageContext(tenant=current_tenant(), surface="customer", path="/", customer_id=customer_id)


def campaign_statements(log: StatementLog) -> list[str]:
    """The banner's statements (the app's worker may run other tests' jobs meanwhile)."""
    return [s for s in log.statements if "core_marketing_campaign" in s]


async def test_the_banner_shows_to_recipients_only_and_costs_no_statement_without_one(app, runtime, tenant_a):
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await campaign_banner.banner_notice(page_for(customer))  # this stamp's campaigns read once
        with StatementLog() as log:
            assert await campaign_banner.banner_notice(page_for(customer)) is None
        assert campaign_statements(log) == []
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a), via_inbox=False, via_banner=True,
                                 title="Spring cleaning week")
    await send_now(tenant_a, campaign_id)
    newcomer = await make_customer(tenant_a)  # joined after the send: not a recipient
    async with tenant_scope(tenant_a.id):
        await campaign_banner.banner_notice(page_for(None))
        with StatementLog() as log:
            assert await campaign_banner.banner_notice(page_for(None)) is None
            shown = await campaign_banner.banner_notice(page_for(customer))
        assert len(campaign_statements(log)) == 1 and shown is not None and shown.title == "Spring cleaning week"
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        assert "Spring cleaning week" in (await client.get("/")).text
    async with await signed_in(app, tenant_a, "customer", newcomer) as client:
        assert "Spring cleaning week" not in (await client.get("/")).text


async def test_a_campaign_never_reaches_another_franchise_nor_opens_on_its_console(app, runtime, tenant_a, tenant_b, client_b):
    ours = await make_customer(tenant_a)
    theirs = await make_customer(tenant_b)
    campaign_id = await campaign(tenant_a, segment_id=await everyone(tenant_a))
    await send_now(tenant_a, campaign_id)
    assert set(await recipients(tenant_a, campaign_id)) == {ours}
    assert await inbox(tenant_b, theirs) == []
    owner_b = await console_client(client_b, tenant_b, "owner")
    assert (await owner_b.get(f"/console/marketing/campaigns/{campaign_id}")).status_code == 404
    assert (await post_form(owner_b, f"/console/marketing/campaigns/{campaign_id}/cancel")).status_code == 404
    async with tenant_scope(tenant_b.id):
        with pytest.raises(ValidationFailed) as refused:
            await campaigns.create_campaign(CampaignCreate(name="x", audience="segment", segment_id=1_000_000_000, title="t"))
    assert refused.value.fields["segment_id"]


async def test_the_console_refuses_hostile_input_at_the_field(app, tenant_a, client_a):
    owner = await console_client(client_a, tenant_a, "owner")
    response = await post_form(owner, "/console/marketing/campaigns/new", {
        "name": "x\x00", "audience": "nonsense", "title": "t" * 5000, "segment_id": "99999999999999999999",
        "trigger_days": "-1", "coupon_cap": "1e9",
    })
    assert response.status_code == 400
    for field in ("name", "audience", "title", "segment_id", "trigger_days", "coupon_cap"):
        assert f'id="field-{field}-error"' in response.text or f"field-{field}" in response.text
    response = await post_form(owner, "/console/marketing/campaigns/new", {
        "name": "Only SMS", "audience": "registration", "title": "Hello", "via_inbox": "", "trigger_days": "", "coupon_cap": "5",
    })
    assert response.status_code == 400
    assert "Choose at least one channel." in response.text and "A cap needs a coupon to give." in response.text


async def test_an_owner_creates_previews_sends_and_reads_the_results_in_the_console(app, runtime, tenant_a, client_a):
    await make_customer(tenant_a)
    segment_id = await everyone(tenant_a)
    owner = await console_client(client_a, tenant_a, "owner")
    created = await post_form(owner, "/console/marketing/campaigns/new", {
        "name": "Win back", "audience": "segment", "segment_id": str(segment_id), "title": "We miss you", "via_inbox": "1",
        "banner_days": "7",
    })
    assert created.status_code == 303, created.text
    path = created.headers["location"].split("?")[0]
    draft = await owner.get(path)
    assert "data-audience-size" in draft.text
    confirm = await owner.get(f"{path}/confirm?action=send")
    assert confirm.status_code == 200 and "data-audience-size" in confirm.text
    assert (await post_form(owner, f"{path}/send")).status_code == 303
    assert (await post_form(owner, f"{path}/send")).status_code == 409  # the second click
    await run_jobs()
    results = await owner.get(path)
    assert 'data-result="sent_inbox">1<' in results.text and "<svg" in results.text
    listing = await owner.get("/console/marketing/campaigns")
    assert "Win back" in listing.text
    dispatcher = await console_client(client_a, tenant_a, "dispatcher")
    assert (await dispatcher.get("/console/marketing/campaigns")).status_code == 403


async def test_the_demo_franchises_get_a_running_campaign_once(app, runtime, hearth_settings, tmp_path):
    import re
    import secrets
    from pathlib import Path

    from platform_core.demo.seeding import apply_tenant_file
    from platform_core.tenancy.services import get_tenant

    for name in ("sunshine", "harbour"):
        slug = f"demo-{secrets.token_hex(3)}"
        text = (Path(__file__).resolve().parents[2] / "tenants" / f"{name}.toml").read_text(encoding="utf-8")
        path = tmp_path / f"{slug}.toml"
        path.write_text(re.sub(r'(?m)^slug = ".*"$', f'slug = "{slug}"', text, count=1), encoding="utf-8")
        first = await apply_tenant_file(path, hearth_settings)
        assert any("campaign" in change and "started" in change for change in first)
        assert not any("campaign" in change for change in await apply_tenant_file(path, hearth_settings))
        await run_jobs()
        async with tenant_scope((await get_tenant(slug)).id):
            [row] = await campaigns.list_campaigns()
        assert row.campaign.state == "running" and row.campaign.template_id and row.campaign.via_banner
