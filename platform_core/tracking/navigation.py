"""Deep links that open the visit's address in the map apps workers in China use (AMap/高德,
Baidu) and in Apple Maps. With coordinates the app routes to the exact point (AMap and Baidu
read them as GCJ-02, which is what Chinese geocoders return); without, it searches the address."""

from __future__ import annotations

from urllib.parse import urlencode

import msgspec


class NavLink(msgspec.Struct, frozen=True, kw_only=True):
    app: str  # an English msgid: the map app's name
    url: str


def navigation_links(address: str, point: tuple[float, float] | None) -> list[NavLink]:
    if point is not None:
        lat, lng = point
        amap = "https://uri.amap.com/navigation?" + urlencode(
            {"to": f"{lng:.6f},{lat:.6f},{address}", "mode": "car", "callnative": 1})
        baidu = "https://api.map.baidu.com/direction?" + urlencode(
            {"destination": f"latlng:{lat:.6f},{lng:.6f}|name:{address}", "mode": "driving", "coord_type": "gcj02",
             "output": "html", "src": "hearth"})
        apple = "https://maps.apple.com/?" + urlencode({"daddr": f"{lat:.6f},{lng:.6f}", "q": address})
    else:
        amap = "https://uri.amap.com/search?" + urlencode({"keyword": address, "callnative": 1})
        baidu = "https://api.map.baidu.com/geocoder?" + urlencode({"address": address, "output": "html", "src": "hearth"})
        apple = "https://maps.apple.com/?" + urlencode({"daddr": address})
    return [NavLink(app="AMap", url=amap), NavLink(app="Baidu Maps", url=baidu), NavLink(app="Apple Maps", url=apple)]
