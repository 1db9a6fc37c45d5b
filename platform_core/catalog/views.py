"""Customer pages of the catalog, mobile first: /services (categories and their services) and
/services/{slug} (one service: its content, add-ons, the workers who do it and their reviews)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from platform_core.reviews.services import reviews_for_item
from platform_core.runtime import Runtime
from platform_core.staff.services import workers_for_skills
from platform_core.tenancy.context import current_tenant
from platform_core.web.pages import page

from . import services
from .schemas import Category, ServiceItem

WORKERS_SHOWN = 6
REVIEWS_SHOWN = 5


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


@get("/services", include_in_schema=False, name="services")
async def services_page(request: Request, rt: NamedDependency[Runtime]) -> Response:
    tenant = current_tenant()
    tree = await services.list_categories(rt, tenant)
    items = await services.list_items(for_customer=tenant)
    return page(request, "catalog/services.html", groups=group_items(tree, items))


@get("/services/{slug:str}", include_in_schema=False, name="service-item")
async def item_page(request: Request, slug: FromPath[str]) -> Response:
    tenant = current_tenant()
    item = await services.get_item_by_slug(slug, for_customer=tenant)
    category = await services.get_category(item.category_id)
    return page(
        request, "catalog/item.html", item=item, category=category,
        workers=await workers_for_skills(item.required_skills, limit=WORKERS_SHOWN),
        reviews=await reviews_for_item(item.id, REVIEWS_SHOWN),
    )


HANDLERS = [services_page, item_page]
