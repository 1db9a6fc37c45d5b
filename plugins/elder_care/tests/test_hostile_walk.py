"""The hostile walk of tests/hostile (NUL, ids past 64 bits, 1e308, years 1 and 9999, 100 KB
strings, deep JSON, invalid UTF-8) over elder care's routes with the plugin ON (the core's walk
meets them switched off: the guard's 404), as a family with an assessed elder and a care plan, and
as a carer. None may answer a 5xx."""

from __future__ import annotations

import pytest

from platform_core.testing.factories import CSRF, signed_in
from tests.hostile.test_hostile_routes import _walk, endpoints

from .helpers import carers, create_plan, family

pytestmark = pytest.mark.slow


async def test_no_elder_care_route_answers_hostile_input_with_a_server_error(app, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="hostile")
    await enable_plugin(tenant, "elder_care")
    (carer,) = await carers(tenant, 1)
    fam = await family(tenant)
    await create_plan(tenant, fam)
    made = {"customer": await signed_in(app, tenant, "customer", fam.customer_id),
            "staff": await signed_in(app, tenant, "staff", carer)}
    for client in made.values():
        client.cookies.set("hearth_csrf", CSRF)
    failures: list[str] = []
    try:
        for endpoint in endpoints(app):
            if endpoint.path.startswith("/p/elder_care"):
                who = "staff" if endpoint.path.startswith("/p/elder_care/staff") else "customer"
                await _walk(made[who], endpoint, failures)
    finally:
        for client in made.values():
            await client.aclose()
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
