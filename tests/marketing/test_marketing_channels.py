"""Partner channels: the tracked link counts visits (once per browser and day, never bots),
remembers the channel for the window, and a registration within it is the channel's, first touch,
once. The report counts visits, sign-ups, first orders and paid revenue."""

from __future__ import annotations

from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.marketing import channels
from platform_core.marketing.schemas import ChannelCreate
from platform_core.pluginsys.contexts import CustomerEvent
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import api_sign_in, make_customer, make_order
from platform_core.web.acquisition import ACQUISITION_COOKIE

BROWSER = {"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0"}


async def make_channel(tenant, name: str = "Sunshine Property", kind: str = "agency"):
    async with tenant_scope(tenant.id):
        return await channels.create_channel(ChannelCreate(name=name, kind=kind))


async def visits(tenant, channel) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(
            "select coalesce(sum(visits), 0) from core_marketing_channel_visit where channel_id = $1", channel.id)


async def attributed_channel(tenant, customer_id: int):
    async with tenant_scope(tenant.id):
        return await channels.customer_channel(customer_id)


async def test_codes_are_long_and_unguessable_and_unique(tenant_a):
    made = [await make_channel(tenant_a, f"Flyer {i}", "flyer") for i in range(5)]
    codes = {c.code for c in made}
    assert len(codes) == 5 and all(len(c) == channels.CODE_LENGTH and c.isalnum() for c in codes)


async def test_opening_the_link_counts_one_visit_per_browser_and_day_and_lands_home(client_a, tenant_a):
    channel = await make_channel(tenant_a)
    first = await client_a.get(f"/c/{channel.code}", headers=BROWSER)
    assert first.status_code == 302 and first.headers["location"] == "/"
    assert ACQUISITION_COOKIE in first.cookies
    for _ in range(3):
        await client_a.get(f"/c/{channel.code}", headers=BROWSER)
    assert await visits(tenant_a, channel) == 1
    async with tenant_scope(tenant_a.id):
        rows = await current_connection().fetchval("select count(*) from core_marketing_channel_visit where channel_id = $1", channel.id)
        day = await current_connection().fetchval("select day from core_marketing_channel_visit where channel_id = $1", channel.id)
    assert rows == 1 and day == clock.today(tenant_a.timezone)


async def test_another_browser_counts_again_and_bots_never(app, client_a, tenant_a):
    from platform_core.testing.pytest_plugin import client_for

    channel = await make_channel(tenant_a)
    await client_a.get(f"/c/{channel.code}", headers=BROWSER)
    async with client_for(app, f"{tenant_a.slug}.localhost") as other:
        await other.get(f"/c/{channel.code}", headers=BROWSER)
    async with client_for(app, f"{tenant_a.slug}.localhost") as crawler:
        landed = await crawler.get(f"/c/{channel.code}", headers={"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
        await crawler.get(f"/c/{channel.code}")  # a script with no browser's user agent
    assert landed.status_code == 302 and ACQUISITION_COOKIE not in landed.cookies
    assert await visits(tenant_a, channel) == 2


async def test_an_unknown_code_lands_home_without_error_or_cookie(client_a):
    for code in ("nosuchcode", "x" * 300, "%E4%BD%A0%E5%A5%BD", "a.b"):
        response = await client_a.get(f"/c/{code}", headers=BROWSER)
        assert response.status_code in (302, 404), (code, response.status_code)
        assert ACQUISITION_COOKIE not in response.cookies
    assert (await client_a.get("/c/nosuchcode", headers=BROWSER)).headers["location"] == "/"


async def test_a_channel_code_of_one_franchise_means_nothing_on_another(client_b, tenant_a, tenant_b):
    channel = await make_channel(tenant_a)
    response = await client_b.get(f"/c/{channel.code}", headers=BROWSER)
    assert response.status_code == 302 and ACQUISITION_COOKIE not in response.cookies
    assert await visits(tenant_a, channel) == 0
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from core_marketing_channel_visit") == 0


async def test_registering_after_the_link_is_attributed_first_touch(client_a, tenant_a, sms):
    first = await make_channel(tenant_a, "Agency A")
    second = await make_channel(tenant_a, "WeChat group B", "wechat_group")
    await client_a.get(f"/c/{first.code}", headers=BROWSER)
    await client_a.get(f"/c/{second.code}", headers=BROWSER)  # a later link does not replace the first
    signed = await api_sign_in(client_a, sms, "13800138000", "+8613800138000")
    customer_id = signed["customer"]["id"]
    assert (await attributed_channel(tenant_a, customer_id)).id == first.id
    async with tenant_scope(tenant_a.id):
        source = await current_connection().fetchval("select acquisition_source from core_customer where id = $1", customer_id)
    assert source.startswith(f"ch:{first.code}:")
    # Both visits counted, each for its own channel.
    assert await visits(tenant_a, first) == 1 and await visits(tenant_a, second) == 1


async def test_a_customer_is_never_attributed_again(tenant_a):
    first = await make_channel(tenant_a, "Agency A")
    second = await make_channel(tenant_a, "Agency B")
    customer_id = await make_customer(tenant_a)
    now = clock.now()
    async with tenant_scope(tenant_a.id) as tenant:
        for channel in (first, second):
            event = CustomerEvent(tenant=tenant, customer_id=customer_id, occurred_at=now,
                                  attribution={"source": channels.source_for(channel, now - timedelta(hours=1))})
            await channels.attribute_registration(event)
        assert (await channels.customer_channel(customer_id)).id == first.id


async def test_a_registration_after_the_window_is_nobodys(runtime, tenant_a):
    channel = await make_channel(tenant_a)
    days = runtime.settings.channel_cookie_days
    late, in_time = await make_customer(tenant_a), await make_customer(tenant_a)
    now = clock.now()
    async with tenant_scope(tenant_a.id) as tenant:
        for customer_id, touched in ((late, now - timedelta(days=days, minutes=1)), (in_time, now - timedelta(days=days - 1))):
            await channels.attribute_registration(CustomerEvent(
                tenant=tenant, customer_id=customer_id, occurred_at=now, attribution={"source": channels.source_for(channel, touched)}))
        # A forged source naming no channel, or another shape, is ignored.
        for source in ("ch:nosuch:1", "ch:%s:abc" % channel.code, "invite"):
            await channels.attribute_registration(CustomerEvent(
                tenant=tenant, customer_id=late, occurred_at=now, attribution={"source": source}))
        assert await channels.customer_channel(late) is None
        assert (await channels.customer_channel(in_time)).id == channel.id


async def test_the_window_keeps_the_first_touch_in_the_browser(runtime, client_a, tenant_a):
    first = await make_channel(tenant_a, "Agency A")
    second = await make_channel(tenant_a, "Agency B")
    expired = channels.source_for(first, clock.now() - timedelta(days=runtime.settings.channel_cookie_days + 1))
    client_a.cookies.set(ACQUISITION_COOKIE, expired)
    response = await client_a.get(f"/c/{second.code}", headers=BROWSER)
    # The first touch has run out: the new link is remembered instead.
    assert response.cookies[ACQUISITION_COOKIE].startswith(f"ch:{second.code}:")


async def test_the_report_counts_visits_sign_ups_first_orders_and_paid_revenue(client_a, tenant_a, sms):
    channel = await make_channel(tenant_a)
    await client_a.get(f"/c/{channel.code}", headers=BROWSER)
    customer_id = (await api_sign_in(client_a, sms, "13800138000", "+8613800138000"))["customer"]["id"]
    paid = await make_order(tenant_a, customer_id=customer_id, state="completed", total=15000)
    await make_order(tenant_a, customer_id=customer_id, state="pending_payment", total=9900)
    await make_order(tenant_a, state="completed", total=50000)  # someone else's
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_order set paid_at = now() where id = $1", paid)
        report = await channels.channel_report(channel.id, 30)
    assert (report.visits, report.sign_ups, report.first_orders, report.paid_orders, report.revenue) == (1, 1, 1, 1, 15000)
    assert report.by_day[-1].day == clock.today(tenant_a.timezone) and report.by_day[-1].sign_ups == 1
    assert len(report.by_day) == 30
