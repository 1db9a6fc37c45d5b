"""AMap through the plugin, against the sandbox's stand-in for AMap's web-service API: the
address book's suggestions and placing, live tracking's driving time, and what a bad key or a
dead service leaves the franchise with (the district's centre, straight-line times)."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from platform_core.geo import distance_m
from platform_core.pluginsys.services import enable_plugin, set_plugin_config
from platform_core.sandbox.config import amap_key, tenant_config
from platform_core.sandbox.keys import load_or_create
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_customer,
    post_form,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.tracking.services import eta_seconds
from platform_core.web.maps import find_region
from plugins.maps_amap.config import AMapConfig

XUHUI = "310104"
FORM = {"label": "家", "contact_name": "王阿姨", "contact_phone": "13700137000", "street": "漕溪北路88号",
        "region": "上海市", "city": "上海市", "district": "徐汇区", "area_code": XUHUI}
PEARL_TOWER = (31.239853, 121.499740)
PEOPLES_SQUARE = (31.232930, 121.475190)


@pytest.fixture
async def franchise(runtime, make_tenant, sandbox):
    """A franchise with AMap on, pointed at the sandbox as the demo does (register_sandbox_config)."""
    _sb, data_dir, port = sandbox
    tenant = await make_tenant()
    cfg = tenant_config(tenant.slug, data_dir=data_dir, port=port)
    await set_plugin_config(tenant.id, "maps_amap", msgspec.to_builtins(cfg.amap))
    await enable_plugin(tenant.id, "maps_amap", actor="test")
    return tenant, cfg


async def _addresses(app, tenant, customer) -> list[dict]:
    async with client_for(app, f"{tenant.slug}.localhost") as api:
        return (await api.get("/api/v1/me/addresses", headers=await bearer_for(tenant, "customer", customer))).json()


async def test_suggestions_and_placing_come_from_amap(app, franchise):
    tenant, _cfg = franchise
    customer = await make_customer(tenant)
    async with await signed_in(app, tenant, "customer", customer) as client:
        tips = (await client.get("/account/addresses/tips", params={"q": "汤臣", "city": "上海市"})).json()
        created = await post_form(client, "/account/addresses", FORM)
        book = (await client.get("/account/addresses")).text
    assert [(t["name"], t["address"], t["district"]) for t in tips] == [("汤臣一品", "花园石桥路28弄", "上海市浦东新区")]
    assert tips[0]["lat"] == pytest.approx(31.24084) and tips[0]["lng"] == pytest.approx(121.50128)
    assert created.status_code == 303
    (saved,) = await _addresses(app, tenant, customer)
    # AMap's geocode of the street, not the district's centre.
    assert (saved["lat"], saved["lng"]) == (31.1973, 121.44019)
    centre = find_region(XUHUI)
    assert distance_m((saved["lat"], saved["lng"]), (centre.lat, centre.lng)) > 100
    assert "上海市 徐汇区 漕溪北路88号" in book and "31.19" not in book


async def test_live_tracking_uses_amaps_driving_time(franchise):
    tenant, _cfg = franchise
    async with tenant_scope(tenant.id) as context:
        seconds = await eta_seconds(context, PEARL_TOWER, PEOPLES_SQUARE)
    # The sandbox drives 1.4 times the straight line at 25 km/h.
    expected = round(round(distance_m(PEARL_TOWER, PEOPLES_SQUARE) * 1.4) / (25 / 3.6))
    assert abs(seconds - expected) <= 2


async def test_a_refused_key_leaves_the_district_centre_and_no_suggestions(app, franchise):
    tenant, cfg = franchise
    await set_plugin_config(tenant.id, "maps_amap", {"web_service_key": "0" * 32}, actor="test")
    customer = await make_customer(tenant)
    async with await signed_in(app, tenant, "customer", customer) as client:
        tips = await client.get("/account/addresses/tips", params={"q": "汤臣"})
        created = await post_form(client, "/account/addresses", FORM)
    assert tips.status_code == 200 and tips.json() == []
    assert created.status_code == 303
    (saved,) = await _addresses(app, tenant, customer)
    centre = find_region(XUHUI)
    assert (saved["lat"], saved["lng"]) == (round(centre.lat, 6), round(centre.lng, 6))
    async with tenant_scope(tenant.id) as context:
        # Straight-line distance over the franchise's speed, as without the plugin.
        assert await eta_seconds(context, PEARL_TOWER, PEOPLES_SQUARE) > 0


def test_the_stand_in_speaks_amaps_errors_and_shapes(sandbox):
    sb, data_dir, port = sandbox
    base = f"http://127.0.0.1:{port}"
    key = amap_key(load_or_create(data_dir), "0000000000001234")
    bad = httpx.get(f"{base}/v3/geocode/geo", params={"key": "f" * 32, "address": "世纪大道1号"}).json()
    assert bad == {"status": "0", "info": "INVALID_USER_KEY", "infocode": "10001"}
    missing = httpx.get(f"{base}/v3/assistant/inputtips", params={"key": key}).json()
    assert (missing["status"], missing["info"], missing["infocode"]) == ("0", "MISSING_REQUIRED_PARAMS", "20001")
    found = httpx.get(f"{base}/v3/geocode/geo", params={"key": key, "address": "上海市浦东新区世纪大道1号"}).json()
    assert (found["status"], found["count"], found["geocodes"][0]["location"]) == ("1", "1", "121.499740,31.239853")
    route = httpx.get(f"{base}/v3/direction/driving", params={"key": key, "origin": "121.499740,31.239853",
                                                              "destination": "121.475190,31.232930"}).json()
    assert int(route["route"]["paths"][0]["duration"]) > 0 and isinstance(route["route"]["paths"][0]["distance"], str)
    tile = httpx.get(f"{base}/amap/tiles/12/3430/1673.png")
    assert tile.headers["content-type"] == "image/png" and tile.content.startswith(b"\x89PNG")


def test_the_config_refuses_a_malformed_key_and_tile_address():
    with pytest.raises(ValueError, match="web_service_key"):
        AMapConfig(web_service_key="not a key")
    with pytest.raises(ValueError, match="tiles_url"):
        AMapConfig(tiles_url="https://example.com/tiles.png")
