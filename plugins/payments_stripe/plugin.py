"""Hook implementations of the payments_stripe plugin (thin: the protocol is in provider.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from platform_core.plugin_api import PluginInfo, StaticDir, hookimpl

from .config import StripeConfig
from .provider import PLUGIN, StripeProvider

if TYPE_CHECKING:
    from platform_core.plugin_api import SandboxConfig

HERE = Path(__file__).parent
PROVIDER = StripeProvider()


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Card (Stripe)",
        description="Customers pay by card through your Stripe account (Hong Kong dollars or yuan). Refunds go back to the card.",
        config=StripeConfig,
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
    return [StaticDir(name=PLUGIN, path=str(HERE / "static"))]


def sandbox_values(cfg: SandboxConfig) -> dict[str, str]:
    """Config values that point a tenant at the local sandbox (localstripe and its pay page).

    The sandbox sends webhooks only to endpoints registered with it, as Stripe's dashboard
    would: whoever configures a tenant this way (the demo) must also call
    ``platform_core.sandbox.config.register_stripe_webhook(cfg, notify_url)`` with the tenant's
    notify URL, ``{base}/payments/notify/stripe/{slug}``. The secret it returns is the
    sandbox's one signing secret, already given here."""
    return {"secret_key": cfg.stripe.secret_key, "publishable_key": cfg.stripe.publishable_key,
            "webhook_secret": cfg.stripe.webhook_secret, "api_base": cfg.stripe.api_base, "hosted_page_base": cfg.base_url}


@hookimpl
def register_sandbox_config(sandbox: SandboxConfig) -> StripeConfig:
    return msgspec.convert(sandbox_values(sandbox), StripeConfig)
