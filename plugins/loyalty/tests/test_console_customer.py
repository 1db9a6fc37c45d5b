"""Loyalty on the console's customer pages: the member tier as a filter of the customers list
and the points and tier panel on a customer's page, both only where loyalty is on."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import console_client, make_customer
from plugins.loyalty import points


async def gold_member(tenant) -> int:
    customer_id = await make_customer(tenant, name="Gold Member")
    async with tenant_scope(tenant.id):
        await points.award(customer_id, 320, reason="order", link="order:1", key=f"console-{customer_id}")
        await current_connection().execute("update loyalty_member set tier_code = 'gold' where customer_id = $1", customer_id)
    return customer_id


async def test_tier_filter_and_panel_only_with_loyalty_on(tenant_a, client_a, enable_plugin):
    gold = await gold_member(tenant_a)
    await make_customer(tenant_a, name="Plain Customer")
    owner = await console_client(client_a, tenant_a, "owner")

    off = await owner.get("/console/customers")
    assert 'name="f.loyalty_tier.tier"' not in off.text
    assert 'data-testid="loyalty-console-panel"' not in (await owner.get(f"/console/customers/{gold}")).text
    # A tier asked for while loyalty is off is not a filter at all.
    assert ">Plain Customer<" in (await owner.get("/console/customers", params={"f.loyalty_tier.tier": "gold"})).text

    await enable_plugin(tenant_a, "loyalty")
    on = await owner.get("/console/customers")
    assert 'name="f.loyalty_tier.tier"' in on.text
    filtered = await owner.get("/console/customers", params={"f.loyalty_tier.tier": "gold"})
    assert filtered.status_code == 200
    assert ">Gold Member<" in filtered.text and ">Plain Customer<" not in filtered.text
    bad = await owner.get("/console/customers", params={"f.loyalty_tier.tier": "Not A Tier!"})
    assert bad.status_code == 400 and "field--invalid" in bad.text

    page = await owner.get(f"/console/customers/{gold}")
    assert 'data-testid="loyalty-console-panel"' in page.text
    assert 'data-testid="loyalty-points">320<' in page.text
    assert "/p/loyalty/console/points?customer=" in page.text
