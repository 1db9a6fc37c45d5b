"""The address book places addresses without anyone typing coordinates: the 省/市/区 picker's
district (its centre from the bundled data), else the map provider's geocode or suggestion."""

from __future__ import annotations

import re

import pytest

from platform_core.geo import PlaceTip, place_line
from platform_core.pluginsys import hookimpl
from platform_core.testing.factories import (
    bearer_for,
    make_customer,
    post_form,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for

XUHUI = "310104"  # 上海市 市辖区 徐汇区 in the bundled data
FORM = {"label": "家", "contact_name": "王阿姨", "contact_phone": "13700137000", "street": "漕溪北路 88 号",
        "region": "上海市", "city": "上海市", "district": "徐汇区", "area_code": XUHUI}


class StubMaps:
    """A map provider that answers like a real one, for the tests' franchise."""

    name = "stub"

    def __init__(self):
        self.asked: list[tuple[str, str]] = []

    def tiles(self):
        return None

    async def input_tips(self, text, city):
        self.asked.append((text, city))
        return [PlaceTip(name="徐家汇中心", address="虹桥路1号", district="上海市徐汇区", lat=31.1947, lng=121.4366)]

    async def geocode(self, address, city):
        return (31.2001, 121.4402) if "漕溪北路" in address else None


@pytest.fixture
def stub_maps(runtime):
    stub = StubMaps()

    class Plugin:
        @hookimpl
        def select_map_provider(self, maps):
            return stub

    runtime.pm.register(Plugin(), name="core.test_maps")
    yield stub
    runtime.pm.unregister(name="core.test_maps")


async def saved_addresses(app, tenant, customer_id) -> list[dict]:
    """The customer's address book as the API gives it."""
    async with client_for(app, f"{tenant.slug}.localhost") as api:
        return (await api.get("/api/v1/me/addresses", headers=await bearer_for(tenant, "customer", customer_id))).json()


def test_place_line_says_a_municipality_once_and_drops_placeholders():
    assert place_line("上海市", "上海市", "浦东新区") == "上海市 浦东新区"
    assert place_line("北京市", "市辖区", "朝阳区") == "北京市 朝阳区"
    assert place_line("广东省", "深圳市", "南山区") == "广东省 深圳市 南山区"
    assert place_line("", "Shanghai", "") == "Shanghai"


async def test_picked_district_lands_on_its_centre_and_the_book_shows_no_coordinates(app, tenant_a):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        form = await client.get("/account/addresses/new")
        # The picker sends the district's code; the names it sends are replaced by the data's own.
        created = await post_form(client, "/account/addresses", {**FORM, "city": "市辖区"})
        book = (await client.get("/account/addresses")).text
    assert 'data-regions="/static/vendor/china-division/pca-code.json"' in form.text
    assert 'name="lat"' in form.text and 'type="hidden" name="lat"' in form.text  # never a field to type in
    assert created.status_code == 303, created.text
    (saved,) = await saved_addresses(app, tenant_a, customer)
    assert (saved["region"], saved["city"], saved["district"], saved["area"]) == ("上海市", "上海市", "徐汇区", "上海市 徐汇区")
    assert saved["lat"] == pytest.approx(31.19, abs=0.05) and saved["lng"] == pytest.approx(121.44, abs=0.05)
    assert "上海市 徐汇区 漕溪北路 88 号" in book
    assert "上海市 上海市" not in book and "31.1" not in book and "121.4" not in book


async def test_an_unknown_district_code_is_refused_next_to_the_district(app, tenant_a):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        refused = await post_form(client, "/account/addresses", {**FORM, "area_code": "999999"})
    assert refused.status_code == 400
    assert 'id="field-district-error"' in refused.text
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        headers = await bearer_for(tenant_a, "customer", customer)
        refused = await api.post("/api/v1/me/addresses", headers=headers, json={**FORM, "area_code": "999999"})
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"district"}
    assert await saved_addresses(app, tenant_a, customer) == []


async def test_a_map_provider_geocodes_the_street_and_suggests_places(app, tenant_a, stub_maps):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        tips = await client.get("/account/addresses/tips", params={"q": "徐家汇", "city": "上海市"})
        await post_form(client, "/account/addresses", FORM)
        # A picked suggestion brings its own place.
        await post_form(client, "/account/addresses", {**FORM, "street": "虹桥路1号 徐家汇中心", "lat": "31.1947", "lng": "121.4366"})
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        # The mini-program asks the same through the API.
        api_tips = await api.get("/api/v1/me/addresses/tips", params={"q": "徐家汇"},
                                 headers=await bearer_for(tenant_a, "customer", customer))
    assert tips.status_code == 200 and api_tips.json() == tips.json()
    assert tips.json()[0]["name"] == "徐家汇中心" and stub_maps.asked == [("徐家汇", "上海市"), ("徐家汇", "")]
    listed = await saved_addresses(app, tenant_a, customer)
    by_street = {a["street"]: (a["lat"], a["lng"]) for a in listed}
    assert by_street == {"漕溪北路 88 号": (31.2001, 121.4402), "虹桥路1号 徐家汇中心": (31.1947, 121.4366)}


async def test_moving_an_address_places_it_again(app, tenant_a, stub_maps):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        await post_form(client, "/account/addresses", {**FORM, "street": "衡山路 1 号"})
        book = (await client.get("/account/addresses")).text
        address_id = re.search(r"/account/addresses/(\d+)/edit", book).group(1)
        edit = await client.get(f"/account/addresses/{address_id}/edit")
        moved = await post_form(client, f"/account/addresses/{address_id}", {**FORM, "contact_phone": ""})
    assert "衡山路 1 号" in edit.text and "31.1" not in edit.text
    assert moved.status_code == 303
    (saved,) = await saved_addresses(app, tenant_a, customer)
    assert (saved["street"], saved["lat"], saved["lng"]) == ("漕溪北路 88 号", 31.2001, 121.4402)
