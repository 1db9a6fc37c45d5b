"""The customer's points history page and API: the balance, every movement a page at a time
(newest first), and spending by month of completed, paid services on the franchise's calendar.
Off for a franchise without loyalty."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_customer,
    make_order,
    with_session,
)
from plugins.loyalty import points


async def test_history_pages_and_spending_by_month(runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        for n in range(35):
            await points.award(customer, 10 + n, reason="checkin", link=f"checkin:{n}", key=f"h{customer}:{n}")
    shanghai = ZoneInfo(tenant_a.timezone)
    this_month = clock.now().astimezone(shanghai).replace(day=1, hour=10, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=2)
    for start, total in ((last_month, 12000), (this_month, 8000), (this_month + timedelta(hours=3), 5000)):
        order = await make_order(tenant_a, customer_id=customer, total=total, starts=start, state="completed")
        async with tenant_scope(tenant_a.id):
            await current_connection().execute("update core_order set paid_at = now() where id = $1", order)
    await make_order(tenant_a, customer_id=customer, total=99900, starts=this_month, state="completed")  # not paid

    api = await bearer_for(tenant_a, "customer", customer)
    first = (await client_a.get("/p/loyalty/api/points", headers=api)).json()
    assert first["balance"] == sum(10 + n for n in range(35))
    assert [line["points"] for line in first["lines"]][:2] == [44, 43] and len(first["lines"]) == 30
    second = (await client_a.get(f"/p/loyalty/api/points?before={first['next_before']}", headers=api)).json()
    assert [line["points"] for line in second["lines"]] == [14, 13, 12, 11, 10] and second["next_before"] is None
    months = [(m["month"], m["spend_minor"], m["orders"]) for m in first["spending"]]
    assert months == [(last_month.strftime("%Y-%m"), 12000, 1), (this_month.strftime("%Y-%m"), 13000, 2)]

    await with_session(client_a, tenant_a, "customer", customer)
    shown = await client_a.get("/p/loyalty/points")
    assert shown.status_code == 200 and 'data-testid="points-history"' in shown.text and "?before=" in shown.text
    assert f'data-month="{this_month.strftime("%Y-%m")}"' in shown.text
    member = await client_a.get("/account/member")
    assert 'href="/p/loyalty/points"' in member.text


async def test_points_history_is_not_there_without_loyalty(runtime, tenant_b, client_b):
    customer = await make_customer(tenant_b)
    api = await bearer_for(tenant_b, "customer", customer)
    assert (await client_b.get("/p/loyalty/api/points", headers=api)).status_code == 404
    await with_session(client_b, tenant_b, "customer", customer)
    assert (await client_b.get("/p/loyalty/points")).status_code == 404


async def test_a_cursor_out_of_bounds_is_a_400_naming_before(runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    headers = await bearer_for(tenant_a, "customer", await make_customer(tenant_a))
    for before in ("0", "-3", str(2**63), "99999999999999999999"):
        response = await client_a.get("/p/loyalty/api/points", params={"before": before}, headers=headers)
        assert response.status_code == 400, before
        assert list(response.json()["error"]["fields"]) == ["before"], response.text
