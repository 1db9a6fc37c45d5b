"""The console's Points page and the loyalty reports: find a customer by phone, their history with
readable links, a manual adjustment (a reason required, a double submit adjusts once, a negative
one beyond the balance refused at the field, only with "marketing.manage"), the reports' numbers
on a known dataset and their CSV; nothing of it where loyalty is off."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    console_client,
    make_customer,
    post_form,
)
from plugins.loyalty import points, reports

PHONE = "+8613900139001"


async def seeded(tenant, phone: str = PHONE) -> int:
    customer_id = await make_customer(tenant, phone, name="Wang Fang")
    async with tenant_scope(tenant.id):
        await points.award(customer_id, 500, reason="order", link="order:HX0001", key="order:1")
        await points.award(customer_id, 30, reason="checkin", link="checkin:2026-12-01", key="checkin:1")
        await points.spend(customer_id, 120, reason="redemption", link="redemption:7", key="redemption:7")
    return customer_id


def adjust_key(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


async def test_the_points_page_finds_a_customer_by_phone_and_shows_the_history(enable_plugin, tenant_a, client_a):
    await enable_plugin(tenant_a, "loyalty")
    customer_id = await seeded(tenant_a)
    client = await console_client(client_a, tenant_a, "dispatcher")

    response = await client.get("/p/loyalty/console/points", params={"phone": "13900139001"})
    assert response.status_code == 200
    html = response.text
    assert 'data-count="balance">410<' in html
    assert 'href="/console/orders/HX0001">Order HX0001</a>' in html
    assert "Check-in 2026-12-01" in html and "Redemption #7" in html
    assert html.count("data-movement=") == 3
    # a dispatcher sees but may not adjust: no form, and the post is refused
    assert 'action="/p/loyalty/console/points/adjust"' not in html
    refused = await post_form(client, "/p/loyalty/console/points/adjust",
                              {"customer_id": str(customer_id), "points": "10", "reason": "x", "key": "k" * 24})
    assert refused.status_code == 403
    assert (await client.get("/p/loyalty/console/reports")).status_code == 403  # neither finance.view nor marketing.manage

    unknown = await client.get("/p/loyalty/console/points", params={"phone": "13900139999"})
    assert unknown.status_code == 404 and "No customer has this mobile number." in unknown.text
    assert (await client.get("/p/loyalty/console/points", params={"phone": "1\x00"})).status_code == 400


async def test_history_pages_with_before_id(enable_plugin, tenant_a, client_a):
    await enable_plugin(tenant_a, "loyalty")
    customer_id = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        for i in range(55):
            await points.award(customer_id, 1, reason="task", link=f"task:t{i}", key=f"task:{i}")
    client = await console_client(client_a, tenant_a, "dispatcher")
    first = (await client.get("/p/loyalty/console/points", params={"customer": customer_id})).text
    assert first.count("data-movement=") == 50 and "Task t54" in first
    older = re.search(r'href="([^"]*before_id=\d+)[^"]*"', first).group(1).replace("&amp;", "&")
    second = (await client.get(older)).text
    assert second.count("data-movement=") == 5 and "Task t0" in second and "Task t54" not in second


async def test_an_adjustment_needs_a_reason_applies_once_and_never_overdraws(enable_plugin, tenant_a, client_a):
    await enable_plugin(tenant_a, "loyalty")
    customer_id = await seeded(tenant_a)
    client = await console_client(client_a, tenant_a, "manager")
    page = (await client.get("/p/loyalty/console/points", params={"customer": customer_id})).text
    key = adjust_key(page)

    missing = await post_form(client, "/p/loyalty/console/points/adjust",
                              {"customer_id": str(customer_id), "points": "0", "reason": "", "key": key})
    assert missing.status_code == 400
    assert "Say why the points are adjusted." in missing.text and "not 0" in missing.text

    form = {"customer_id": str(customer_id), "points": "+90", "reason": "Goodwill for a late visit", "key": key}
    first = await post_form(client, "/p/loyalty/console/points/adjust", form)
    again = await post_form(client, "/p/loyalty/console/points/adjust", form)
    assert first.status_code == again.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert await points.balance(customer_id) == 500
        row = await current_connection().fetchrow("select id, console_user_id, reason, movement_id from loyalty_adjustment")
    shown = (await client.get(first.headers["location"])).text
    assert "The points are adjusted." in shown
    assert f"Adjustment #{row['id']}" in shown and "Goodwill for a late visit" in shown and "by Manager Person" in shown
    assert row["movement_id"] is not None and row["reason"] == "Goodwill for a late visit"

    too_much = await post_form(client, "/p/loyalty/console/points/adjust",
                               {"customer_id": str(customer_id), "points": "-501", "reason": "Mistake", "key": adjust_key(shown)})
    assert too_much.status_code == 409
    assert "The customer has only 500 points." in too_much.text and 'id="field-points-error"' in too_much.text
    huge = await post_form(client, "/p/loyalty/console/points/adjust",
                           {"customer_id": str(customer_id), "points": "-1000001", "reason": "x", "key": adjust_key(shown)})
    assert huge.status_code == 400
    bad_reason = await post_form(client, "/p/loyalty/console/points/adjust",
                                 {"customer_id": str(customer_id), "points": "-500", "reason": "a\x00b", "key": adjust_key(shown)})
    assert bad_reason.status_code == 400
    done = await post_form(client, "/p/loyalty/console/points/adjust",
                           {"customer_id": str(customer_id), "points": "-500", "reason": "Closed by request", "key": adjust_key(shown)})
    assert done.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert await points.balance(customer_id) == 0
        assert await current_connection().fetchval("select count(*) from loyalty_adjustment") == 2


async def test_the_reports_count_a_known_month_and_export_it(enable_plugin, tenant_a, client_a):
    await enable_plugin(tenant_a, "loyalty", points_per_yuan_value=50)
    one = await seeded(tenant_a)  # +500 +30 -120
    two = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(two, 200, reason="order", link="order:HX0002", key="order:2")
        await points.take_back(two, 50, link="order:HX0002", key="refund:2", earned_key="order:2")
        await points.give_back("redemption:7", reason="redemption", link="redemption:7", key="cancel:7")  # +120 to one
        await points.spend(one, 40, reason="redemption", link="redemption:8", key="redemption:8")
        conn = current_connection()
        # a lot that expired, and a movement of 13 months ago that falls outside the report
        await conn.execute("update loyalty_lot set expires_at = now() - interval '1 second' where customer_id = $1", two)
        expired = await points.expire_due()
        await points.award(one, 1000, reason="task", link="task:old", key="task:old")
        await conn.execute("update loyalty_movement set created_at = now() - interval '13 months' where key = 'task:old'")
        await conn.execute("update loyalty_member set tier_code = 'gold' where customer_id = $1", one)
        report = await reports.loyalty_report()
        month = datetime.now(ZoneInfo(tenant_a.timezone)).strftime("%Y-%m")
    assert expired == 150
    assert len(report.months) == 12 and report.months[-1].month == month
    assert report.months[-1] == reports.MonthRow(month=month, issued=730, redeemed=40, expired=150, taken_back=50)
    assert all(m.issued == 0 for m in report.months[:-1])
    async with tenant_scope(tenant_a.id):
        total = await points.balance(one) + await points.balance(two)
    assert report.outstanding.points == total == 1490
    assert report.outstanding.liability == 1490 * 100 // 50 == 2980
    assert report.members == 2 and {(t.tier_code, t.members) for t in report.tiers} == {("gold", 1), ("regular", 1)}

    client = await console_client(client_a, tenant_a, "finance")
    html = (await client.get("/p/loyalty/console/reports")).text
    assert 'data-count="outstanding">1490<' in html and 'data-tier="gold"' in html and f'<g data-month="{month}">' in html
    csv = await client.get("/p/loyalty/console/reports/monthly.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "month,issued,redeemed,expired,taken_back" and lines[-1] == f"{month},730,40,150,50" and len(lines) == 13
    # the points page is for customers.view: finance has reports only
    assert (await client.get("/p/loyalty/console/points")).status_code == 403


async def test_months_roll_over_years():
    from datetime import date

    starts = reports.month_starts(date(2026, 2, 17), 12)
    assert starts[0] == date(2025, 3, 1) and starts[-1] == date(2026, 2, 1) and len(starts) == 12


async def test_a_month_is_the_franchise_s_month(enable_plugin, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await enable_plugin(tenant, "loyalty")
    customer_id = await make_customer(tenant)
    async with tenant_scope(tenant.id):
        await points.award(customer_id, 10, reason="task", link="task:x", key="task:x")
        # 16:30 UTC on the last day of last month is already this month's first morning in Shanghai
        first = datetime.now(ZoneInfo("Asia/Shanghai")).replace(day=1, hour=0, minute=30, second=0, microsecond=0)
        await current_connection().execute("update loyalty_movement set created_at = $1", first)
        months = await reports.monthly()
    assert first.astimezone(ZoneInfo("UTC")).day != 1  # the previous day in UTC
    assert months[-1].issued == 10 and sum(m.issued for m in months) == 10


async def test_loyalty_off_shows_none_of_it(enable_plugin, tenant_a, tenant_b, client_b, runtime):
    await enable_plugin(tenant_a, "loyalty")
    client = await console_client(client_b, tenant_b, "owner")
    for path in ("/p/loyalty/console/points", "/p/loyalty/console/reports", "/p/loyalty/console/reports/monthly.csv"):
        assert (await client.get(path)).status_code == 404, path
    assert (await post_form(client, "/p/loyalty/console/points/adjust", {"points": "1"})).status_code == 404
    home = (await client.get("/console")).text
    assert "/p/loyalty/console/points" not in home and "/p/loyalty/console/reports" not in home


async def test_the_menu_shows_both_entries_where_loyalty_is_on(enable_plugin, tenant_a, client_a):
    await enable_plugin(tenant_a, "loyalty")
    client = await console_client(client_a, tenant_a, "owner")
    home = (await client.get("/console")).text
    assert 'href="/p/loyalty/console/points"' in home and 'href="/p/loyalty/console/reports"' in home


async def test_expiry_takes_customers_in_batches_and_runs_once(enable_plugin, tenant_a):
    await enable_plugin(tenant_a, "loyalty")
    people = [await make_customer(tenant_a) for _ in range(5)]
    async with tenant_scope(tenant_a.id):
        for i, customer_id in enumerate(people):
            await points.award(customer_id, 10 + i, reason="task", link=f"task:{i}", key=f"task:{i}")
            await points.award(customer_id, 100, reason="task", link=f"task:keep{i}", key=f"task:keep{i}")
        await current_connection().execute(
            "update loyalty_lot set expires_at = now() - interval '1 day' where movement_id in "
            "(select id from loyalty_movement where link not like 'task:keep%')")
        assert await points.expire_due(batch_customers=2) == sum(10 + i for i in range(5))
        assert await points.expire_due(batch_customers=2) == 0
        assert [await points.balance(c) for c in people] == [100] * 5
        assert await current_connection().fetchval("select count(*) from loyalty_movement where kind = 'expired'") == 5


async def test_the_console_api_finds_adjusts_once_and_reports(enable_plugin, tenant_a, tenant_b, client_a, client_b):
    await enable_plugin(tenant_a, "loyalty")
    customer_id = await seeded(tenant_a)
    client = await console_client(client_a, tenant_a, "manager")
    found = await client.get("/p/loyalty/api/console/points", params={"phone": "13900139001"})
    assert found.status_code == 200
    body = found.json()
    assert body["card"]["id"] == customer_id and body["balance"]["points"] == 410 and len(body["history"]) == 3
    assert body["history"][-1]["link_href"] == "/console/orders/HX0001"
    assert (await client.get("/p/loyalty/api/console/points", params={"phone": "13900139999"})).status_code == 404

    url = f"/p/loyalty/api/console/points/{customer_id}/adjustments"
    headers = {"x-csrf-token": "test-csrf-token"}
    client.cookies.set("hearth_csrf", "test-csrf-token")
    adjusted = [await client.post(url, json={"points": -10, "reason": "Fix", "key": "k" * 20}, headers=headers) for _ in range(2)]
    assert [r.status_code for r in adjusted] == [201, 201] and adjusted[0].json() == adjusted[1].json()
    assert adjusted[0].json()["balance"] == 400
    over = await client.post(url, json={"points": -401, "reason": "Fix", "key": "j" * 20}, headers=headers)
    assert over.status_code == 409 and "points" in over.json()["error"]["fields"]
    zero = await client.post(url, json={"points": 0, "reason": "Fix", "key": "z" * 20}, headers=headers)
    assert zero.status_code == 400 and "points" in zero.json()["error"]["fields"]
    nul = await client.post(url, json={"points": 5, "reason": "a\u0000", "key": "n" * 20}, headers=headers)
    assert nul.status_code == 400 and "reason" in nul.json()["error"]["fields"]

    report = (await client.get("/p/loyalty/api/console/reports")).json()
    assert report["outstanding"]["points"] == 400 and report["members"] == 1 and len(report["months"]) == 12

    other = await console_client(client_b, tenant_b, "owner")
    for path in ("/p/loyalty/api/console/reports", f"/p/loyalty/api/console/points/{customer_id}"):
        assert (await other.get(path)).status_code == 404


async def test_an_adjustment_for_a_customer_not_of_the_franchise_is_404_not_500(enable_plugin, tenant_a, tenant_b, client_a):
    await enable_plugin(tenant_a, "loyalty")
    elsewhere = await make_customer(tenant_b)
    client = await console_client(client_a, tenant_a, "manager")
    for customer_id in ("99999999", str(elsewhere)):
        response = await post_form(client, "/p/loyalty/console/points/adjust",
                                   {"customer_id": customer_id, "points": "10", "reason": "x", "key": "k" * 24})
        assert response.status_code == 404
        assert "No customer has this mobile number." in response.text
    async with tenant_scope(tenant_b.id):
        assert await points.balance(elsewhere) == 0
