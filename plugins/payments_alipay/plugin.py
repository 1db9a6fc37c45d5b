"""Hook implementations of the payments_alipay plugin (thin: the protocol is in provider.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from platform_core.plugin_api import PluginInfo, hookimpl

from .config import AlipayConfig
from .provider import AlipayProvider

if TYPE_CHECKING:
    from platform_core.plugin_api import SandboxConfig

PROVIDER = AlipayProvider()


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Alipay",
        description="Customers pay with Alipay: the cashier page on a computer, the Alipay app on a phone. Refunds go back the same way.",
        config=AlipayConfig,
        category="payments",
    )


@hookimpl
def provide_payment_providers():
    return [PROVIDER]


def sandbox_values(cfg: SandboxConfig) -> dict[str, str]:
    """Config values that point a tenant at the local sandbox (`hearth sandbox`, the demo)."""
    return {"appid": cfg.alipay.appid, "app_private_key": cfg.alipay.app_private_key,
            "alipay_public_key": cfg.alipay.alipay_public_key, "gateway": cfg.alipay.gateway}


@hookimpl
def register_sandbox_config(sandbox: SandboxConfig) -> AlipayConfig:
    return msgspec.convert(sandbox_values(sandbox), AlipayConfig)
