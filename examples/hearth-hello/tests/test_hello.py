"""hearth-hello's own tests, written as any out-of-tree plugin writes them: with Hearth's test kit
(the `pytest11` plugin's fixtures and platform_core.testing) against an installed plugin.
Run from a checkout of the plugin, with it and hearth installed: `pytest tests`."""

from __future__ import annotations

from platform_core.testing.contracts import check_plugin
from platform_core.testing.factories import api_sign_in


async def test_hello_keeps_the_plugin_contract(app):
    await check_plugin("hello")


async def test_the_greeting_shows_only_where_hello_is_on_with_its_config(enable_plugin, tenant_a, client_a, client_b):
    config = await enable_plugin(tenant_a, "hello", greeting="Hi there", times=2)
    assert (config.greeting, config.times) == ("Hi there", 2)
    page = await client_a.get("/p/hello/")
    assert page.status_code == 200 and "Hi there Hi there" in page.text
    assert (await client_b.get("/p/hello/")).status_code == 404


async def test_a_customer_who_signs_up_is_counted_by_the_franchise_that_has_hello_on(
    enable_plugin, sms, tenant_a, tenant_b, client_a, client_b
):
    await enable_plugin(tenant_a, "hello")
    await api_sign_in(client_a, sms, "13800138000", "+8613800138000")
    await api_sign_in(client_b, sms, "13800138000", "+8613800138000")
    assert 'data-welcomed="1"' in (await client_a.get("/p/hello/")).text
    # Hello was off for B when its customer signed up: nobody counted them.
    await enable_plugin(tenant_b, "hello")
    assert 'data-welcomed="0"' in (await client_b.get("/p/hello/")).text
