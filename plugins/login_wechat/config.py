from __future__ import annotations

from typing import Annotated

import msgspec

from platform_core.plugin_api import lazy_gettext as N_

_APPID = r"^(wx[0-9a-zA-Z]{13,16})?$"


class WeChatLoginConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise's WeChat apps for sign-in. The `_secret` fields are stored encrypted."""

    mp_appid: Annotated[str, msgspec.Meta(max_length=32, pattern=_APPID, title=N_("Official account AppID"), description=N_(
        "Signs customers in inside WeChat. Use the AppID WeChat Pay is bound to, so payments inside WeChat know the payer"))] = ""
    mp_secret: Annotated[str, msgspec.Meta(max_length=64, title=N_("Official account AppSecret"))] = ""
    web_appid: Annotated[str, msgspec.Meta(max_length=32, pattern=_APPID, title=N_("Website app AppID"), description=N_(
        "The Open Platform website app: customers on a computer scan a QR code with WeChat"))] = ""
    web_secret: Annotated[str, msgspec.Meta(max_length=64, title=N_("Website app AppSecret"))] = ""
    mini_appid: Annotated[str, msgspec.Meta(max_length=32, pattern=_APPID, title=N_("Mini-program AppID"))] = ""
    mini_secret: Annotated[str, msgspec.Meta(max_length=64, title=N_("Mini-program AppSecret"))] = ""
    api_base_url: Annotated[str, msgspec.Meta(max_length=200, title=N_("API address"), description=N_(
        "Leave empty for WeChat itself; set only for a test stand-in"))] = ""

    def __post_init__(self) -> None:
        # "field: message" points the error at that field of the settings form.
        if self.api_base_url and not self.api_base_url.startswith(("http://", "https://")):
            raise ValueError("api_base_url: " + N_("Enter an address starting with http:// or https://."))

    def app(self, kind: str) -> tuple[str, str]:
        """(AppID, AppSecret) of "mp", "web" or "mini"; empty when that app is not set up."""
        appid, secret = {"mp": (self.mp_appid, self.mp_secret), "web": (self.web_appid, self.web_secret),
                         "mini": (self.mini_appid, self.mini_secret)}.get(kind, ("", ""))
        return (appid, secret) if appid and secret else ("", "")
