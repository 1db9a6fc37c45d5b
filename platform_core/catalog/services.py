"""The catalog: categories (a tree, some contributed by plugins), service items with their content
and add-ons, the base lines of a price quote, and the booking form of an item. No HTTP here.

Plugin categories are materialised as core_service_category rows (source_plugin set) when they
can change: when a franchise turns the plugin on (`on_plugin_enabled`, in that transaction, with
the new enabled set), and for every franchise when the app starts (a plugin installed or upgraded
with a new category while on). Rows, not a virtual list, because the franchise files its own items
under them (items reference a category row). Listing the catalog only reads, so the services list
and the category tree can be served by a read replica. Turning the plugin off keeps the rows and
hides them and their items from customers; turning it back on shows them again.

What customers see (the category tree, the bookable items, one item by its address) is kept per
process by the tenant's stamp (`TenantContext.version`), which any change to a category, an item or
an add-on renews in its own transaction (triggers, catalog_0004), as do the plugins the franchise
turns on or off (tenancy_0003): the services page, an item's page and the catalog API then read
no catalog row until something changes.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Literal

import asyncpg
import msgspec
from msgspec import UNSET

from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import (
    ServiceCategorySpec,
)
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import (
    current_tenant,
    tenant_scope,
)
from platform_core.tenancy.schemas import TenantContext
from platform_core.tenancy.services import tenant_ids
from platform_core.tenancy.stamped import Stamped
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    CODE_PATTERN,
    SKILLS,
    Addon,
    AddonInput,
    BookingField,
    Category,
    CategoryCreate,
    CategoryRef,
    CategoryUpdate,
    ContentBlock,
    ItemRef,
    ServiceItem,
    ServiceItemCreate,
    ServiceItemUpdate,
    default_max_quantity,
)
from .validation import category_field_errors, item_field_errors

# --------------------------------------------------------------------------- kept by the stamp

# What customers see, by tenant stamp. A franchise's items are its biggest entry (tens of KB).
_kept: Stamped[Any] = Stamped("catalog", limit=1_000)


# --------------------------------------------------------------------------- categories

_CATEGORY_COLUMNS = "id, code, title, summary, icon, parent_id, sort_order, active, source_plugin"


def _category(row: asyncpg.Record, item_count: int = 0, *, prefix: str = "") -> Category:
    return Category(
        id=row[prefix + "id"], code=row[prefix + "code"], title=row[prefix + "title"], summary=row[prefix + "summary"],
        icon=row[prefix + "icon"], parent_id=row[prefix + "parent_id"], sort_order=row[prefix + "sort_order"],
        active=row[prefix + "active"], source_plugin=row[prefix + "source_plugin"], item_count=item_count,
    )


def plugin_category_specs(tenant: TenantContext) -> dict[str, tuple[str, ServiceCategorySpec]]:
    """code -> (plugin name, spec) for the categories of the plugins the tenant has on."""
    found: dict[str, tuple[str, ServiceCategorySpec]] = {}
    for plugin, spec in collect_now(current_runtime().hooks(tenant).provide_service_categories):
        found.setdefault(spec.code, (plugin, spec))
    return found


async def sync_plugin_categories(tenant: TenantContext) -> list[str]:
    """Create the rows of plugin categories the tenant does not have yet; returns their codes. A
    franchise category that already uses the code wins (it is left alone)."""
    specs = plugin_category_specs(tenant)
    if not specs:
        return []
    conn = current_connection()
    existing = {r["code"] for r in await conn.fetch("select code from core_service_category where code = any($1)", list(specs))}
    created = []
    for code, (plugin, spec) in specs.items():
        if code in existing or not re.match(CODE_PATTERN, code):
            continue
        _kept.written()
        category_id = await conn.fetchval(
            "insert into core_service_category (tenant_id, code, title, icon, source_plugin, sort_order) "
            "values ($1, $2, $3, $4, $5, 1000) on conflict (tenant_id, code) do nothing returning id",
            tenant.id, code, spec.title[:100], spec.icon[:40], plugin,
        )
        if category_id is not None:
            await _materialise_items(tenant, category_id, spec)
        created.append(code)
    return created


# A plugin item's unit as the catalog prices it: by the hour, one visit, or a stay (by the month).
_PRICING_OF_UNIT = {"hour": "hourly", "visit": "fixed", "month": "fixed"}


async def _materialise_items(tenant: TenantContext, category_id: int, spec: ServiceCategorySpec) -> None:
    """The items a plugin's category starts with, made with the category and only then: from then
    on they are the franchise's (edited, repriced or switched off in the console). An address a
    franchise item already uses is left to it."""
    for position, item in enumerate(spec.items):
        if not re.match(r"^[a-z0-9][a-z0-9-]*$", item.code) or not 15 <= item.duration_minutes <= 86_400:
            continue
        low = max(1, item.min_quantity)
        await current_connection().execute(
            "insert into core_service_item (tenant_id, category_id, slug, title, summary, duration_minutes, pricing_model, price, "
            "min_quantity, max_quantity, currency, required_skills, sort_order) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) on conflict (tenant_id, slug) do nothing",
            tenant.id, category_id, item.code[:80], item.title[:120], item.description[:300], item.duration_minutes,
            _PRICING_OF_UNIT[item.unit], max(0, item.price), low, min(1000, max(low, item.max_quantity)), tenant.currency,
            [skill for skill in item.required_skills if skill], position,
        )


async def sync_every_tenant() -> None:
    """sync_plugin_categories for every franchise that has a plugin with categories on (the app's
    startup; in a transaction of each franchise's own)."""
    providers = {plugin for plugin, _ in collect_now(current_runtime().pm.hook.provide_service_categories)}
    if not providers:
        return
    for tenant_id in await tenant_ids():
        async with tenant_scope(tenant_id) as tenant:
            if tenant.enabled_plugins & providers:
                await sync_plugin_categories(tenant)


def _visible(category: Category, tenant: TenantContext) -> bool:
    return category.active and (category.source_plugin is None or category.source_plugin in tenant.enabled_plugins)


def build_tree(categories: Iterable[Category]) -> list[Category]:
    """Nest categories under their parents, each level by sort order then title. A category whose
    parent is not in the list (hidden) is left out, with its children."""
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)

    def level(parent: int | None) -> list[Category]:
        nodes = sorted(by_parent.get(parent, []), key=lambda c: (c.sort_order, c.title))
        for node in nodes:
            node.children = level(node.id)
        return nodes

    return level(None)


async def list_categories(tenant: TenantContext, *, for_customer: bool = True) -> list[Category]:
    """The category tree. For customers: active ones, without those of plugins the tenant has
    off (kept by the stamp); for the console: all of them."""
    if for_customer:
        return list(await _kept.get(tenant, ("categories",), lambda: _category_tree(tenant, for_customer=True)))
    return await _category_tree(tenant, for_customer=False)


async def _category_tree(tenant: TenantContext, *, for_customer: bool) -> list[Category]:
    rows = await current_connection().fetch(
        f"select {_CATEGORY_COLUMNS}, (select count(*) from core_service_item i where i.category_id = c.id and (i.active or not $1)) as n "
        "from core_service_category c", for_customer,
    )
    categories = [_category(r, r["n"]) for r in rows]
    if for_customer:
        categories = [c for c in categories if _visible(c, tenant)]
    return build_tree(categories)


def flatten(tree: list[Category], depth: int = 0) -> list[tuple[int, Category]]:
    """(depth, category) in tree order, for lists and pickers."""
    out: list[tuple[int, Category]] = []
    for node in tree:
        out.append((depth, node))
        out.extend(flatten(node.children, depth + 1))
    return out


async def get_category(category_id: int) -> Category:
    row = await current_connection().fetchrow(f"select {_CATEGORY_COLUMNS} from core_service_category where id = $1", category_id)
    if row is None:
        raise NotFound("category")
    return _category(row)


async def get_category_by_code(code: str) -> Category:
    row = await current_connection().fetchrow(f"select {_CATEGORY_COLUMNS} from core_service_category where code = $1", code)
    if row is None:
        raise NotFound("category")
    return _category(row)


async def category_errors(data: CategoryCreate, category_id: int | None = None) -> dict[str, str]:
    """What is wrong with a category, by field (for forms that also have fields of their own to
    report); `category_id` when it is an existing one that may not loop under itself."""
    return await category_field_errors(msgspec.structs.asdict(data), category_id)


async def _check_category(values: dict, category_id: int | None) -> None:
    errors = await category_field_errors(values, category_id)
    if errors:
        raise ValidationFailed(errors)


async def create_category(tenant: TenantContext, data: CategoryCreate) -> Category:
    _kept.written()
    values = msgspec.structs.asdict(data)
    values["title"], values["summary"] = values["title"].strip(), values["summary"].strip()
    await _check_category(values, None)
    try:
        row = await current_connection().fetchrow(
            "insert into core_service_category (tenant_id, code, title, summary, icon, parent_id, sort_order, active) "
            f"values ($1, $2, $3, $4, $5, $6, $7, $8) returning {_CATEGORY_COLUMNS}",
            tenant.id, values["code"], values["title"], values["summary"], values["icon"], values["parent_id"],
            values["sort_order"], values["active"],
        )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"code": N_("Another category already uses this code.")}) from None
    return _category(row)


async def update_category(category_id: int, data: CategoryUpdate) -> Category:
    _kept.written()
    current = await get_category(category_id)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    for key in ("title", "summary"):
        if key in changes:
            changes[key] = changes[key].strip()
    values = {**msgspec.structs.asdict(current), **changes}
    await _check_category(values, category_id)
    if not changes:
        return current
    columns = list(changes)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    try:
        row = await current_connection().fetchrow(
            f"update core_service_category set {sets} where id = $1 returning {_CATEGORY_COLUMNS}",
            category_id, *[changes[c] for c in columns],
        )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"code": N_("Another category already uses this code.")}) from None
    return _category(row)


async def move_category(category_id: int, direction: Literal["up", "down"]) -> None:
    """Swap places with the previous (or next) sibling; renumbers the siblings 10, 20, ... so ties
    from imports do not stall the move."""
    _kept.written()
    current = await get_category(category_id)
    conn = current_connection()
    siblings = [
        r["id"] for r in await conn.fetch(
            "select id from core_service_category where parent_id is not distinct from $1 order by sort_order, title, id",
            current.parent_id,
        )
    ]
    at = siblings.index(category_id)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(siblings):
        siblings[at], siblings[to] = siblings[to], siblings[at]
    await conn.execute(
        "update core_service_category c set sort_order = o.n * 10 from unnest($1::bigint[]) with ordinality o(id, n) where c.id = o.id",
        siblings,
    )


# --------------------------------------------------------------------------- items

_ITEM_COLUMNS = (
    "i.id, i.category_id, c.code as category_code, i.slug, i.title, i.summary, i.cover_url, i.content, "
    "i.duration_minutes, i.pricing_model, i.price, i.min_quantity, i.max_quantity, i.currency, i.required_skills, i.districts, "
    "i.booking_fields, i.active, i.sort_order, i.updated_at"
)
_ITEM_FROM = "core_service_item i join core_service_category c on c.id = i.category_id"

_content = msgspec.json.Decoder(list[ContentBlock])
_fields = msgspec.json.Decoder(list[BookingField])


def _item(row: asyncpg.Record, addons: list[Addon]) -> ServiceItem:
    return ServiceItem(
        id=row["id"], category_id=row["category_id"], category_code=row["category_code"], slug=row["slug"],
        title=row["title"], summary=row["summary"], cover_url=row["cover_url"], content=_content.decode(row["content"]),
        duration_minutes=row["duration_minutes"], pricing_model=row["pricing_model"], price=row["price"],
        min_quantity=row["min_quantity"], max_quantity=row["max_quantity"], currency=row["currency"], required_skills=list(row["required_skills"]),
        districts=list(row["districts"]), booking_fields=_fields.decode(row["booking_fields"]), active=row["active"],
        sort_order=row["sort_order"], addons=addons, updated_at=row["updated_at"],
    )


# Each item's add-ons in the item's own row: one query for a page of items, however many.
_ADDONS = (
    "coalesce((select json_agg(json_build_object('id', a.id, 'title', a.title, 'price', a.price, "
    "'duration_minutes', a.duration_minutes, 'active', a.active, 'sort_order', a.sort_order) order by a.sort_order, a.id) "
    "from core_service_addon a where a.item_id = i.id and (a.active or not ${n})), '[]') as addons"
)
_addon_list = msgspec.json.Decoder(list[Addon])


# An item's category in the item's own row (`c` is joined anyway), as `category_<column>`.
_ITEM_CATEGORY = ", ".join(f"c.{column} as category_{column}" for column in _CATEGORY_COLUMNS.split(", "))


async def _item_rows(where: str, *args, active_only: bool, extra: str = "") -> list[asyncpg.Record]:
    return await current_connection().fetch(
        f"select {_ITEM_COLUMNS}, {_ADDONS.format(n=len(args) + 1)}{extra} from {_ITEM_FROM} where {where} "
        "order by c.sort_order, i.sort_order, i.title", *args, active_only,
    )


async def _items(where: str, *args, active_only: bool) -> list[ServiceItem]:
    rows = await _item_rows(where, *args, active_only=active_only)
    return [_item(r, _addon_list.decode(r["addons"])) for r in rows]


def _customer_filter(tenant: TenantContext | None, first: int) -> tuple[str, list]:
    """Items a customer may see: active, and neither their category nor any category above it
    inactive or of a plugin the tenant has off."""
    if tenant is None:
        return "true", []
    return (
        "i.active and not exists ("
        " with recursive up(id, parent_id, active, source_plugin) as ("
        "  select s.id, s.parent_id, s.active, s.source_plugin from core_service_category s where s.id = i.category_id"
        "  union all select p.id, p.parent_id, p.active, p.source_plugin from core_service_category p join up on p.id = up.parent_id"
        f" ) select 1 from up where not up.active or (up.source_plugin is not null and up.source_plugin <> all(${first})))",
        [list(tenant.enabled_plugins)],
    )


async def list_items(category_id: int | None = None, *, for_customer: TenantContext | None = None) -> list[ServiceItem]:
    """Items of one category (and its subcategories), or all; `for_customer=tenant` keeps what
    that tenant's customers may see."""
    visible, args = _customer_filter(for_customer, 1)
    if category_id is not None:
        visible += (
            f" and i.category_id in (with recursive down(id) as (select ${len(args) + 1}::bigint union "
            "select s.id from core_service_category s join down on s.parent_id = down.id) select id from down)"
        )
        args.append(category_id)
    if for_customer is None:
        return await _items(visible, *args, active_only=False)
    return list(await _kept.get(for_customer, ("items", category_id), lambda: _items(visible, *args, active_only=True)))


async def item_refs() -> list[ItemRef]:
    """The items the franchise's customers can book, as plugins name them (loyalty's share links
    and priority services)."""
    return [
        ItemRef(id=i.id, slug=i.slug, title=i.title, category=i.category_code, url=f"/services/{i.slug}",
                pricing_model=i.pricing_model, price=i.price, currency=i.currency)
        for i in await list_items(for_customer=current_tenant())
    ]


async def category_refs() -> list[CategoryRef]:
    """The franchise's categories its customers can see, parents before their children."""
    return [CategoryRef(code=c.code, title=c.title) for _, c in flatten(await list_categories(current_tenant()))]


async def get_item(item_id: int, *, for_customer: TenantContext | None = None) -> ServiceItem:
    """An item by id; for a customer (a quote, a placement), kept by the stamp."""
    if for_customer is not None:
        return await _kept.get(for_customer, ("item_id", item_id), lambda: _item_by_id(item_id, for_customer))
    return await _item_by_id(item_id, None)


async def _item_by_id(item_id: int, for_customer: TenantContext | None) -> ServiceItem:
    visible, args = _customer_filter(for_customer, 2)
    found = await _items(f"i.id = $1 and {visible}", item_id, *args, active_only=for_customer is not None)
    if not found:
        raise NotFound("service")
    return found[0]


async def get_item_by_slug(slug: str, *, for_customer: TenantContext | None = None) -> ServiceItem:
    return (await get_item_with_category(slug, for_customer=for_customer))[0]


async def get_item_with_category(slug: str, *, for_customer: TenantContext | None = None) -> tuple[ServiceItem, Category]:
    """An item by slug with its category, in one query (an item's page shows both); for a
    customer, kept by the stamp."""
    if for_customer is not None:
        return await _kept.get(for_customer, ("item", slug), lambda: _item_with_category(slug, for_customer))
    return await _item_with_category(slug, None)


async def _item_with_category(slug: str, for_customer: TenantContext | None) -> tuple[ServiceItem, Category]:
    visible, args = _customer_filter(for_customer, 2)
    rows = await _item_rows(f"i.slug = $1 and {visible}", slug, *args, active_only=for_customer is not None, extra=", " + _ITEM_CATEGORY)
    if not rows:
        raise NotFound("service")
    return _item(rows[0], _addon_list.decode(rows[0]["addons"])), _category(rows[0], prefix="category_")


async def item_titles(item_ids: Iterable[int]) -> dict[int, str]:
    """Items' titles by id, whether offered now or not (lists of orders and reviews name them)."""
    rows = await current_connection().fetch(
        "select id, title from core_service_item where id = any($1::bigint[])", sorted(set(item_ids))
    )
    return {r["id"]: r["title"] for r in rows}


async def skill_choices(also: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The skills to pick from, as (code, label msgid): the named ones, then any the franchise's
    services require or `also` names (a worker's own), labelled by their code."""
    used = await current_connection().fetchval("select coalesce(array_agg(distinct s), '{}') from core_service_item, unnest(required_skills) s")
    extra = sorted((set(used) | set(also)) - set(SKILLS))
    return [*SKILLS.items(), *((code, code) for code in extra)]


def _clean_list(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


async def item_errors(data: ServiceItemCreate) -> dict[str, str]:
    """What is wrong with an item, by field, without raising (for forms with fields of their own)."""
    return await item_field_errors(_normalised(msgspec.structs.asdict(data)))


async def _check_item(values: dict) -> None:
    errors = await item_field_errors(values)
    if errors:
        raise ValidationFailed(errors)


def _normalised(values: dict) -> dict:
    for key in ("title", "summary", "cover_url"):
        values[key] = values[key].strip()
    values["required_skills"] = _clean_list(values["required_skills"])
    values["districts"] = _clean_list(values["districts"])
    if values.get("max_quantity") is None:
        values["max_quantity"] = default_max_quantity(values["pricing_model"], values["min_quantity"])
    return values


_WRITABLE = (
    "category_id", "slug", "title", "summary", "cover_url", "content", "duration_minutes", "pricing_model", "price",
    "min_quantity", "max_quantity", "required_skills", "districts", "booking_fields", "active", "sort_order",
)


def _db_value(column: str, value):
    if column in ("content", "booking_fields"):
        return msgspec.json.encode(value).decode()
    return value


async def _save_addons(tenant_id: int, item_id: int, addons: list[AddonInput]) -> None:
    _kept.written()
    conn = current_connection()
    kept: list[int] = []
    for n, addon in enumerate(addons):
        title = addon.title.strip()
        if addon.id is not None:
            updated = await conn.fetchval(
                "update core_service_addon set title = $3, price = $4, duration_minutes = $5, active = $6, sort_order = $7 "
                "where id = $1 and item_id = $2 returning id",
                addon.id, item_id, title, addon.price, addon.duration_minutes, addon.active, n,
            )
            if updated is not None:
                kept.append(updated)
                continue
        kept.append(await conn.fetchval(
            "insert into core_service_addon (tenant_id, item_id, title, price, duration_minutes, active, sort_order) "
            "values ($1, $2, $3, $4, $5, $6, $7) returning id",
            tenant_id, item_id, title, addon.price, addon.duration_minutes, addon.active, n,
        ))
    await conn.execute("update core_service_addon set active = false where item_id = $1 and id <> all($2)", item_id, kept)


async def create_item(tenant: TenantContext, data: ServiceItemCreate) -> ServiceItem:
    _kept.written()
    values = _normalised(msgspec.structs.asdict(data))
    await _check_item(values)
    columns = list(_WRITABLE)
    placeholders = ", ".join(f"${i}" for i in range(3, len(columns) + 3))
    try:
        item_id = await current_connection().fetchval(
            f"insert into core_service_item (tenant_id, currency, {', '.join(columns)}) values ($1, $2, {placeholders}) returning id",
            tenant.id, tenant.currency, *[_db_value(c, values[c]) for c in columns],
        )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"slug": N_("Another service already uses this web address.")}) from None
    await _save_addons(tenant.id, item_id, data.addons)
    return await get_item(item_id)


async def update_item(tenant: TenantContext, item_id: int, data: ServiceItemUpdate) -> ServiceItem:
    _kept.written()
    current = await get_item(item_id)
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    addons = changes.pop("addons", None)
    values = _normalised({**msgspec.structs.asdict(current), **changes, "addons": addons})
    await _check_item(values)
    columns = [c for c in _WRITABLE if c in changes]
    if columns:
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
        try:
            await current_connection().execute(
                f"update core_service_item set {sets}, updated_at = now() where id = $1",
                item_id, *[_db_value(c, values[c]) for c in columns],
            )
        except asyncpg.UniqueViolationError:
            raise ValidationFailed({"slug": N_("Another service already uses this web address.")}) from None
    if addons is not None:
        await _save_addons(tenant.id, item_id, addons)
    return await get_item(item_id)
