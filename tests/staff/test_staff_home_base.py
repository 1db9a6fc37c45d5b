"""The console sets a worker's home base without coordinates: a district from the 省/市/区
picker (its centre), a suggestion or a click on the map (the map with the franchise's tiles)."""

from __future__ import annotations

import pytest

from platform_core.staff import services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import console_client, make_worker, post_form
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.maps import find_region
from tests.accounts.test_accounts_addresses import StubMaps

PROFILE = {"name": "赵阿姨", "photo_url": "", "bio": "", "years_experience": "3", "skills": "cleaning", "languages": "",
           "service_radius_km": "8"}
PUDONG = "310115"


class TiledMaps(StubMaps):
    def tiles(self):
        from platform_core.geo import TileLayer

        return TileLayer(url="http://127.0.0.1:9/amap/tiles/{z}/{x}/{y}.png", attribution="stub")


@pytest.fixture
def tiled_maps(runtime):
    from platform_core.pluginsys import hookimpl

    stub = TiledMaps()

    class Plugin:
        @hookimpl
        def select_map_provider(self, maps):
            return stub

    runtime.pm.register(Plugin(), name="core.test_tiled_maps")
    yield stub
    runtime.pm.unregister(name="core.test_tiled_maps")


async def _home(tenant, staff_id):
    async with tenant_scope(tenant.id):
        worker = await services.get_worker(staff_id)
    return worker.home_lat, worker.home_lng


async def test_a_picked_district_sets_the_home_base_at_its_centre(app, tenant_a):
    staff_id = await make_worker(tenant_a)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        console = await console_client(client, tenant_a, "manager")
        page = await console.get(f"/console/workers/{staff_id}")
        assert "Not set yet" in page.text or "尚未设置" in page.text
        assert 'name="home_lat"' in page.text and 'type="hidden" name="home_lat"' in page.text
        assert "data-place-map" not in page.text  # no tiles: no map, the picker and suggestions only
        saved = await post_form(console, f"/console/workers/{staff_id}",
                                {**PROFILE, "home_region": "上海市", "home_city": "上海市", "home_district": "浦东新区",
                                 "home_area_code": PUDONG, "home_lat": "", "home_lng": ""})
        assert saved.status_code == 303
        again = await console.get(f"/console/workers/{staff_id}")
    centre = find_region(PUDONG)
    assert await _home(tenant_a, staff_id) == (round(centre.lat, 6), round(centre.lng, 6))
    assert "Now near 上海市 浦东新区." in again.text


async def test_an_unknown_district_is_refused_next_to_it(app, tenant_a):
    staff_id = await make_worker(tenant_a, home=(31.2397, 121.4998))
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        console = await console_client(client, tenant_a, "manager")
        refused = await post_form(console, f"/console/workers/{staff_id}",
                                  {**PROFILE, "home_district": "不存在区", "home_lat": "", "home_lng": ""})
    assert refused.status_code == 400 and 'id="field-home_district-error"' in refused.text
    assert await _home(tenant_a, staff_id) == (31.2397, 121.4998)


async def test_with_tiles_the_console_shows_the_map_and_suggests_places(app, tenant_a, tiled_maps):
    staff_id = await make_worker(tenant_a, home=(31.2304, 121.5400))
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        console = await console_client(client, tenant_a, "manager")
        page = await console.get(f"/console/workers/{staff_id}")
        tips = await console.get("/console/workers/places", params={"q": "徐家汇", "city": "上海市"})
        placed = await post_form(console, f"/console/workers/{staff_id}",
                                 {**PROFILE, "home_area_code": "", "home_lat": "31.1947", "home_lng": "121.4366"})
    assert 'data-tiles="http://127.0.0.1:9/amap/tiles/{z}/{x}/{y}.png"' in page.text
    assert "img-src 'self' data: https: http://127.0.0.1:9" in page.headers["content-security-policy"]
    assert "Now near 上海市 浦东新区." in page.text  # its current base
    assert tips.json()[0]["name"] == "徐家汇中心"
    assert placed.status_code == 303 and await _home(tenant_a, staff_id) == (31.1947, 121.4366)


async def test_suggestions_need_a_console_user_with_staff_manage(app, tenant_a, tiled_maps):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        anonymous = await client.get("/console/workers/places", params={"q": "徐家汇"})
        dispatcher = await console_client(client, tenant_a, "dispatcher")
        refused = await dispatcher.get("/console/workers/places", params={"q": "徐家汇"})
    assert anonymous.status_code in (302, 303, 401) and refused.status_code == 403
