"""Member tiers: seeding, evaluation (upgrade at once, downgrade after the grace period, the
nightly batch), the points multiplier, the segment filter, the pages, and loyalty off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.jobs.worker import Worker
from platform_core.marketing.schemas import SegmentFilter
from platform_core.marketing.segments import segment_size
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.contracts import check_plugin
from platform_core.testing.factories import (
    console_client,
    make_customer,
    make_order,
    post_form,
    with_session,
)
from plugins.loyalty import points, tiers
from plugins.loyalty.tier_views import tier_fields_from, tier_panel


async def _completed(tenant, customer_id: int, total: int, *, count: int = 1, days_ago: int = 10) -> None:
    for _ in range(count):
        await make_order(tenant, customer_id=customer_id, state="completed", total=total,
                         starts=clock.now() - timedelta(days=days_ago))
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "update core_order set paid_at = scheduled_start where customer_id = $1 and state = 'completed'", customer_id)


async def _set_tier(tenant, customer_id: int, code: str) -> None:
    async with tenant_scope(tenant.id):
        await points.lock_member(customer_id)
        await current_connection().execute(
            "update loyalty_member set tier_code = $2, tier_since = now(), downgrade_due = null where customer_id = $1",
            customer_id, code)


async def test_loyalty_keeps_the_plugin_contract(app):
    await check_plugin("loyalty")


async def test_turning_loyalty_on_seeds_the_four_tiers_in_the_franchise_language(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    async with tenant_scope(tenant_a.id):
        found = await tiers.list_tiers()
        assert [(x.code, x.rank) for x in found] == [("regular", 0), ("silver", 1), ("gold", 2), ("platinum", 3)]
        assert found[2].name == "黄金会员" and found[2].dispatch_bonus > 0
    # The nightly evaluation and the birthday coupons are daily jobs the workers schedule for it.
    await Worker(current_runtime()).cleanup()
    async with tenant_scope(tenant_a.id):
        jobs = await current_connection().fetch(
            "select kind from core_job where tenant_id = $1 and kind like 'loyalty.%' order by kind", tenant_a.id)
    assert [j["kind"] for j in jobs] == [
        "loyalty.birthday_coupons", "loyalty.evaluate_tiers", "loyalty.expire_points", "loyalty.remind_expiring"]


async def test_a_completed_order_upgrades_at_once_and_raises_the_points_multiplier(runtime, tenant_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    await _completed(tenant_a, customer, 60_000, count=2)  # ¥1,200 in two bookings: spend is silver's, bookings not
    async with tenant_scope(tenant_a.id):
        assert (await tiers.evaluate(customer)).tier.code == "regular"
        assert await tiers.points_multiplier_percent(customer) == 100
    await _completed(tenant_a, customer, 10_000)
    async with tenant_scope(tenant_a.id):
        held = await tiers.evaluate(customer)
        assert held.tier.code == "silver" and held.since is not None and held.downgrade_due is None
        assert await tiers.points_multiplier_percent(customer) == 120
        progress = await tiers.progress(customer)
        assert progress.next_tier.code == "gold"
        assert progress.missing_spend == 300_000 - 130_000 and progress.missing_bookings == 8 - 3


async def test_spend_older_than_twelve_months_does_not_count(runtime, tenant_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    await _completed(tenant_a, customer, 50_000, count=3, days_ago=400)
    async with tenant_scope(tenant_a.id):
        assert (await tiers.evaluate(customer)).tier.code == "regular"


async def test_a_downgrade_waits_for_the_grace_period_and_the_panel_says_so(runtime, tenant_a, enable_plugin, customer, monkeypatch):
    await enable_plugin(tenant_a, "loyalty", tier_grace_days=30)
    await _set_tier(tenant_a, customer, "gold")
    async with tenant_scope(tenant_a.id):
        today = clock.today(tenant_a.timezone)
        held = await tiers.evaluate(customer)
        assert held.tier.code == "gold" and held.downgrade_due == today + timedelta(days=30)
        assert held.downgrade_to.code == "regular"
        panel = await tier_panel(customer)
        assert panel.downgrade_due == today + timedelta(days=30) and panel.downgrade_to == "普通会员"
        assert (await tiers.evaluate(customer)).downgrade_due == today + timedelta(days=30)  # not pushed back
    later = clock.now() + timedelta(days=30, hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    async with tenant_scope(tenant_a.id):
        held = await tiers.evaluate(customer)
        assert held.tier.code == "regular" and held.downgrade_due is None


async def test_qualifying_again_in_the_grace_period_clears_the_downgrade(runtime, tenant_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    await _set_tier(tenant_a, customer, "silver")
    async with tenant_scope(tenant_a.id):
        assert (await tiers.evaluate(customer)).downgrade_due is not None
    await _completed(tenant_a, customer, 40_000, count=3)
    async with tenant_scope(tenant_a.id):
        held = await tiers.evaluate(customer)
        assert held.tier.code == "silver" and held.downgrade_due is None


async def test_the_nightly_evaluation_runs_in_batches_and_picks_up_where_it_stopped(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        ids = [r["id"] for r in await conn.fetch(
            "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index) "
            "select $1::bigint, 'M' || g, 'x' || g, 'night-' || $1::text || '-' || g from generate_series(1, 1205) g returning id", tenant_a.id)]
        await conn.executemany("insert into loyalty_member (tenant_id, customer_id, tier_code) values ($1, $2, 'gold')",
                               [(tenant_a.id, cid) for cid in ids])
    rich = ids[7]
    await _completed(tenant_a, rich, 900_000, count=21)
    async with tenant_scope(tenant_a.id):
        runs, after = 0, 0
        while (last := await tiers.evaluate_batch(after)) is not None:
            runs, after = runs + 1, last
        assert runs == 3
        rows = await current_connection().fetch(
            "select tier_code, downgrade_due is not null as due, count(*) as n from loyalty_member group by 1, 2 order by 1, 2")
        assert [(r["tier_code"], r["due"], r["n"]) for r in rows] == [("gold", True, 1204), ("platinum", False, 1)]
        # The job: one batch per run, the next queued with its cursor.
        await tiers.run_evaluate_job(None, {"night": "2027-01-01", "after": 0})
        queued = await current_connection().fetchval(
            "select payload->>'after' from core_job where tenant_id = $3 and kind = $1 and key = $2", tiers.EVALUATE_JOB,
            f"night:2027-01-01:{ids[499]}", tenant_a.id)
        assert queued == str(ids[499])


async def test_tiers_are_edited_with_field_errors(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    with pytest.raises(ValidationFailed) as caught:
        tier_fields_from({"name": "金卡", "rank": "2", "min_spend": "abc"})
    assert set(caught.value.fields) == {"min_spend"}
    with pytest.raises(ValidationFailed) as caught:
        tier_fields_from({"name": "x" * 41, "rank": "2", "min_spend": "10"})
    assert set(caught.value.fields) == {"name"}
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as caught:
            await tiers.update_tier("gold", tier_fields_from({"name": "金卡", "rank": "2", "min_spend": "100"}))
        assert caught.value.fields == {"min_spend": "A higher tier can not ask less than a lower one."}
        with pytest.raises(ValidationFailed) as caught:
            await tiers.update_tier("gold", tier_fields_from({"name": "金卡", "rank": "1", "min_spend": "3000"}))
        assert set(caught.value.fields) == {"rank"}
        with pytest.raises(ValidationFailed) as caught:
            await tiers.update_tier("gold", tier_fields_from({"name": "金卡", "rank": "2", "min_spend": "3000", "min_bookings": "8", "birthday_template_id": "99999999"}))
        assert set(caught.value.fields) == {"birthday_template_id"}
        saved = await tiers.update_tier("gold", tier_fields_from(
            {"name": "金卡会员", "rank": "2", "min_spend": "3500.50", "min_bookings": "8", "priority_categories": "cleaning, deep-clean",
             "priority_items": "12，13", "priority_extra_days": "5", "dispatch_bonus": "60"}))
        assert saved.name == "金卡会员" and saved.min_spend == 350_050 and saved.priority_categories == ["cleaning", "deep-clean"]
        assert saved.priority_items == [12, 13]


async def test_console_tier_pages_show_the_spread_and_save_with_field_errors(runtime, tenant_a, client_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    await _set_tier(tenant_a, customer, "gold")
    await console_client(client_a, tenant_a, "owner")
    listing = await client_a.get("/p/loyalty/console/tiers")
    assert listing.status_code == 200 and "黄金会员" in listing.text
    assert 'data-tier-row="gold"' in listing.text and 'data-members="1"' in listing.text
    assert "/p/loyalty/console/tiers" in (await client_a.get("/console")).text  # the menu entry
    form = await client_a.get("/p/loyalty/console/tiers/gold")
    assert form.status_code == 200 and 'name="dispatch_bonus"' in form.text
    bad = await post_form(client_a, "/p/loyalty/console/tiers/gold", {"name": "金卡", "rank": "2", "min_spend": "-5"})
    assert bad.status_code == 400 and "field-min_spend" in bad.text
    good = await post_form(client_a, "/p/loyalty/console/tiers/gold",
                           {"name": "金卡", "rank": "2", "min_spend": "3000", "min_bookings": "8", "points_multiplier_percent": "150",
                            "dispatch_bonus": "50"})
    assert good.status_code == 303
    assert "金卡" in (await client_a.get("/p/loyalty/console/tiers")).text


async def test_a_dispatcher_may_not_edit_tiers(runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    await console_client(client_a, tenant_a, "dispatcher")
    assert (await client_a.get("/p/loyalty/console/tiers")).status_code == 403


async def test_the_customer_sees_their_tier_progress_and_every_tier(runtime, tenant_a, client_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    await _completed(tenant_a, customer, 40_000, count=3)
    async with tenant_scope(tenant_a.id):
        await tiers.evaluate(customer)
    await with_session(client_a, tenant_a, "customer", customer)
    page = await client_a.get("/p/loyalty/tiers")
    assert page.status_code == 200
    assert 'data-tier="silver"' in page.text and 'data-tier-card="platinum"' in page.text and "<svg" in page.text
    api = (await client_a.get("/p/loyalty/api/tier")).json()
    assert api["tier"]["code"] == "silver" and api["next_tier"]["code"] == "gold" and api["missing_bookings"] == 5
    assert [x["code"] for x in (await client_a.get("/p/loyalty/api/tiers")).json()] == ["regular", "silver", "gold", "platinum"]


async def test_the_member_tier_segment_filter(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    gold, silver, plain, _ = [await make_customer(tenant_a) for _ in range(4)]
    await _set_tier(tenant_a, gold, "gold")
    await _set_tier(tenant_a, silver, "silver")
    await _set_tier(tenant_a, plain, "regular")
    async with tenant_scope(tenant_a.id):
        async def size(**params):
            return await segment_size([SegmentFilter(name="loyalty_tier", params=params)])

        assert await size(tier="gold") == 1
        assert await size(tier="silver", or_higher=True) == 2
        assert await size(tier="regular") == 2  # a customer without a member row is regular too
        assert await size(tier="regular", or_higher=True) == 4


async def test_loyalty_off_shows_nothing_of_tiers(runtime, tenant_a, tenant_b, client_b, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    customer_b = await make_customer(tenant_b)
    await with_session(client_b, tenant_b, "customer", customer_b)
    for path in ("/p/loyalty/tiers", "/p/loyalty/api/tier", "/p/loyalty/api/tiers"):
        assert (await client_b.get(path)).status_code == 404, path
    await console_client(client_b, tenant_b, "owner")
    assert (await client_b.get("/p/loyalty/console/tiers")).status_code == 404
    assert "/p/loyalty/" not in (await client_b.get("/console")).text
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from loyalty_tier") == 0
        from platform_core.marketing.segments import segment_filters

        assert "loyalty_tier" not in segment_filters()


async def test_reviews_count_as_activity_towards_a_tier(runtime, tenant_a, enable_plugin):
    from platform_core.reviews.schemas import ReviewCreate
    from platform_core.reviews.services import submit_review
    from platform_core.testing.factories import make_booking

    await enable_plugin(tenant_a, "loyalty")
    booking = await make_booking(tenant_a)
    async with tenant_scope(tenant_a.id):
        await submit_review(booking.customer_id, booking.number, ReviewCreate(quality=5, attitude=5, skill=5))
        assert await tiers.activity_counts([booking.customer_id], clock.now() - timedelta(days=1)) == {booking.customer_id: 1}
        assert (await tiers.progress(booking.customer_id)).activity == 1
