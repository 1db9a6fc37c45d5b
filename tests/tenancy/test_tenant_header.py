"""`X-Tenant` picks the franchise for the JSON API only (the mini-program calls one host), and
answers that depend on it say so with `Vary: X-Tenant`; pages follow the host alone."""

from platform_core.testing.factories import make_item
from platform_core.testing.pytest_plugin import client_for

JSON = {"accept": "application/json"}


def varies_on_tenant(response) -> bool:
    return "x-tenant" in response.headers.get("vary", "").lower()


async def test_the_api_serves_the_franchise_named_in_x_tenant_and_varies_on_it(app, tenant_a, tenant_b):
    await make_item(tenant_a, title="Sunshine deep clean")
    await make_item(tenant_b, title="Harbour aircon repair")
    async with client_for(app, "api.miniprogram.example", **JSON) as client:
        a = await client.get("/api/v1/catalog/items", headers={"X-Tenant": tenant_a.slug})
        b = await client.get("/api/v1/catalog/items", headers={"X-Tenant": tenant_b.slug})
        unknown = await client.get("/api/v1/catalog/items", headers={"X-Tenant": "no-such-franchise"})
    assert a.status_code == 200 and b.status_code == 200
    assert [i["title"] for i in a.json()] == ["Sunshine deep clean"]
    assert [i["title"] for i in b.json()] == ["Harbour aircon repair"]
    assert varies_on_tenant(a) and varies_on_tenant(b)
    # A cache must not keep "no such franchise" for every client of this host either.
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert varies_on_tenant(unknown)


async def test_the_api_on_a_franchise_host_varies_on_x_tenant_even_without_it(app, tenant_a):
    await make_item(tenant_a, title="Window cleaning")
    async with client_for(app, f"{tenant_a.slug}.localhost", **JSON) as client:
        response = await client.get("/api/v1/catalog/items")
    assert response.status_code == 200 and [i["title"] for i in response.json()] == ["Window cleaning"]
    assert varies_on_tenant(response)


async def test_pages_follow_the_host_and_ignore_x_tenant(app, tenant_a, tenant_b):
    await make_item(tenant_a, title="Sunshine deep clean")
    await make_item(tenant_b, title="Harbour aircon repair")
    async with client_for(app, f"{tenant_b.slug}.localhost") as client:
        page = await client.get("/services", headers={"X-Tenant": tenant_a.slug})
    assert page.status_code == 200
    assert "Harbour aircon repair" in page.text and "Sunshine deep clean" not in page.text
    assert not varies_on_tenant(page)

    async with client_for(app, "api.miniprogram.example") as client:
        elsewhere = await client.get("/services", headers={"X-Tenant": tenant_a.slug})
    assert elsewhere.status_code == 404 and "Sunshine deep clean" not in elsewhere.text
    assert not varies_on_tenant(elsewhere)
