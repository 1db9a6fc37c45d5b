"""Customer pages of the catalog, mobile first: /services (categories and their services) and
one service's page, with its workers and reviews, is booking's (booking/storefront.py)."""

from __future__ import annotations

from litestar import Request, Response, get

from platform_core.tenancy.context import current_tenant
from platform_core.web.pages import page

from . import services
from .schemas import Category, ServiceItem


def _subtree_ids(category: Category) -> list[int]:
    return [category.id, *(i for child in category.children for i in _subtree_ids(child))]


def group_items(tree: list[Category], items: list[ServiceItem]) -> list[tuple[Category, list[tuple[Category, list[ServiceItem]]]]]:
    """Each top-level category with its sections (itself, then each subcategory in tree order) and
    their items; sections and categories without items are left out."""
    by_category: dict[int, list[ServiceItem]] = {}
    for item in items:
        by_category.setdefault(item.category_id, []).append(item)
    grouped = []
    for top in tree:
        sections = [
            (category, by_category[category.id])
            for _depth, category in services.flatten([top]) if by_category.get(category.id)
        ]
        if sections:
            grouped.append((top, sections))
    return grouped


@get("/services", include_in_schema=False, name="services", read_only=True)
async def services_page(request: Request) -> Response:
    tenant = current_tenant()
    tree = await services.list_categories(tenant)
    items = await services.list_items(for_customer=tenant)
    return page(request, "catalog/services.html", same_for_visitors=True, groups=group_items(tree, items))


HANDLERS = [services_page]
