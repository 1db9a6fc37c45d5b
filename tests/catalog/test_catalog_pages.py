"""The catalog over HTTP: customer pages, the JSON API, and the demo catalog of tenants/*.toml."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from platform_core.catalog import services
from platform_core.catalog.schemas import (
    AddonInput,
    CategoryCreate,
    CategoryUpdate,
    ResultBlock,
    ServiceItemCreate,
    Step,
    StepsBlock,
    TextBlock,
    VideoBlock,
)
from platform_core.db import current_connection
from platform_core.demo.seeding import apply_tenant_file
from platform_core.errors import ValidationFailed
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import ServiceCategorySpec
from platform_core.pluginsys.services import disable_plugin, enable_plugin
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def catalog_a(tenant_a):
    """Tenant A's catalog: cleaning with a subcategory, an hourly item with content and an add-on,
    and an inactive item."""
    async with tenant_scope(tenant_a.id) as tenant:
        cleaning = await services.create_category(tenant, CategoryCreate(code="cleaning", title="Cleaning", icon="broom"))
        deep = await services.create_category(tenant, CategoryCreate(code="deep", title="Deep work", parent_id=cleaning.id))
        daily = await services.create_item(tenant, ServiceItemCreate(
            category_id=cleaning.id, slug="daily-cleaning", title="Daily cleaning", summary="Every room, top to bottom.",
            duration_minutes=180, pricing_model="hourly", price=5000, min_quantity=3,
            content=[
                TextBlock(title="What's included", body="Dusting and mopping."),
                StepsBlock(title="How we do it", steps=[Step(title="Dust"), Step(title="Mop", detail="Every floor")]),
                VideoBlock(url="/static/core/video/cleaning.mp4"),
                ResultBlock(body="A spotless home."),
            ],
            addons=[AddonInput(title="Inside the fridge", price=4000)],
        ))
        await services.create_item(tenant, ServiceItemCreate(
            category_id=deep.id, slug="oven", title="Oven degreasing", duration_minutes=60, pricing_model="fixed", price=9900,
        ))
        await services.create_item(tenant, ServiceItemCreate(
            category_id=cleaning.id, slug="retired", title="Retired service", duration_minutes=60, pricing_model="fixed",
            price=100, active=False,
        ))
    return daily


def english(client):
    client.cookies.set("hearth_locale", "en")
    return client


async def test_services_page_lists_categories_with_their_items_and_prices(client_a, catalog_a):
    response = await english(client_a).get("/services")
    assert response.status_code == 200
    html = response.text
    assert "Cleaning" in html and "Deep work" in html
    assert 'href="/services/daily-cleaning"' in html and 'href="/services/oven"' in html
    assert "/hour" in html and "3 hours minimum" in html and "99.00" in html
    assert "Retired service" not in html
    assert 'href="/services"' in html  # the navigation links here


async def test_item_page_renders_the_content_addons_and_book_button(client_a, catalog_a):
    response = await english(client_a).get("/services/daily-cleaning")
    assert response.status_code == 200
    html = response.text
    assert "Daily cleaning" in html and "Every room, top to bottom." in html
    assert '<ol class="steps">' in html and "Every floor" in html
    assert "<video controls" in html and "A spotless home." in html
    assert "Inside the fridge" in html and "40.00" in html
    assert 'href="/book/daily-cleaning"' in html
    assert "3 hours" in html


async def test_inactive_and_other_tenants_items_are_not_found(client_a, client_b, catalog_a):
    assert (await client_a.get("/services/retired")).status_code == 404
    assert (await client_b.get("/services/daily-cleaning")).status_code == 404
    assert (await client_b.get("/api/v1/catalog/items/daily-cleaning")).status_code == 404


async def test_an_empty_catalog_says_so(client_b):
    response = await english(client_b).get("/services")
    assert response.status_code == 200 and "No services yet" in response.text


async def test_api_lists_the_tree_and_the_items_of_a_category(client_a, client_b, catalog_a):
    tree = (await client_a.get("/api/v1/catalog/categories")).json()
    assert [(c["code"], [k["code"] for k in c["children"]]) for c in tree] == [("cleaning", ["deep"])]
    items = (await client_a.get("/api/v1/catalog/items", params={"category": "cleaning"})).json()
    assert sorted(i["slug"] for i in items) == ["daily-cleaning", "oven"]  # subcategories included, inactive left out
    only_deep = (await client_a.get("/api/v1/catalog/items", params={"category": "deep"})).json()
    assert [i["slug"] for i in only_deep] == ["oven"]
    detail = (await client_a.get("/api/v1/catalog/items/daily-cleaning")).json()
    assert detail["item"]["price"] == 5000 and detail["item"]["pricing_model"] == "hourly"
    assert (detail["item"]["min_quantity"], detail["item"]["max_quantity"], detail["long_stay"]) == (3, 12, False)
    assert [b["type"] for b in detail["item"]["content"]] == ["text", "steps", "video", "result"]
    assert detail["category"]["code"] == "cleaning" and detail["form_fields"] == []
    assert (await client_b.get("/api/v1/catalog/categories")).json() == []
    assert (await client_b.get("/api/v1/catalog/items")).json() == []
    assert (await client_a.get("/api/v1/catalog/items", params={"category": "nope"})).status_code == 404


async def test_a_deactivated_category_hides_the_services_of_its_subcategories_too(client_a, tenant_a, catalog_a):
    async with tenant_scope(tenant_a.id):
        cleaning = await services.get_category_by_code("cleaning")
        await services.update_category(cleaning.id, CategoryUpdate(active=False))
    assert (await client_a.get("/api/v1/catalog/items")).json() == []
    assert (await client_a.get("/api/v1/catalog/items", params={"category": "deep"})).json() == []
    assert (await client_a.get("/services/oven")).status_code == 404


async def test_the_demo_catalog_is_applied_once(app, hearth_settings, tmp_path):
    for name, daily_price in (("sunshine", 5000), ("harbour", 15000)):
        slug = f"{name}-{secrets.token_hex(3)}"
        path = tmp_path / f"{slug}.toml"
        shutil.copy(REPO / "tenants" / f"{name}.toml", path)
        path.write_text(path.read_text(encoding="utf-8").replace(f'slug = "{name}"', f'slug = "{slug}"', 1), encoding="utf-8")
        first = await apply_tenant_file(path, hearth_settings)
        assert f"{slug}: category cleaning created" in first and f"{slug}: service daily-cleaning created" in first
        assert not [c for c in await apply_tenant_file(path, hearth_settings) if "category" in c or "service" in c]
        tenant = await get_tenant(slug)
        async with tenant_scope(tenant.id) as ctx:
            items = {i.slug: i for i in await services.list_items(for_customer=ctx)}
            # Sunshine has elder care on: its category and four services come with the plugin.
            plugin_items = 4 if name == "sunshine" else 0
            assert len(items) == 10 + plugin_items and all(i.currency == ctx.currency for i in items.values())
            assert [a.title for a in items["aircon-cleaning"].addons]
            assert items["maternity-nurse"].duration_minutes == 26 * 24 * 60
            assert items["appliance-repair"].pricing_model == "quote"
            assert (items["daily-cleaning"].price, items["daily-cleaning"].min_quantity) == (daily_price, 3)
            assert await current_connection().fetchval("select count(*) from core_service_category where source_plugin is null") == 3


async def test_a_changed_price_in_the_file_is_applied_and_addons_keep_their_ids(app, hearth_settings, tmp_path):
    slug = f"seed-{secrets.token_hex(3)}"
    toml = """
[tenant]
slug = "{slug}"
name = "Seeded"

[[categories]]
code = "appliances"
title = "Appliances"

[[items]]
category = "appliances"
slug = "aircon"
title = "Air conditioner"
duration_minutes = 90
pricing_model = "fixed"
price = {price}

[[items.addons]]
title = "Floor-standing unit"
price = 8000
"""
    path = tmp_path / f"{slug}.toml"
    path.write_text(toml.format(slug=slug, price=12000), encoding="utf-8")
    await apply_tenant_file(path, hearth_settings)
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        before = await services.get_item_by_slug("aircon")
    path.write_text(toml.format(slug=slug, price=13000), encoding="utf-8")
    assert [c for c in await apply_tenant_file(path, hearth_settings) if "service" in c] == [f"{slug}: service aircon updated"]
    async with tenant_scope(tenant.id):
        after = await services.get_item_by_slug("aircon")
    assert after.price == 13000 and [a.id for a in after.addons] == [a.id for a in before.addons]


class ElderCare:
    """A category plugin, as elder care will be."""

    @hookimpl
    def provide_service_categories(self):
        return [ServiceCategorySpec(code="elder-care", title="Elder care", icon="heart")]


@pytest.fixture
async def elder_care(runtime):
    runtime.pm.register(ElderCare(), name="eldercare")
    # The relay keys its subsets by what is registered: the plugin is seen (and left out where off) at once.
    yield
    runtime.pm.unregister(name="eldercare")


async def test_a_plugin_category_and_its_services_show_only_on_the_enabling_franchise(client_a, client_b, tenant_a, elder_care):
    # Listing is read-only (`read_only=True`: a READ ONLY transaction): turning the plugin on made the rows.
    await enable_plugin(tenant_a.id, "eldercare", actor="test")
    assert [c["code"] for c in (await client_a.get("/api/v1/catalog/categories")).json()] == ["elder-care"]
    assert (await client_b.get("/api/v1/catalog/categories")).json() == []
    async with tenant_scope(tenant_a.id) as tenant:
        category = await services.get_category_by_code("elder-care")
        await services.create_item(tenant, ServiceItemCreate(
            category_id=category.id, slug="companion", title="Companion visit", duration_minutes=120, pricing_model="hourly",
            price=6000, min_quantity=2,
        ))
    page = await english(client_a).get("/services")
    assert "Elder care" in page.text and 'href="/services/companion"' in page.text
    assert "Elder care" not in (await english(client_b).get("/services")).text
    # Off: gone from the tree and the services list; on again: back, with the franchise's item.
    await disable_plugin(tenant_a.id, "eldercare", actor="test")
    assert (await client_a.get("/api/v1/catalog/categories")).json() == []
    page = await english(client_a).get("/services")
    assert "Elder care" not in page.text and 'href="/services/companion"' not in page.text
    await enable_plugin(tenant_a.id, "eldercare", actor="test")
    assert [c["code"] for c in (await client_a.get("/api/v1/catalog/categories")).json()] == ["elder-care"]
    assert 'href="/services/companion"' in (await english(client_a).get("/services")).text


async def test_a_plugin_upgraded_with_a_new_category_is_caught_up_when_the_app_starts(runtime, client_a, tenant_a, elder_care):
    # On before the plugin had a category (the row is written as an older version's enabling left it).
    async with tenant_scope(tenant_a.id):
        await current_connection().execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, 'eldercare', true)", tenant_a.id
        )
    assert (await client_a.get("/api/v1/catalog/categories")).json() == []
    await services.sync_every_tenant()  # what the app's startup runs
    assert [c["code"] for c in (await client_a.get("/api/v1/catalog/categories")).json()] == ["elder-care"]


async def test_a_bad_catalog_entry_names_itself(app, hearth_settings, tmp_path):
    slug = f"seed-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(f"""
[tenant]
slug = "{slug}"
name = "Seeded"

[[categories]]
code = "cleaning"
title = "Cleaning"

[[items]]
category = "cleaning"
slug = "daily"
title = "Daily"
duration_minutes = 5
pricing_model = "hourly"
price = 5000

[[items]]
category = "gardening"
slug = "lawn"
title = "Lawn"
duration_minutes = 60
pricing_model = "fixed"
price = 100
""", encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        await apply_tenant_file(path, hearth_settings)
    assert set(refused.value.fields) == {"items[daily].duration_minutes"}
