"""AMap's (高德) web-service API as the maps_amap plugin calls it: input tips, geocoding, driving
directions, and raster tiles for Leaflet.

Answers have AMap's shapes: strings for numbers, "lng,lat" locations, `[]` for an empty text
field, and every failure as HTTP 200 with ``status "0"``, an ``info`` word and an ``infocode``.
A key is valid when the sandbox issued it (config.amap_key): its second half signs the first.
The places are a small Shanghai gazetteer, enough for a demo and the tests.
"""

from __future__ import annotations

import hmac
import math
import struct
import zlib

from aiohttp import web

from .config import amap_key
from .server import SANDBOX, Sandbox

routes = web.RouteTableDef()

# name, address, district, adcode, (lng, lat)
PLACES: tuple[tuple[str, str, str, str, tuple[float, float]], ...] = (
    ("东方明珠广播电视塔", "世纪大道1号", "上海市浦东新区", "310115", (121.499740, 31.239853)),
    ("陆家嘴中心绿地", "陆家嘴环路", "上海市浦东新区", "310115", (121.503520, 31.236610)),
    ("汤臣一品", "花园石桥路28弄", "上海市浦东新区", "310115", (121.501280, 31.240840)),
    ("世纪公园", "锦绣路1001号", "上海市浦东新区", "310115", (121.551480, 31.215820)),
    ("徐家汇中心", "虹桥路1号", "上海市徐汇区", "310104", (121.436620, 31.194720)),
    ("上海体育场", "天钥桥路666号", "上海市徐汇区", "310104", (121.437430, 31.182920)),
    ("漕溪北路88号", "漕溪北路88号", "上海市徐汇区", "310104", (121.440190, 31.197300)),
    ("静安寺", "南京西路1686号", "上海市静安区", "310106", (121.445210, 31.223530)),
    ("人民广场", "人民大道", "上海市黄浦区", "310101", (121.475190, 31.232930)),
    ("外滩", "中山东一路", "上海市黄浦区", "310101", (121.490320, 31.240130)),
    ("虹桥火车站", "申贵路1500号", "上海市闵行区", "310112", (121.320370, 31.194030)),
    ("五角场", "淞沪路", "上海市杨浦区", "310110", (121.514310, 31.299260)),
)


def _key_ok(sandbox: Sandbox, key: str) -> bool:
    if len(key) != 32:
        return False
    return hmac.compare_digest(amap_key(sandbox.keys, key[:16]), key)


def _fail(info: str, infocode: str) -> web.Response:
    # AMap answers errors with 200 and the reason in the body.
    return web.json_response({"status": "0", "info": info, "infocode": infocode})


def _ok(**body) -> web.Response:
    return web.json_response({"status": "1", "info": "OK", "infocode": "10000", **body})


def _checked(request: web.Request, *required: str) -> web.Response | None:
    if not _key_ok(request.app[SANDBOX], request.query.get("key", "")):
        return _fail("INVALID_USER_KEY", "10001")
    if any(not request.query.get(name, "").strip() for name in required):
        return _fail("MISSING_REQUIRED_PARAMS", "20001")
    return None


def _location(point: tuple[float, float]) -> str:
    return f"{point[0]:.6f},{point[1]:.6f}"


def _point(text: str) -> tuple[float, float] | None:
    try:
        lng, lat = (float(part) for part in text.split(","))
    except ValueError:
        return None
    return (lng, lat) if -180 <= lng <= 180 and -90 <= lat <= 90 else None


@routes.get("/v3/assistant/inputtips")
async def inputtips(request: web.Request) -> web.Response:
    refused = _checked(request, "keywords")
    if refused:
        return refused
    words = request.query["keywords"].strip()
    city = request.query.get("city", "")
    limited = request.query.get("citylimit") == "true" and city
    tips = [
        {"id": f"B00{adcode}{i:04d}", "name": name, "district": district, "adcode": adcode, "location": _location(point),
         "address": address or [], "typecode": "120300"}
        for i, (name, address, district, adcode, point) in enumerate(PLACES)
        if (words in name or words in address) and (not limited or district.startswith(city.rstrip("市")))
    ]
    return _ok(count=str(len(tips)), tips=tips)


@routes.get("/v3/geocode/geo")
async def geocode(request: web.Request) -> web.Response:
    refused = _checked(request, "address")
    if refused:
        return refused
    address = request.query["address"].replace(" ", "")
    found = [place for place in PLACES if place[1].replace(" ", "") in address or place[0] in address]
    geocodes = [
        {"formatted_address": district + addr, "country": "中国", "province": "上海市", "citycode": "021", "city": "上海市",
         "district": district.removeprefix("上海市"), "township": [], "street": [], "number": [], "adcode": adcode,
         "location": _location(point), "level": "门牌号"}
        for _name, addr, district, adcode, point in found[:1]
    ]
    return _ok(count=str(len(geocodes)), geocodes=geocodes)


@routes.get("/v3/direction/driving")
async def driving(request: web.Request) -> web.Response:
    refused = _checked(request, "origin", "destination")
    if refused:
        return refused
    origin, destination = _point(request.query["origin"]), _point(request.query["destination"])
    if origin is None or destination is None:
        return _fail("INVALID_PARAMS", "20000")
    # Roads wind: 1.4 times the straight line, at 25 km/h through the city.
    straight = _haversine(origin, destination)
    distance = round(straight * 1.4)
    path = {"distance": str(distance), "duration": str(round(distance / (25 / 3.6))), "strategy": "速度最快",
            "tolls": "0", "toll_distance": "0", "steps": []}
    return _ok(count="1", route={"origin": request.query["origin"], "destination": request.query["destination"],
                                 "taxi_cost": str(round(14 + distance / 1000 * 2.7)), "paths": [path]})


@routes.get("/amap/tiles/{z:\\d+}/{x:\\d+}/{y:\\d+}.png")
async def tile(request: web.Request) -> web.Response:
    """A plain paper-coloured tile with a street grid: where AMap would send its map picture."""
    return web.Response(body=_tile_png(), content_type="image/png", headers={"Cache-Control": "max-age=86400"})


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


_TILE: bytes | None = None


def _tile_png(size: int = 256) -> bytes:
    global _TILE
    if _TILE is None:
        paper, road = b"\xf4\xf1\xea", b"\xff\xff\xff"
        rows = b"".join(
            b"\x00" + b"".join(road if (x % 64 < 3 or y % 64 < 3) else paper for x in range(size)) for y in range(size)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
        _TILE = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    return _TILE
