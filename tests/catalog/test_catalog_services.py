"""The catalog's services: the category tree, items with content and add-ons, pricing by model,
field errors, plugin categories, and tenant isolation of the three tables."""

from __future__ import annotations

import asyncpg
import msgspec
import pytest

from platform_core.catalog import quotes, services
from platform_core.catalog.schemas import (
    AddonInput,
    CategoryCreate,
    CategoryUpdate,
    ServiceItemCreate,
    ServiceItemUpdate,
    Step,
    StepsBlock,
    TextBlock,
    VideoBlock,
)
from platform_core.catalog.tables import ServiceAddon, ServiceCategory, ServiceItem
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import (
    BookingFieldSpec,
    PluginInfo,
    ServiceCategorySpec,
)
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.services import disable_plugin, enable_plugin
from platform_core.runtime import Runtime
from platform_core.tenancy.context import tenant_scope


async def make_category(tenant, code="cleaning", title="Cleaning", **fields):
    return await services.create_category(tenant, CategoryCreate(code=code, title=title, **fields))


def item_data(category_id: int, **fields) -> ServiceItemCreate:
    values = {
        "category_id": category_id, "slug": "daily-cleaning", "title": "Daily cleaning", "duration_minutes": 180,
        "pricing_model": "hourly", "price": 5000, "min_quantity": 3,
    }
    return msgspec.convert({**values, **fields}, ServiceItemCreate)


# --------------------------------------------------------------------------- pricing


@pytest.mark.parametrize(
    ("model", "price", "minimum", "quantity", "expected"),
    [
        ("fixed", 12000, 1, None, [(1, 12000, 12000, "item")]),
        ("fixed", 12000, 1, 4, [(1, 12000, 12000, "item")]),
        ("hourly", 5000, 3, None, [(3, 5000, 15000, "hour")]),  # left out: the minimum
        ("hourly", 5000, 3, 5, [(5, 5000, 25000, "hour")]),
        ("per_sqm", 800, 60, 60, [(60, 800, 48000, "sqm")]),
        ("per_sqm", 1200, 1, 95, [(95, 1200, 114000, "sqm")]),
        ("quote", 5000, 1, 3, [(1, 5000, 5000, "visit")]),  # the inspection fee only
    ],
)
async def test_base_price_follows_the_pricing_model(tenant_a, model, price, minimum, quantity, expected):
    async with tenant_scope(tenant_a.id) as tenant:
        category = await make_category(tenant)
        item = await services.create_item(tenant, item_data(category.id, pricing_model=model, price=price, min_quantity=minimum))
    lines = quotes.quote_base(item, quantity, [])
    assert [(l.quantity, l.unit_amount, l.amount, l.unit) for l in lines] == expected
    assert lines[0].kind == "base" and lines[0].label == "Daily cleaning"


async def test_addons_add_their_own_lines_and_only_offered_ones_are_accepted(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        category = await make_category(tenant, code="appliances")
        item = await services.create_item(tenant, item_data(
            category.id, slug="aircon", title="Air conditioner cleaning", pricing_model="fixed", price=12000, min_quantity=1,
            addons=[AddonInput(title="Floor-standing unit", price=8000), AddonInput(title="Old add-on", price=100, active=False)],
        ))
    floor, old = item.addons
    lines = quotes.quote_base(item, None, [floor.id, floor.id])
    assert [(l.kind, l.label, l.amount) for l in lines] == [
        ("base", "Air conditioner cleaning", 12000), ("addon", "Floor-standing unit", 8000),
    ]
    with pytest.raises(ValidationFailed) as refused:
        quotes.quote_base(item, None, [old.id])
    assert "addon_ids" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        quotes.quote_base(item, None, [999999])
    assert "addon_ids" in refused.value.fields


async def test_an_update_keeps_addon_ids_and_deactivates_the_ones_left_out(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        category = await make_category(tenant)
        item = await services.create_item(tenant, item_data(
            category.id, addons=[AddonInput(title="Fridge inside", price=3000), AddonInput(title="Oven", price=4000)],
        ))
        fridge, oven = item.addons
        updated = await services.update_item(tenant, item.id, ServiceItemUpdate(
            addons=[AddonInput(id=fridge.id, title="Fridge (inside)", price=3500), AddonInput(title="Balcony", price=2000)],
        ))
        assert sorted((a.title, a.price, a.active) for a in updated.addons) == [
            ("Balcony", 2000, True), ("Fridge (inside)", 3500, True), ("Oven", 4000, False),
        ]
        by_id = {a.id: a for a in updated.addons}
        assert by_id[fridge.id].title == "Fridge (inside)" and by_id[fridge.id].price == 3500
        assert by_id[oven.id].active is False
        customer_view = await services.get_item(item.id, for_customer=tenant)
        assert [a.title for a in customer_view.addons] == ["Fridge (inside)", "Balcony"]


# --------------------------------------------------------------------------- validation


async def test_bad_items_get_an_error_on_each_field(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        category = await make_category(tenant)
        with pytest.raises(ValidationFailed) as refused:
            await services.create_item(tenant, item_data(
                category.id, slug="Bad Slug", title=" ", duration_minutes=5, price=-1, min_quantity=0,
                cover_url="javascript:alert(1)", addons=[AddonInput(title="", price=-5)],
                content=[TextBlock(body=""), VideoBlock(url="ftp://x"), StepsBlock(steps=[Step(title=" ")])],
            ))
    assert set(refused.value.fields) == {
        "slug", "title", "duration_minutes", "price", "min_quantity", "cover_url", "addon-0-title", "addon-0-price",
        "content-0-body", "content-1-url", "content-2-steps",
    }


async def test_an_item_needs_an_existing_category_and_a_free_slug(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        with pytest.raises(ValidationFailed) as refused:
            await services.create_item(tenant, item_data(987654321))
        assert set(refused.value.fields) == {"category_id"}
    async with tenant_scope(tenant_a.id) as tenant:
        category = await make_category(tenant)
        await services.create_item(tenant, item_data(category.id))
        with pytest.raises(ValidationFailed) as refused:
            await services.create_item(tenant, item_data(category.id, title="Another"))
        assert set(refused.value.fields) == {"slug"}


async def test_category_codes_are_checked_and_unique(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        with pytest.raises(ValidationFailed) as refused:
            await make_category(tenant, code="Home Cleaning", title="")
        assert set(refused.value.fields) == {"code", "title"}
    async with tenant_scope(tenant_a.id) as tenant:
        await make_category(tenant)
        with pytest.raises(ValidationFailed) as refused:
            await make_category(tenant, title="Again")
        assert set(refused.value.fields) == {"code"}


# --------------------------------------------------------------------------- the tree


async def test_categories_form_a_tree_without_cycles(tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        home = await make_category(tenant, code="home", title="Home")
        cleaning = await make_category(tenant, code="cleaning", title="Cleaning", parent_id=home.id)
        deep = await make_category(tenant, code="deep", title="Deep", parent_id=cleaning.id)
        for descendant in (cleaning.id, deep.id):
            with pytest.raises(ValidationFailed) as refused:
                await services.update_category(home.id, CategoryUpdate(parent_id=descendant))
            assert "parent_id" in refused.value.fields
        with pytest.raises(ValidationFailed) as refused:
            await services.update_category(home.id, CategoryUpdate(parent_id=home.id))
        assert "parent_id" in refused.value.fields
        with pytest.raises(ValidationFailed) as refused:
            await make_category(tenant, code="orphan", title="Orphan", parent_id=987654321)
        assert "parent_id" in refused.value.fields
        # Moving a leaf elsewhere is fine.
        moved = await services.update_category(deep.id, CategoryUpdate(parent_id=home.id))
        assert moved.parent_id == home.id


async def test_the_tree_nests_children_in_their_order_and_move_swaps_siblings(runtime, tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        home = await make_category(tenant, code="home", title="Home", sort_order=1)
        care = await make_category(tenant, code="care", title="Care", sort_order=2)
        await make_category(tenant, code="daily", title="Daily", parent_id=home.id)
        await make_category(tenant, code="deep", title="Deep", parent_id=home.id)
        tree = await services.list_categories(tenant)
        assert [(c.code, [k.code for k in c.children]) for c in tree] == [("home", ["daily", "deep"]), ("care", [])]
        await services.move_category(care.id, "up")
        await services.update_category(home.id, CategoryUpdate(active=False))
        tree = await services.list_categories(tenant)
        assert [c.code for c in tree] == ["care"]  # an inactive category hides its children too
        everything = await services.list_categories(tenant, for_customer=False)
        assert [c.code for c in everything] == ["care", "home"]


# --------------------------------------------------------------------------- plugin categories


class ElderCare:
    @hookimpl
    def register_plugin_info(self):
        return PluginInfo(title="Elder care", category="services")

    @hookimpl
    def provide_service_categories(self):
        return [ServiceCategorySpec(
            code="elder-care", title="Elder care", icon="heart",
            booking_fields=[BookingFieldSpec(name="mobility", label="Mobility", type="select", required=True, choices=["walks", "wheelchair"])],
        )]

    @hookimpl
    def compute_booking_fields(self, form):
        return [BookingFieldSpec(name="medication", label="Medication notes", type="textarea")] if form.category == "elder-care" else None


@pytest.fixture
def rt_with_elder_care(app, hearth_settings):
    pm = build_plugin_manager()
    pm.register(ElderCare(), name="eldercare")
    with Runtime.build(hearth_settings, pm).scope() as runtime:
        yield runtime


async def test_a_plugin_category_shows_only_for_tenants_that_enabled_the_plugin(rt_with_elder_care, tenant_a, tenant_b):
    await enable_plugin(tenant_a.id, "eldercare", actor="test")
    async with tenant_scope(tenant_a.id) as tenant:
        codes = [c.code for c in await services.list_categories(tenant)]
        assert codes == ["elder-care"]
        category = await services.get_category_by_code("elder-care")
        assert category.source_plugin == "eldercare"
        item = await services.create_item(tenant, item_data(category.id, slug="companion", title="Companion visit"))
        fields = quotes.booking_fields_for(tenant, item)
        assert [(f.name, f.source) for f in fields] == [("mobility", "eldercare"), ("medication", "eldercare")]
    async with tenant_scope(tenant_b.id) as tenant:
        assert await services.list_categories(tenant) == []
        assert await services.list_categories(tenant, for_customer=False) == []
    # Off again: the rows stay (the franchise's items are kept) but customers no longer see them.
    await disable_plugin(tenant_a.id, "eldercare", actor="test")
    async with tenant_scope(tenant_a.id) as tenant:
        assert await services.list_categories(tenant) == []
        assert await services.list_items(for_customer=tenant) == []
        with pytest.raises(NotFound):
            await services.get_item_by_slug("companion", for_customer=tenant)
        assert [c.code for c in await services.list_categories(tenant, for_customer=False)] == ["elder-care"]


# --------------------------------------------------------------------------- isolation


async def test_tenant_b_sees_and_changes_none_of_tenant_as_catalog(tenant_a, tenant_b):
    async with tenant_scope(tenant_a.id) as tenant:
        category = await make_category(tenant)
        item = await services.create_item(tenant, item_data(category.id, addons=[AddonInput(title="Oven", price=100)]))
    async with tenant_scope(tenant_b.id) as tenant:
        assert await ServiceCategory.count() == 0
        assert await ServiceItem.count() == 0
        assert await ServiceAddon.count() == 0
        assert await services.list_items() == []
        with pytest.raises(NotFound):
            await services.get_item(item.id)
        with pytest.raises(NotFound):
            await services.get_item_by_slug(item.slug)
        conn = current_connection()
        assert await conn.execute("update core_service_item set price = 1") == "UPDATE 0"
        assert await conn.execute("delete from core_service_addon") == "DELETE 0"
        # Nor can B file its own item under A's category.
        with pytest.raises(ValidationFailed):
            await services.create_item(tenant, item_data(category.id, slug="sneaky"))
    with pytest.raises(asyncpg.PostgresError):
        async with tenant_scope(tenant_b.id) as tenant:
            await current_connection().execute(
                "insert into core_service_category (tenant_id, code, title) values ($1, 'x', 'X')", tenant_a.id
            )
    async with tenant_scope(tenant_a.id):
        assert (await services.get_item(item.id)).price == 5000
