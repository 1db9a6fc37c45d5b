"""AMap's web-service API: input tips, geocoding and driving directions.

AMap answers every request with HTTP 200; a failure is ``status "0"`` with ``info`` (a word like
INVALID_USER_KEY) and ``infocode``, raised here as AMapError. Locations travel as "lng,lat"
strings in GCJ-02, the datum AMap's tiles are drawn in; a text field with no value comes as []."""

from __future__ import annotations

from typing import Any

from platform_core.plugin_api import PlaceTip, TileLayer

from .config import AMapConfig

TIMEOUT = 3.0  # seconds, for each of connect, read, write and pool


class AMapError(Exception):
    def __init__(self, info: str, infocode: str):
        super().__init__(f"{info} ({infocode})")
        self.info, self.infocode = info, infocode


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _lat_lng(location: Any) -> tuple[float, float] | None:
    try:
        lng, lat = (float(part) for part in _text(location).split(","))
    except ValueError:
        return None
    return (lat, lng)


def _lng_lat(point: tuple[float, float]) -> str:
    return f"{point[1]:.6f},{point[0]:.6f}"


class AMapProvider:
    """What select_map_provider and select_route_eta answer with for a franchise with a key."""

    name = "amap"

    def __init__(self, config: AMapConfig):
        self.config = config

    async def _get(self, path: str, **params: str) -> dict[str, Any]:
        import httpx  # loaded by the first franchise that uses AMap, not in every web process

        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            response = await http.get(f"{self.config.base}{path}", params={"key": self.config.web_service_key, **params})
        response.raise_for_status()
        body = response.json()
        if body.get("status") != "1":
            raise AMapError(str(body.get("info", "")), str(body.get("infocode", "")))
        return body

    def tiles(self) -> TileLayer | None:
        if not self.config.tiles_url:
            return None
        return TileLayer(url=self.config.tiles_url, subdomains="1234", attribution="© 高德地图 AutoNavi", max_zoom=18)

    async def input_tips(self, text: str, city: str) -> list[PlaceTip]:
        params = {"keywords": text, "datatype": "all"}
        if city:
            params.update(city=city, citylimit="true")
        body = await self._get("/v3/assistant/inputtips", **params)
        tips = []
        for tip in body.get("tips") or []:
            point = _lat_lng(tip.get("location"))
            tips.append(PlaceTip(name=_text(tip.get("name")), address=_text(tip.get("address")), district=_text(tip.get("district")),
                                 lat=point[0] if point else None, lng=point[1] if point else None))
        return [tip for tip in tips if tip.name]

    async def geocode(self, address: str, city: str) -> tuple[float, float] | None:
        body = await self._get("/v3/geocode/geo", address=address, **({"city": city} if city else {}))
        for found in body.get("geocodes") or []:
            point = _lat_lng(found.get("location"))
            if point is not None:
                return point
        return None

    async def driving_seconds(self, origin: tuple[float, float], destination: tuple[float, float]) -> int | None:
        body = await self._get("/v3/direction/driving", origin=_lng_lat(origin), destination=_lng_lat(destination), extensions="base")
        paths = (body.get("route") or {}).get("paths") or []
        return int(paths[0]["duration"]) if paths else None
