"""Hook implementations of the WeChat sign-in plugin (thin: the flow is the core's, WeChat's side
is in provider.py, oauth.py and mini.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from platform_core.plugin_api import PluginInfo, hookimpl
from platform_core.plugin_api import lazy_gettext as N_

from . import mini
from .config import WeChatLoginConfig
from .provider import PROVIDER

if TYPE_CHECKING:
    from platform_core.plugin_api import SandboxConfig

NAME = "login_wechat"


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title=N_("WeChat sign-in"),
        description=N_("Customers sign in with WeChat: inside WeChat without typing anything, on a computer by scanning a QR code, "
                       "and in the mini-program. The first time, they link their phone number, so it stays one account."),
        config=WeChatLoginConfig,
        category="login",
    )


@hookimpl
def provide_login_providers():
    return [PROVIDER]


@hookimpl
def register_routes():
    return mini.HANDLERS


def sandbox_values(cfg: SandboxConfig) -> dict[str, str]:
    """Config values that point a franchise at the local sandbox's WeChat (docs/sandbox.md)."""
    w = cfg.wechat_login
    return {"mp_appid": w.mp_appid, "mp_secret": w.mp_secret, "web_appid": w.web_appid, "web_secret": w.web_secret,
            "mini_appid": w.mini_appid, "mini_secret": w.mini_secret, "api_base_url": w.api_base}


@hookimpl
def register_sandbox_config(sandbox: SandboxConfig) -> WeChatLoginConfig:
    return WeChatLoginConfig(**sandbox_values(sandbox))
