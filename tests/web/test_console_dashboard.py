"""The console's dashboard: today's figures, each linking to the list it counts, as the role may see."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.shell.dashboard import CHART_HEIGHT, revenue_chart
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    local_time,
    make_console_user,
    make_customer,
    make_order,
    make_worker,
    signed_in,
)


async def paid(tenant, order_id: int, amount: int, *, days_ago: int = 0, refunded: int = 0) -> None:
    """A payment of `amount` for the order that succeeded `days_ago`, and a refund of `refunded`."""
    at = clock.now() - timedelta(days=days_ago)
    async with tenant_scope(tenant.id):
        conn = current_connection()
        customer_id = await conn.fetchval("select customer_id from core_order where id = $1", order_id)
        payment_id = await conn.fetchval(
            "insert into core_payment (tenant_id, payment_no, provider, method, device, purpose, order_id, customer_id, amount, "
            "currency, status, paid_at, expires_at) values ($1, $2, 'alipay', 'page', 'desktop', 'order', $3, $4, $5, $6, "
            "'succeeded', $7, $7) returning id",
            tenant.id, f"HT{secrets.token_hex(6)}", order_id, customer_id, amount, tenant.currency, at,
        )
        if refunded:
            await conn.execute(
                "insert into core_refund (tenant_id, payment_id, refund_no, amount, reason, requested_by, status, finished_at) "
                "values ($1, $2, $3, $4, 'x', 'test', 'succeeded', $5)",
                tenant.id, payment_id, f"RT{secrets.token_hex(6)}", refunded, at,
            )


async def low_review(tenant, order_id: int, staff_id: int) -> None:
    async with tenant_scope(tenant.id):
        conn = current_connection()
        row = await conn.fetchrow("select customer_id, item_id from core_order where id = $1", order_id)
        await conn.execute(
            "insert into core_review (tenant_id, order_id, customer_id, staff_id, item_id, quality, attitude, skill, text) "
            "values ($1, $2, $3, $4, $5, 2, 3, 2, 'Late and careless')",
            tenant.id, order_id, row["customer_id"], staff_id, row["item_id"],
        )


def tile(html: str, href_start: str) -> str:
    """The figure of the tile linking to `href_start`."""
    found = re.search(rf'href="{re.escape(href_start)}[^"]*"[^>]*>\s*<span class="stat__label">[^<]*</span>\s*'
                      r'<span class="stat__value">([^<]*)</span>', html)
    assert found, f"no tile links to {href_start}"
    return found.group(1).strip()


async def test_the_owner_sees_todays_work_money_and_low_ratings_each_linking_to_its_list(app, make_tenant):
    tenant = await make_tenant(prefix="dash")
    customer = await make_customer(tenant, name="李华")
    staff_id = await make_worker(tenant, "王阿姨")
    today = clock.today(tenant.timezone)
    await make_order(tenant, customer_id=customer, state="accepted", starts=local_time(tenant, days_ahead=0, hour=23))
    await make_order(tenant, customer_id=customer, state="cancelled", starts=local_time(tenant, days_ahead=0, hour=23))
    for _ in range(2):
        await make_order(tenant, customer_id=customer, state="paid")
    await make_order(tenant, customer_id=customer, state="dispatch_failed")
    done = await make_order(tenant, customer_id=customer, state="completed", starts=local_time(tenant, days_ahead=-3))
    await paid(tenant, done, 15900, refunded=900)
    await paid(tenant, done, 5000, days_ago=40)  # before the chart and (in most months) the month
    await low_review(tenant, done, staff_id)
    owner = await make_console_user(tenant, "owner")
    async with await signed_in(app, tenant, "console", owner.id) as console:
        html = (await console.get("/console/")).text
        assert tile(html, f"/console/orders?date_from={today}&amp;date_to={today}") == "1"
        assert tile(html, "/console/orders?state=paid") == "2"
        assert tile(html, "/console/orders/exceptions") == "1"
        assert "150.00" in tile(html, f"/console/payments?day_from={today}&amp;day_to={today}")
        assert tile(html, "/console/reviews?show=low") == "1"
        assert 'class="sidebar__nav"' in html and 'href="/console/catalog"' in html
        waiting = await console.get("/console/orders?state=paid")
        assert waiting.text.count('class="badge') >= 2
        low = await console.get("/console/reviews?show=low")
        assert "Late and careless" in low.text
    # The chart: 30 bars, today's the tallest, labelled for people (not ISO dates).
    assert html.count('class="dash-chart__bar') == 30
    assert 'class="dash-chart__bar is-today" ' in html and f'height="{CHART_HEIGHT}' in html


async def test_each_role_sees_the_tiles_of_the_lists_it_may_open(app, make_tenant):
    tenant = await make_tenant(prefix="dash")
    for role, sees, hidden in (("finance", "/console/payments?", "/console/reviews?"),
                               ("dispatcher", "/console/orders?state=paid", "/console/payments?"),
                               ("support", "/console/reviews?show=low", "/console/payments?")):
        user = await make_console_user(tenant, role)
        async with await signed_in(app, tenant, "console", user.id) as console:
            html = (await console.get("/console/")).text
        assert f'href="{sees}' in html
        assert f'href="{hidden}' not in html
        assert ("dash-chart__svg" in html) == (role == "finance")


def test_the_chart_scales_to_the_best_day_and_draws_no_bar_for_a_day_of_refunds():
    last = date(2026, 3, 31)
    bars = revenue_chart({last: 1000, last - timedelta(days=1): 500, last - timedelta(days=2): -300}, last)
    assert len(bars) == 30 and bars[0].day == date(2026, 3, 2) and bars[-1].day == last
    assert bars[-1].height == CHART_HEIGHT and bars[-2].height == CHART_HEIGHT / 2
    assert bars[-3].height == 0 and bars[0].height == 0
    assert bars[-1].href == "/console/payments?day_from=2026-03-31&day_to=2026-03-31"
