"""The daily check-in: once per day of the franchise's calendar (across midnight in Shanghai), the
streak's 7th-day reward (points and a coupon) and its reset after a missed day, two taps at once,
the page and the panel, and nothing of it where loyalty is off."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine

from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.promotions.services import create_template, customer_coupons
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import bearer_for, make_customer, signed_in
from platform_core.testing.pytest_plugin import client_for
from plugins.loyalty import points
from plugins.loyalty.checkin import checkin_panel

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


async def balance(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await points.balance(customer_id)


async def shanghai(make_tenant, enable_plugin, **config):
    tenant = await make_tenant(prefix="ck", timezone="Asia/Shanghai", locale="en")
    await enable_plugin(tenant, "loyalty", **config)
    return tenant


async def test_a_check_in_counts_once_per_day_of_the_franchise_across_midnight(app, make_tenant, enable_plugin):
    tenant = await shanghai(make_tenant, enable_plugin, checkin_points=5)
    customer = await make_customer(tenant)
    auth = await bearer_for(tenant, "customer", customer)
    day = (datetime.now(SHANGHAI) + timedelta(days=3)).date()
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        with time_machine.travel(at(day, 23, 50), tick=True):
            first = await client.post("/p/loyalty/api/checkin", headers=auth)
            assert first.status_code == 201, first.text
            assert first.json()["day"] == day.isoformat() and first.json()["streak"] == 1
            again = await client.post("/p/loyalty/api/checkin", headers=auth)
            assert again.status_code == 409
            assert "already checked in today" in again.text
        with time_machine.travel(at(day + timedelta(days=1), 0, 10), tick=True):
            # 16:10 UTC: the same UTC day as before, the next day in Shanghai
            after_midnight = await client.post("/p/loyalty/api/checkin", headers=auth)
            assert after_midnight.status_code == 201, after_midnight.text
            assert after_midnight.json()["streak"] == 2
            state = (await client.get("/p/loyalty/api/checkin", headers=auth)).json()
            assert state["checked_in_today"] is True and state["streak"] == 2
            assert {day.isoformat(), (day + timedelta(days=1)).isoformat()} >= set(state["days"])
            assert (day + timedelta(days=1)).isoformat() in state["days"]
    assert await balance(tenant, customer) == 10


async def test_the_seventh_day_gives_the_bigger_reward_and_a_missed_day_starts_again(app, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ck", timezone="Asia/Shanghai", locale="en")
    async with tenant_scope(tenant.id):
        template = await create_template(CouponTemplateFields(name="Week streak ¥10", kind="amount_off", amount_off=1000, valid_days=30))
    await enable_plugin(tenant, "loyalty", checkin_points=5, checkin_day7_points=50, checkin_day7_coupon_template_id=template.id)
    customer = await make_customer(tenant)
    auth = await bearer_for(tenant, "customer", customer)
    first = (datetime.now(SHANGHAI) + timedelta(days=2)).date()
    streaks = []
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        for offset in [*range(7), 8]:  # seven days in a row, then a missed day
            with time_machine.travel(at(first + timedelta(days=offset), 9), tick=True):
                done = await client.post("/p/loyalty/api/checkin", headers=auth)
                assert done.status_code == 201, done.text
                streaks.append((done.json()["streak"], done.json()["points"], done.json()["coupon_id"] is not None))
    assert streaks == [(1, 5, False), (2, 5, False), (3, 5, False), (4, 5, False), (5, 5, False), (6, 5, False),
                       (7, 50, True), (1, 5, False)]
    assert await balance(tenant, customer) == 6 * 5 + 50 + 5
    async with tenant_scope(tenant.id):
        assert [c.template.id for c in await customer_coupons(customer)] == [template.id]


async def test_a_streak_survives_the_missed_days_the_franchise_allows(app, make_tenant, enable_plugin):
    tenant = await shanghai(make_tenant, enable_plugin, checkin_grace_days=1)
    customer = await make_customer(tenant)
    auth = await bearer_for(tenant, "customer", customer)
    first = (datetime.now(SHANGHAI) + timedelta(days=2)).date()
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        found = []
        for offset in (0, 2, 5):
            with time_machine.travel(at(first + timedelta(days=offset), 12), tick=True):
                found.append((await client.post("/p/loyalty/api/checkin", headers=auth)).json()["streak"])
    assert found == [1, 2, 1]


async def test_two_taps_at_once_check_in_once(app, make_tenant, enable_plugin):
    tenant = await shanghai(make_tenant, enable_plugin, checkin_points=7)
    customer = await make_customer(tenant)
    auth = await bearer_for(tenant, "customer", customer)
    async with client_for(app, f"{tenant.slug}.localhost") as one, client_for(app, f"{tenant.slug}.localhost") as two:
        for _ in range(3):  # a few rounds: the race is lost by the second tap every time
            taps = await asyncio.gather(*[c.post("/p/loyalty/api/checkin", headers=auth) for c in (one, two, one, two)])
            if any(t.status_code == 201 for t in taps):
                break
    assert sorted(t.status_code for t in taps) == [201, 409, 409, 409], [t.text for t in taps]
    assert await balance(tenant, customer) == 7


async def test_the_check_in_page_shows_the_calendar_and_checks_in_by_form(app, make_tenant, enable_plugin):
    tenant = await shanghai(make_tenant, enable_plugin, checkin_points=5)
    customer = await make_customer(tenant)
    async with await signed_in(app, tenant, "customer", customer) as client:
        shown = await client.get("/p/loyalty/checkin")
        assert shown.status_code == 200
        assert 'data-testid="checkin-button"' in shown.text and 'data-testid="calendar"' in shown.text
        posted = await client.post("/p/loyalty/checkin", data={"csrf_token": "test-csrf-token"})
        assert posted.status_code == 303 and posted.headers["location"] == "/p/loyalty/checkin?done=ok"
        again = await client.post("/p/loyalty/checkin", data={"csrf_token": "test-csrf-token"})
        assert again.headers["location"] == "/p/loyalty/checkin?done=again"
        page = await client.get("/p/loyalty/checkin?done=again")
        assert "You have already checked in today" in page.text
        assert f'data-checked="{datetime.now(SHANGHAI).date().isoformat()}"' in page.text
        assert (await client.get("/p/loyalty/checkin?month=2026-13")).status_code == 400
        assert (await client.get("/p/loyalty/api/checkin?month=x")).json()["error"]["fields"] == {"month": "Enter a month as YYYY-MM."}
    async with tenant_scope(tenant.id):
        panel = await checkin_panel(customer)
    assert panel.checked_in_today and panel.streak == 1


async def test_check_in_shows_nowhere_where_loyalty_is_off_or_check_in_is(app, make_tenant, enable_plugin, tenant_b):
    customer = await make_customer(tenant_b)
    async with await signed_in(app, tenant_b, "customer", customer) as client:
        assert (await client.get("/p/loyalty/checkin")).status_code == 404
        assert (await client.get("/p/loyalty/api/checkin")).status_code == 404
        assert (await client.post("/p/loyalty/api/checkin", headers={"x-csrf-token": "test-csrf-token"})).status_code == 404
    tenant = await shanghai(make_tenant, enable_plugin, checkin_on=False)
    customer = await make_customer(tenant)
    async with await signed_in(app, tenant, "customer", customer) as client:
        assert (await client.get("/p/loyalty/checkin")).status_code == 404
        assert (await client.get("/p/loyalty/api/checkin")).status_code == 404
