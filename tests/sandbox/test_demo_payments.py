"""`hearth demo`'s payment wiring: the sandbox started as a child process, the demo franchises'
payment plugins configured from each plugin's `sandbox_values` and turned on, Stripe's webhook
registered with the sandbox, and applying it twice changes nothing."""

from __future__ import annotations

import msgspec
import pytest

from platform_core.cli import DEMO_PAYMENTS, configure_demo_payments, start_sandbox
from platform_core.payments import services
from platform_core.pluginsys.services import get_plugin_config
from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.testing import free_port
from platform_core.tenancy.context import tenant_scope


@pytest.fixture
def demo_settings(hearth_settings, tmp_path):
    return msgspec.structs.replace(hearth_settings, data_dir=str(tmp_path), port=free_port(), notify_base_url="")


async def test_the_demo_franchises_are_configured_against_a_running_sandbox(runtime, make_tenant, demo_settings):
    sunshine = await make_tenant(prefix="sun")
    harbour = await make_tenant(prefix="hbr", currency="HKD", timezone="Asia/Hong_Kong", locale="en")
    port = free_port()
    sandbox = start_sandbox(demo_settings, port)
    assert sandbox is not None
    try:
        assert start_sandbox(demo_settings, port) is None  # one already answers there: reused
        wiring = {sunshine.slug: DEMO_PAYMENTS["sunshine"], harbour.slug: DEMO_PAYMENTS["harbour"]}
        lines = await configure_demo_payments(demo_settings, port, tenants=wiring)
        for slug, names in wiring.items():
            for name in names:
                assert f"{slug}: {name} enabled" in lines, lines
        assert await configure_demo_payments(demo_settings, port, tenants=wiring) == []

        cfg = tenant_config(sunshine.slug, data_dir=demo_settings.data_dir, port=port)
        alipay = await get_plugin_config(sunshine.id, "payments_alipay")
        assert alipay.appid == cfg.alipay.appid and alipay.gateway == cfg.alipay.gateway
        qq = await get_plugin_config(sunshine.id, "login_qq")  # the demo signs in with QQ offline
        assert (qq.app_id, qq.app_key, qq.api_base) == (cfg.qq.app_id, cfg.qq.app_key, cfg.qq.api_base)
        async with tenant_scope(sunshine.id):
            assert {o.provider for o in await services.checkout_options("desktop", "CNY")} == {"wechat", "alipay"}
        async with tenant_scope(harbour.id):
            assert [o.provider for o in await services.checkout_options("mobile", "HKD")] == ["stripe"]

        stripe = await get_plugin_config(harbour.id, "payments_stripe")
        hk = tenant_config(harbour.slug, data_dir=demo_settings.data_dir, port=port)
        assert stripe.secret_key == hk.stripe.secret_key and stripe.webhook_secret == hk.stripe.webhook_secret
    finally:
        sandbox.terminate()
        sandbox.wait(10)
