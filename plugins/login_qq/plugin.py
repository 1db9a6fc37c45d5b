"""Hook implementations of the QQ sign-in plugin: what it is, the login provider, the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from platform_core.plugin_api import PluginInfo, hookimpl

from .config import LoginQQConfig
from .signin import CALLBACK_PATH, PROVIDER

if TYPE_CHECKING:
    from platform_core.plugin_api import LoginProvider, SandboxConfig


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="QQ sign-in",
        description="Customers sign in with their QQ account in one tap (QQ Connect, with your franchise's own app).",
        config=LoginQQConfig,
        category="login",
        site_urls={"Callback URL to register at QQ Connect": CALLBACK_PATH},
    )


@hookimpl
def provide_login_providers() -> list[LoginProvider]:
    return [PROVIDER]


@hookimpl
def register_sandbox_config(sandbox: SandboxConfig) -> LoginQQConfig:
    return LoginQQConfig(app_id=sandbox.qq.app_id, app_key=sandbox.qq.app_key, api_base=sandbox.qq.api_base)
