"""The franchise's map service as every page and domain uses it: the provider a plugin offers
(select_map_provider), else the bundled 省/市/区 data and the offline grid.

A provider that fails (down, over its quota, a bad key) is logged and treated as absent for that
call: an address is still saved at its district's centre, a map is still drawn as the grid.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import msgspec

from platform_core.geo import (
    MapProvider,
    PlaceTip,
    Region,
    Regions,
    TileLayer,
    place_line,
    regions,
)
from platform_core.pluginsys.calls import first
from platform_core.pluginsys.contexts import MapQuery
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext

from .assets import vendor_dir

log = logging.getLogger("hearth.maps")

# What the browser loads for the 省/市/区 picker.
REGIONS_URL = "/static/vendor/china-division/pca-code.json"
TIPS_LIMIT = 8


class Located(msgspec.Struct, frozen=True, kw_only=True):
    lat: float
    lng: float
    precise: bool  # the provider placed the street address; False: the district's centre


async def map_provider(tenant: TenantContext) -> MapProvider | None:
    return await first(current_runtime().hooks(tenant).select_map_provider, maps=MapQuery(tenant=tenant))


def region_data() -> Regions | None:
    return regions(vendor_dir(current_runtime().settings))


def find_region(code: str, province: str = "", city: str = "", district: str = "") -> Region | None:
    data = region_data()
    if data is None:
        return None
    return (data.by_code(code) if code else None) or data.by_names(province, city, district)


async def tile_layer(tenant: TenantContext) -> TileLayer | None:
    provider = await map_provider(tenant)
    if provider is None:
        return None
    try:
        return provider.tiles()
    except Exception:
        log.exception("map provider %s failed to give tiles", provider.name)
        return None


async def suggest(tenant: TenantContext, text: str, city: str) -> list[PlaceTip]:
    """What the provider suggests for `text` near `city`; nothing without a provider."""
    text = text.strip()
    provider = await map_provider(tenant) if text else None
    if provider is None:
        return []
    try:
        return list(await provider.input_tips(text[:80], city.strip()[:40]))[:TIPS_LIMIT]
    except Exception:
        log.exception("map provider %s failed on input tips", provider.name)
        return []


async def locate(tenant: TenantContext, region: Region | None, street: str, city: str = "") -> Located | None:
    """Where an address is: the provider's geocode of the full address, else its district's
    centre, else None (no provider and a district the data does not know)."""
    provider = await map_provider(tenant)
    if provider is not None and street.strip():
        address = place_line(region.province, region.city, region.district, street) if region else street
        try:
            point = await provider.geocode(address, region.city if region else city)
        except Exception:
            log.exception("map provider %s failed to geocode", provider.name)
            point = None
        if point is not None:
            return Located(lat=point[0], lng=point[1], precise=True)
    if region is not None and region.lat is not None and region.lng is not None:
        return Located(lat=region.lat, lng=region.lng, precise=False)
    return None


def map_attributes(tiles: TileLayer | None) -> dict[str, str]:
    """data-* attributes that tell the browser's map (static/js/maps.js) its tile source;
    none: the offline grid."""
    if tiles is None:
        return {}
    return {"data-tiles": tiles.url, "data-tiles-subdomains": tiles.subdomains,
            "data-tiles-attribution": tiles.attribution, "data-tiles-max-zoom": str(tiles.max_zoom)}


def map_csp(tiles: TileLayer | None) -> dict[str, list[str]]:
    """What a page with this tile source adds to its Content-Security-Policy: the policy takes
    pictures from any https address already; a plain-http source (the local sandbox) is named."""
    if tiles is None or tiles.url.startswith("https://"):
        return {}
    parts = urlsplit(tiles.url)
    return {"img-src": [f"{parts.scheme}://{parts.netloc}"]}
