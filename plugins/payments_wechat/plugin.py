"""Hook implementations of the WeChat Pay plugin (thin: the protocol is in v2.py and v3.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from platform_core.plugin_api import PluginInfo, StaticDir, hookimpl
from platform_core.plugin_api import lazy_gettext as N_

from .config import WeChatPayConfig
from .provider import WeChatPayProvider

if TYPE_CHECKING:
    from platform_core.plugin_api import SandboxConfig

NAME = "payments_wechat"
HERE = Path(__file__).parent
PROVIDER = WeChatPayProvider()


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title=N_("WeChat Pay"),
        description=N_("Customers pay in yuan with WeChat Pay: inside WeChat, in a phone's browser (H5) or by scanning a QR code on a computer. "
                       "Refunds go back the same way. For merchant accounts on API v3 or v2."),
        config=WeChatPayConfig,
        category="payments",
    )


@hookimpl
def provide_payment_providers():
    return [PROVIDER]


@hookimpl
def register_template_dirs() -> list[Path]:
    # The provider's part of the payment page (provider.checkout_page).
    return [HERE / "templates"]


@hookimpl
def register_static_dirs() -> list[StaticDir]:
    return [StaticDir(name=NAME, path=str(HERE / "static"))]


def sandbox_values(cfg: SandboxConfig, api_version: Literal["v2", "v3"] = "v3") -> dict[str, str]:
    """Config values that point a tenant at the local payment sandbox (docs/sandbox.md), for
    `set_plugin_config`. Both versions' credentials are filled, so switching api_version works."""
    v2, v3 = cfg.wechat_v2, cfg.wechat_v3
    return {
        "api_version": api_version, "appid": v3.appid, "mch_id": v3.mchid, "api_key": v2.api_key, "api_client_cert": v2.api_client_cert,
        "private_key": v3.private_key, "cert_serial_no": v3.cert_serial_no, "apiv3_key": v3.apiv3_key,
        "platform_public_key": v3.public_key, "platform_public_key_id": v3.public_key_id, "api_base_url": cfg.base_url,
    }


@hookimpl
def register_sandbox_config(sandbox: SandboxConfig) -> WeChatPayConfig:
    return msgspec.convert(sandbox_values(sandbox), WeChatPayConfig)
