"""The [[categories]] and [[items]] of tenants/*.toml, applied by `hearth tenants apply`.

Categories are matched by code, items by slug, add-ons by title within their item; what differs is
updated, what is missing is created, so applying a file twice changes nothing. Entries removed from
the file are left alone: the console may have added its own.
"""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import msgspec

from platform_core.errors import NotFound, ValidationFailed
from platform_core.tenancy.context import tenant_scope

from . import services
from .schemas import (
    AddonInput,
    BookingField,
    CategoryCreate,
    CategoryUpdate,
    ContentBlock,
    PricingModel,
    ServiceItemCreate,
    ServiceItemUpdate,
    default_max_quantity,
)


class CategorySeed(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: str
    title: str
    summary: str = ""
    icon: str = "home"
    parent: str | None = None  # the parent's code, listed before it
    sort_order: int = 0
    active: bool = True


class AddonSeed(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: str
    price: int  # minor units
    duration_minutes: int = 0


class ItemSeed(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category: str  # a category code
    slug: str
    title: str
    duration_minutes: int
    pricing_model: PricingModel
    price: int  # minor units
    summary: str = ""
    cover_url: str = ""
    min_quantity: int = 1
    max_quantity: int | None = None  # None: the pricing model's default
    required_skills: list[str] = []
    districts: list[str] = []
    booking_fields: list[BookingField] = []
    content: list[ContentBlock] = []
    addons: list[AddonSeed] = []
    active: bool = True
    sort_order: int = 0


class CatalogSeed(msgspec.Struct, kw_only=True):
    categories: list[CategorySeed] = []
    items: list[ItemSeed] = []


def read_catalog(path: Path) -> CatalogSeed:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return msgspec.convert({k: raw[k] for k in ("categories", "items") if k in raw}, CatalogSeed)
    except msgspec.ValidationError as exc:
        raise ValidationFailed({str(path): str(exc)}, message="A tenant file is not valid.") from None


def _differs(current: object, wanted: dict) -> dict:
    return {k: v for k, v in wanted.items() if msgspec.to_builtins(getattr(current, k)) != msgspec.to_builtins(v)}


async def _apply_category(tenant, seed: CategorySeed) -> str | None:
    parent_id = (await services.get_category_by_code(seed.parent)).id if seed.parent else None
    wanted = {
        "title": seed.title, "summary": seed.summary, "icon": seed.icon, "parent_id": parent_id,
        "sort_order": seed.sort_order, "active": seed.active,
    }
    try:
        current = await services.get_category_by_code(seed.code)
    except NotFound:
        await services.create_category(tenant, CategoryCreate(code=seed.code, **wanted))
        return "created"
    changes = _differs(current, wanted)
    if changes:
        await services.update_category(current.id, CategoryUpdate(**changes))
        return "updated"
    return None


async def _apply_item(tenant, seed: ItemSeed) -> str | None:
    fields = msgspec.structs.asdict(seed)
    fields.pop("category"), fields.pop("addons")
    fields["category_id"] = (await services.get_category_by_code(seed.category)).id
    if seed.max_quantity is None:
        fields["max_quantity"] = default_max_quantity(seed.pricing_model, seed.min_quantity)
    try:
        current = await services.get_item_by_slug(seed.slug)
    except NotFound:
        addons = [AddonInput(title=a.title, price=a.price, duration_minutes=a.duration_minutes) for a in seed.addons]
        await services.create_item(tenant, ServiceItemCreate(**fields, addons=addons))
        return "created"
    changes = _differs(current, fields)
    by_title = {a.title: a for a in current.addons}
    offered = [(a.title, a.price, a.duration_minutes) for a in current.addons if a.active]
    if offered != [(a.title, a.price, a.duration_minutes) for a in seed.addons]:
        changes["addons"] = [
            AddonInput(
                id=by_title[a.title].id if a.title in by_title else None, title=a.title, price=a.price,
                duration_minutes=a.duration_minutes,
            )
            for a in seed.addons
        ]
    if changes:
        await services.update_item(tenant, current.id, ServiceItemUpdate(**changes))
        return "updated"
    return None


async def apply_catalog_file(tenant_id: int, slug: str, path: Path) -> list[str]:
    seed = read_catalog(path)
    if not seed.categories and not seed.items:
        return []
    changes: list[str] = []
    async with tenant_scope(tenant_id) as tenant:
        for category in seed.categories:
            with _naming(f"categories[{category.code}]"):
                if done := await _apply_category(tenant, category):
                    changes.append(f"{slug}: category {category.code} {done}")
        for item in seed.items:
            with _naming(f"items[{item.slug}]"):
                if done := await _apply_item(tenant, item):
                    changes.append(f"{slug}: service {item.slug} {done}")
    return changes


@contextmanager
def _naming(entry: str) -> Iterator[None]:
    """Field errors name the file's entry (items[aircon].price), so the file can be fixed."""
    try:
        yield
    except NotFound as exc:
        raise ValidationFailed({entry: f"unknown {exc.params.get('what', 'reference')}"}, message="A tenant file is not valid.") from None
    except ValidationFailed as exc:
        raise ValidationFailed({f"{entry}.{name}": text for name, text in exc.fields.items()}, message="A tenant file is not valid.") from None
