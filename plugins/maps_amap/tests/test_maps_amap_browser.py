"""In a browser, against the real server and the sandbox's AMap: a customer adds an address with
the 省/市/区 picker and a suggestion, typing no coordinates, and finds it in the address book; the
owner puts a worker's home base on the map. Screenshots of both land next to the server's log."""

from __future__ import annotations

import re

import msgspec
import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.pluginsys.services import enable_plugin, set_plugin_config
from platform_core.sandbox.config import tenant_config
from platform_core.staff import services as staff
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    PASSWORD,
    make_booking,
    make_console_user,
    make_customer,
    make_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _franchise(make_tenant, sandbox, **fields):
    _sb, data_dir, port = sandbox
    tenant = await make_tenant(prefix="maps", name="阳光家政 Maps", **fields)
    await set_plugin_config(tenant.id, "maps_amap", msgspec.to_builtins(tenant_config(tenant.slug, data_dir=data_dir, port=port).amap))
    await enable_plugin(tenant.id, "maps_amap", actor="test")
    return tenant


async def _signed_in(browser, live_server, tenant, kind, user_id, **options):
    context = await browser.new_context(**options)
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url(f"{tenant.slug}.localhost")}])
    return context


async def _pick_tomson_riviera(tab, field_id: str) -> None:
    """Fill an address form (the address book's, or the booking page's new address) the way a
    customer does: contact, the three selects of the picker filled from the bundled data, then a
    street suggestion from the sandbox's AMap."""
    await tab.get_by_label("联系人").fill("王阿姨")
    await tab.get_by_label("联系电话").fill("13700137000")
    for level, name in (("region", "上海市"), ("city", "上海市"), ("district", "浦东新区")):
        await tab.locator(f'select[id="{field_id}{level}"]').select_option(label=name)
    await tab.get_by_role("combobox", name="街道和门牌号").press_sequentially("汤臣", delay=60)
    await tab.get_by_role("option", name="汤臣一品").click()
    await tab.get_by_text("已在地图上定位：上海市浦东新区汤臣一品").wait_for()


async def test_customer_adds_an_address_with_the_picker_and_a_suggestion(live_server, browser, runtime, make_tenant, sandbox):
    tenant = await _franchise(make_tenant, sandbox)
    customer = await make_customer(tenant)
    context = await _signed_in(browser, live_server, tenant, "customer", customer, viewport={"width": 390, "height": 844}, locale="zh-CN")
    tab = await context.new_page()
    await tab.goto(live_server.url(f"{tenant.slug}.localhost", "/account/addresses/new"))
    await _pick_tomson_riviera(tab, "field-")
    assert await tab.get_by_role("combobox", name="街道和门牌号").input_value() == "花园石桥路28弄 汤臣一品"
    await tab.get_by_label("楼栋、楼层、门牌").fill("2 号楼 1801")
    await tab.screenshot(path=str(live_server.log_path.parent / "address-form.png"), full_page=True)
    await tab.get_by_role("button", name="保存地址").click()

    await tab.get_by_text("地址已添加。").wait_for()
    entry = tab.locator(".list li").first
    assert "上海市 浦东新区 花园石桥路28弄 汤臣一品 2 号楼 1801" in await entry.inner_text()
    page_text = await tab.locator("main").inner_text()
    assert "上海市 上海市" not in page_text and "31.24" not in page_text and "121.50" not in page_text
    await tab.screenshot(path=str(live_server.log_path.parent / "address-book.png"), full_page=True)
    await context.close()


async def test_owner_puts_a_workers_home_base_on_the_map(live_server, browser, runtime, make_tenant, sandbox):
    tenant = await _franchise(make_tenant, sandbox, locale="en")
    staff_id = await make_worker(tenant, "赵阿姨")
    owner = await make_console_user(tenant, "owner")
    host = f"{tenant.slug}.localhost"
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    tab = await context.new_page()
    await tab.goto(live_server.url(host, "/console/sign-in"))
    await tab.fill("input[name=email]", owner.email)
    await tab.fill("input[name=password]", PASSWORD)
    await tab.click("button:has-text('Sign in')")
    await tab.wait_for_url(re.compile(r"/console/?$"))
    await tab.goto(live_server.url(host, f"/console/workers/{staff_id}"))
    await tab.get_by_text("Not set yet: the worker is offered jobs anywhere.").wait_for()
    # A suggestion moves the pin; then the owner drags it a little by clicking next to it.
    await tab.get_by_role("combobox", name="Street or estate").press_sequentially("世纪公园", delay=60)
    await tab.get_by_role("option", name="世纪公园").click()
    pin = tab.locator(".leaflet-marker-icon")
    await pin.wait_for()
    assert await tab.locator(".leaflet-tile-loaded").count() > 0  # the sandbox's AMap tiles were drawn
    view = tab.locator("[data-map-view]")
    box = await view.bounding_box()
    await view.click(position={"x": box["width"] / 2 + 40, "y": box["height"] / 2})
    await tab.screenshot(path=str(live_server.log_path.parent / "home-base.png"), full_page=True)
    await tab.get_by_role("button", name="Save profile").click()
    await tab.get_by_text("Changes saved.").wait_for()
    await tab.get_by_text("Now near 上海市 浦东新区.").wait_for()
    async with tenant_scope(tenant.id):
        worker = await staff.get_worker(staff_id)
    # East of 世纪公园 (121.55148, 31.21582) by the 40 pixels clicked, never typed.
    assert worker.home_lat == pytest.approx(31.2158, abs=0.002) and 121.5515 < worker.home_lng < 121.56
    await context.close()


async def test_the_live_map_falls_back_to_the_grid_when_tiles_do_not_load(live_server, browser, runtime, make_tenant, sandbox):
    tenant = await _franchise(make_tenant, sandbox)
    # AMap's API answers, but its tile server is out of reach (a port nothing listens on).
    await set_plugin_config(tenant.id, "maps_amap", {"tiles_url": "http://127.0.0.1:9/{z}/{x}/{y}.png"}, actor="test")
    booking = await make_booking(tenant, state="assigned")
    context = await _signed_in(browser, live_server, tenant, "customer", booking.customer_id, viewport={"width": 390, "height": 844})
    tab = await context.new_page()
    await tab.goto(live_server.url(f"{tenant.slug}.localhost", f"/orders/{booking.number}"))
    await tab.locator("[data-track-svg] .track__home").wait_for()
    assert await tab.locator("[data-track-tiles]").is_hidden()
    await context.close()


async def test_a_new_address_on_the_booking_page_is_picked_the_same_way(live_server, browser, runtime, make_tenant, sandbox):
    from platform_core.testing.factories import make_item

    tenant = await _franchise(make_tenant, sandbox)
    await make_worker(tenant, name="李师傅", hours="mon-sun 08:00-20:00")
    await make_item(tenant, slug="clean", title="日常保洁", price=15900)
    customer = await make_customer(tenant)  # no address in the book yet: the booking page asks for one
    context = await _signed_in(browser, live_server, tenant, "customer", customer, viewport={"width": 390, "height": 844}, locale="zh-CN")
    tab = await context.new_page()
    await tab.goto(live_server.url(f"{tenant.slug}.localhost", "/book/clean"))
    await _pick_tomson_riviera(tab, "field-address.")
    await tab.screenshot(path=str(live_server.log_path.parent / "book-address.png"), full_page=True)
    await tab.locator("button[type=submit]:visible").last.click()
    await tab.wait_for_url(re.compile(r"/orders/"))
    async with tenant_scope(tenant.id):
        from platform_core.db import current_connection

        lat, lng, address = await current_connection().fetchrow(
            "select lat, lng, address->>'street' from core_order where customer_id = $1", customer)
    assert address == "花园石桥路28弄 汤臣一品" and abs(float(lat) - 31.24) < 0.05 and abs(float(lng) - 121.50) < 0.05
    await context.close()
