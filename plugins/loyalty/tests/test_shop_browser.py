"""In Debian's chromium on a phone: a customer opens the member centre from the account tabs,
buys goods with points in the rewards shop (choosing the address), then a coupon, and finds the
coupon in My coupons; the console's catalogue and fulfilment queue on a desktop. Screenshots go
next to the live server's log."""

from __future__ import annotations

import re
import struct
import zlib

import msgspec
import pytest

from platform_core.accounts.sessions import create_session
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_console_user,
    make_customer,
)
from platform_core.web.uploads import save_image
from plugins.loyalty import points, shop

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def png(width: int = 96, height: int = 96, rgb: tuple[int, int, int] = (15, 118, 110)) -> bytes:
    """A plain square picture, as a phone would upload."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


async def stocked_shop(tenant, customer_id: int) -> tuple[int, int]:
    async with tenant_scope(tenant.id) as context:
        template = await promotions.create_template(msgspec.convert(
            {"name": "¥30 off a deep clean", "kind": "amount_off", "amount_off": 3000, "per_customer_limit": 3}, CouponTemplateFields))
        towels = await shop.create_reward(msgspec.convert(
            {"kind": "goods", "name": "Bamboo towels", "points": 400, "stock": 2, "active": True,
             "description": "Two soft bamboo towels, sent by post."}, shop.RewardInput), save_image(context, png()))
        coupon = await shop.create_reward(msgspec.convert(
            {"kind": "coupon", "name": "¥30 coupon", "points": 300, "coupon_template_id": template.id, "active": True},
            shop.RewardInput))
        await shop.create_reward(msgspec.convert(
            {"kind": "goods", "name": "Lavender detergent", "points": 900, "stock": 4, "active": True}, shop.RewardInput),
            save_image(context, png(rgb=(124, 58, 237))))
        await points.award(customer_id, 800, reason="order", link="order:20261201-0001", key="seed")
    return towels.id, coupon.id


async def signed_in_browser(page, live_server, tenant, kind: str, user_id: int) -> str:
    """The browser holds a session of `kind` for `user_id`, in English; returns the host."""
    host = f"{tenant.slug}.localhost"
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": "en", "url": live_server.url(host)},
    ])
    return host


async def test_a_customer_redeems_goods_and_a_coupon_on_a_phone(live_server, page, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="shop", name="Sunshine Home", locale="en")
    await enable_plugin(tenant, "loyalty")
    customer_id = await make_customer(tenant)
    await make_address(tenant, customer_id, street="8 Garden Road")
    towels, coupon = await stocked_shop(tenant, customer_id)
    host = await signed_in_browser(page, live_server, tenant, "customer", customer_id)
    shots = live_server.log_path.parent

    await page.goto(live_server.url(host, "/account"))
    await page.click("nav.tabs >> text=Member centre")
    await page.wait_for_url(re.compile(r"/account/member$"))
    assert (await page.inner_text("[data-testid=points-balance]")).strip() == "800"
    assert "Bamboo towels" in await page.inner_text("[data-panel='loyalty.shop']")
    await page.screenshot(path=str(shots / "loyalty-member-centre-phone.png"), full_page=True)

    await page.click("text=Open the rewards shop")
    await page.wait_for_url(re.compile(r"/p/loyalty/shop$"))
    await page.screenshot(path=str(shots / "loyalty-shop-phone.png"), full_page=True)
    await page.click(f"[data-reward='{towels}'] a")
    assert "8 Garden Road" in await page.inner_text("[data-testid=redeem]")
    await page.screenshot(path=str(shots / "loyalty-reward-phone.png"), full_page=True)
    await page.click("[data-testid=redeem] button[type=submit]")
    await page.wait_for_url(re.compile(r"/p/loyalty/shop\?done=goods"))
    assert "To ship" in await page.inner_text("[data-testid=redemptions]")
    assert "400 points" in await page.inner_text("[data-testid=balance]")

    await page.click(f"[data-reward='{coupon}'] a")
    await page.click("[data-testid=redeem] button[type=submit]")
    await page.wait_for_url(re.compile(r"/p/loyalty/shop\?done=coupon"))
    assert "100 points" in await page.inner_text("[data-testid=balance]")
    await page.screenshot(path=str(shots / "loyalty-shop-redeemed-phone.png"), full_page=True)
    await page.click("text=See it in My coupons")
    await page.wait_for_url(re.compile(r"/account/coupons"))
    assert "¥30 off a deep clean" in await page.inner_text("[data-testid=coupons]")

    # Too few points left for the towels: the button says so and is off.
    await page.goto(live_server.url(host, f"/p/loyalty/shop/{towels}"))
    assert await page.is_disabled("[data-testid=redeem] button[type=submit]")
    assert "You need 300 more points." in await page.inner_text("[data-testid=redeem]")

    # The same pages in Chinese.
    await page.context.add_cookies([{"name": "hearth_locale", "value": "zh_CN", "url": live_server.url(host)}])
    await page.goto(live_server.url(host, "/account/member"))
    assert "会员中心" in await page.inner_text("main")
    await page.screenshot(path=str(shots / "loyalty-member-centre-phone-zh.png"), full_page=True)
    await page.goto(live_server.url(host, "/p/loyalty/shop"))
    await page.screenshot(path=str(shots / "loyalty-shop-phone-zh.png"), full_page=True)


async def test_the_console_ships_a_redemption(live_server, desktop_page, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ship", name="Sunshine Home", locale="en")
    await enable_plugin(tenant, "loyalty")
    customer_id = await make_customer(tenant)
    address_id = await make_address(tenant, customer_id, street="8 Garden Road")
    towels, _ = await stocked_shop(tenant, customer_id)
    async with tenant_scope(tenant.id):
        await shop.redeem(customer_id, shop.RedeemRequest(reward_id=towels, address_id=address_id))
    owner = await make_console_user(tenant, "owner")
    page = desktop_page
    host = await signed_in_browser(page, live_server, tenant, "console", owner.id)
    shots = live_server.log_path.parent

    await page.goto(live_server.url(host, "/console/"))
    await page.click("text=Rewards shop")
    await page.wait_for_url(re.compile(r"/p/loyalty/console/shop$"))
    assert "Bamboo towels" in await page.inner_text("[data-testid=rewards]")
    await page.screenshot(path=str(shots / "loyalty-console-shop.png"), full_page=True)
    await page.click("text=New reward")
    await page.screenshot(path=str(shots / "loyalty-console-reward-form.png"), full_page=True)

    await page.goto(live_server.url(host, "/p/loyalty/console/fulfilment"))
    assert "8 Garden Road" in await page.inner_text("[data-testid=queue]")
    await page.fill("input[name=carrier]", "SF Express")
    await page.fill("input[name=tracking_number]", "SF1234567890")
    await page.screenshot(path=str(shots / "loyalty-console-fulfilment.png"), full_page=True)
    await page.click("button:has-text('Mark shipped')")
    await page.wait_for_url(re.compile(r"state=to_ship&done=shipped"))
    await page.goto(live_server.url(host, "/p/loyalty/console/fulfilment?state=shipped"))
    assert "SF1234567890" in await page.inner_text("[data-testid=queue]")
