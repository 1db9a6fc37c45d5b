"""The hostile walk of tests/hostile (NUL, ids past 64 bits, 1e308, years 1 and 9999, 100 KB
strings, deep JSON, invalid UTF-8) over the growth plugins' routes with the plugins ON (the
core's walk meets them switched off: the guard's 404), as the customer and the console owner.
None may answer a 5xx."""

from __future__ import annotations

import pytest

from platform_core.testing.factories import (
    CSRF,
    console_client,
    make_customer,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for
from tests.hostile.test_hostile_routes import _walk, _who, endpoints

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("plugin", ["loyalty", "referral"])
async def test_no_growth_plugin_route_answers_hostile_input_with_a_server_error(app, make_tenant, enable_plugin, plugin):
    tenant = await make_tenant(prefix="hostile")
    await enable_plugin(tenant, plugin)
    customer = await make_customer(tenant)
    made = {"customer": await signed_in(app, tenant, "customer", customer),
            "console": await console_client(client_for(app, f"{tenant.slug}.localhost"), tenant, "owner")}
    for client in made.values():
        client.cookies.set("hearth_csrf", CSRF)
    failures: list[str] = []
    try:
        for endpoint in endpoints(app):
            if endpoint.path.startswith(f"/p/{plugin}"):
                await _walk(made[_who(endpoint.path)], endpoint, failures)
    finally:
        for client in made.values():
            await client.aclose()
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
