"""The catalog's JSON API under /api/v1/catalog, for the mini-program: what customers may see,
no sign-in needed. Pick the franchise by Host or X-Tenant."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from platform_core.tenancy.context import current_tenant

from . import quotes, services
from .schemas import Category, ServiceItem, ServiceItemDetail


class CatalogController(Controller):
    path = "/api/v1/catalog"
    tags = ["Catalog"]

    @get("/categories", operation_id="listCategories", summary="The category tree", read_only=True)
    async def categories(self) -> list[Category]:
        """Active categories, subcategories under `children`, including those of the plugins this
        franchise has on; `item_count` counts each one's own bookable services."""
        return await services.list_categories(current_tenant())

    @get("/items", operation_id="listItems", summary="Bookable services, of one category or all", read_only=True)
    async def items(self, category: FromQuery[str | None] = None) -> list[ServiceItem]:
        """`category` is a category code; its subcategories' services are included."""
        tenant = current_tenant()
        category_id = None
        if category:
            category_id = (await services.get_category_by_code(category)).id
        return await services.list_items(category_id, for_customer=tenant)

    @get("/items/{slug:str}", operation_id="getItem", summary="One service, with its category and booking form", read_only=True)
    async def item(self, slug: FromPath[str]) -> ServiceItemDetail:
        """`long_stay`: booked by `start_date` (no `asap`, no time of day); `item.min_quantity`
        and `item.max_quantity` bound the booking's `quantity`."""
        tenant = current_tenant()
        item, category = await services.get_item_with_category(slug, for_customer=tenant)
        return ServiceItemDetail(
            item=item, category=category,
            form_fields=quotes.booking_fields_for(tenant, item), long_stay=quotes.is_long_stay(item),
        )
