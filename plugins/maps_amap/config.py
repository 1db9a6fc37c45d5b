from __future__ import annotations

import re
from typing import Annotated

import msgspec

# AMap's own road map, in Chinese (style 8: streets and labels), served on four subdomains.
AMAP_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


class AMapConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise's AMap application (lbs.amap.com) with a key for the Web服务 platform."""

    web_service_key: Annotated[str, msgspec.Meta(max_length=64, title="Web service key",
                                                 description="The key of your application's Web服务 platform on lbs.amap.com")] = ""
    api_base: Annotated[str, msgspec.Meta(max_length=200, title="API address",
                                          description="Leave empty to use AMap. Only a test sandbox needs its own address here.")] = ""
    tiles_url: Annotated[str, msgspec.Meta(max_length=300, title="Map tiles",
                                           description="The tile address maps are drawn from; leave as it is for AMap's road map, or empty for the plain offline map.")] = AMAP_TILES

    def __post_init__(self) -> None:
        # "field: message" points the error at that field of the settings form.
        if self.web_service_key and not re.fullmatch(r"[0-9a-fA-F]{32}", self.web_service_key):
            raise ValueError("web_service_key: An AMap key is 32 letters and digits, as the console shows it.")
        if self.api_base and not re.fullmatch(r"https?://[^\s?#]+", self.api_base):
            raise ValueError("api_base: Enter an address starting with https://.")
        if self.tiles_url and not (re.fullmatch(r"https?://\S+", self.tiles_url) and all(p in self.tiles_url for p in ("{x}", "{y}", "{z}"))):
            raise ValueError("tiles_url: Enter an address with {x}, {y} and {z} in it.")

    @property
    def base(self) -> str:
        return (self.api_base or "https://restapi.amap.com").rstrip("/")
