"""The franchise console's catalog (catalog.manage): the category tree (create, edit, reorder,
deactivate) and service items with every field, a block editor for their content, their add-ons
and their booking form's fields (console_fields.py). Pages work without JavaScript: the block editor's add, move and remove buttons post the
form back and get it re-rendered with the change, unsaved, until "Save"."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.response import Redirect

from platform_core.accounts.guards import require_console
from platform_core.bounds import is_digits
from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    done_notice,
    error_context,
    form_data,
    format_money_input,
    move_row,
    parse_money,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .console_fields import (
    FIELD_LABELS,
    apply_field_op,
    fields_from_rows,
    rows_from_fields,
    rows_from_form,
)
from .console_form import DURATION_LABELS, duration_parts, item_form
from .schemas import (
    BLOCK_TYPES,
    MIN_DURATION,
    PRICING_MODELS,
    Category,
    CategoryCreate,
    CategoryUpdate,
    ServiceItem,
    ServiceItemCreate,
    ServiceItemUpdate,
)

GUARD = [require_console("catalog.manage")]
BASE = "/console/catalog"

# The category icons of catalog/_macros.html and a few of the console's.
ICON_OPTIONS = [
    (name, name) for name in ("broom", "sparkle", "snowflake", "washer", "hood", "wrench", "baby", "heart", "home", "users", "star", "building")
]
PRICING_LABELS = {
    "fixed": N_("Fixed price"), "hourly": N_("Per hour"), "per_sqm": N_("Per square metre"), "quote": N_("Quote after an inspection"),
}
BLOCK_LABELS = {"text": N_("Text"), "image": N_("Picture"), "video": N_("Video"), "steps": N_("Steps"), "result": N_("Result")}
NOTICES = {
    "category-created": N_("The category has been added."),
    "category-saved": N_("The category has been saved."),
    "item-created": N_("The service has been added."),
    "item-saved": N_("The service has been saved."),
}


def _int(values: dict[str, str], name: str, errors: dict[str, str], default: int | None = None) -> int | None:
    text = values.get(name, "").strip()
    if not text:
        if default is None:
            errors[name] = N_("This field is required.")
        return default
    if not re.fullmatch(r"-?\d{1,9}", text):
        errors[name] = N_("Enter a whole number.")
        return default
    return int(text)


def _money(values: dict[str, str], name: str, currency: str, errors: dict[str, str]) -> int:
    try:
        return parse_money(values.get(name, "") or "0", currency)
    except ValueError:
        errors[name] = N_("Enter an amount like 50 or 49.90.")
        return 0


def _tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，、\n]", text) if t.strip()]


# --------------------------------------------------------------------------- categories


async def _catalog_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    tenant = current_tenant()
    tree = await services.list_categories(tenant, for_customer=False)
    items: dict[int, list[ServiceItem]] = {}
    for item in await services.list_items():
        items.setdefault(item.category_id, []).append(item)
    context.setdefault("errors", {})
    context.setdefault("values", {"icon": "home", "sort_order": "0"})
    rows = services.flatten(tree)
    return page(
        request, "catalog/console_catalog.html", console=True, status_code=status_code, rows=rows, items=items,
        parent_options=parent_options(rows), icon_options=ICON_OPTIONS, pricing_labels=PRICING_LABELS,
        flash=done_notice(request, NOTICES), **context,
    )


def parent_options(rows: list[tuple[int, Category]]) -> list[tuple[int, str]]:
    """(id, title indented by depth) for a parent picker."""
    return [(c.id, "\u3000" * depth + c.title) for depth, c in rows]


def _category_input(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    parent = values.get("parent_id", "").strip()
    return {
        "code": values.get("code", "").strip(), "title": values.get("title", ""), "summary": values.get("summary", ""),
        "icon": values.get("icon", "home"), "parent_id": _int(values, "parent_id", errors) if parent else None,
        "sort_order": _int(values, "sort_order", errors, 0), "active": values.get("active") == "1",
    }


@get(BASE, guards=GUARD, include_in_schema=False, name="console-catalog")
async def catalog_page(request: Request) -> Response:
    return await _catalog_page(request)


async def _category_data(values: dict[str, str], category_id: int | None = None) -> CategoryCreate:
    """The form as a category; every field error at once, the form's own and the service's."""
    errors: dict[str, str] = {}
    data = CategoryCreate(**_category_input(values, errors))
    errors = {**await services.category_errors(data, category_id), **errors}
    if errors:
        raise ValidationFailed(errors)
    return data


@post(f"{BASE}/categories", guards=GUARD, include_in_schema=False, name="console-catalog-category-create")
async def category_create(request: Request) -> Response:
    values = await form_data(request)
    try:
        data = await _category_data({**values, "active": "1"})
        await services.create_category(current_tenant(), data)
    except HearthError as exc:
        return await _catalog_page(request, status_code=exc.status_code, values=values, create_failed=True, **error_context(exc))
    return Redirect(f"{BASE}?done=category-created", status_code=303)


async def _category_page(request: Request, category_id: int, *, status_code: int = 200, **context: Any) -> Response:
    category = await services.get_category(category_id)
    tree = await services.list_categories(current_tenant(), for_customer=False)
    context.setdefault("errors", {})
    context.setdefault("values", {
        "code": category.code, "title": category.title, "summary": category.summary, "icon": category.icon,
        "parent_id": category.parent_id or "", "sort_order": category.sort_order, "active": "1" if category.active else "",
    })
    return page(
        request, "catalog/console_category.html", console=True, status_code=status_code, category=category,
        parent_options=parent_options([(d, c) for d, c in services.flatten(tree) if c.id != category_id]),
        icon_options=ICON_OPTIONS, **context,
    )


@get(f"{BASE}/categories/{{category_id:int}}", guards=GUARD, include_in_schema=False, name="console-catalog-category")
async def category_page(request: Request, category_id: PathId) -> Response:
    return await _category_page(request, category_id)


@post(f"{BASE}/categories/{{category_id:int}}", guards=GUARD, include_in_schema=False, name="console-catalog-category-update")
async def category_update(request: Request, category_id: PathId) -> Response:
    values = await form_data(request)
    try:
        data = await _category_data(values, category_id)
        await services.update_category(category_id, CategoryUpdate(**msgspec.structs.asdict(data)))
    except HearthError as exc:
        return await _category_page(request, category_id, status_code=exc.status_code, values=values, **error_context(exc))
    return Redirect(f"{BASE}?done=category-saved", status_code=303)


@post(f"{BASE}/categories/{{category_id:int}}/move", guards=GUARD, include_in_schema=False, name="console-catalog-category-move")
async def category_move(request: Request, category_id: PathId) -> Response:
    direction = (await form_data(request)).get("direction")
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": N_("This value is not valid.")})
    await services.move_category(category_id, direction)  # type: ignore[arg-type]
    return Redirect(f"{BASE}#category-{category_id}", status_code=303)


@post(f"{BASE}/categories/{{category_id:int}}/active", guards=GUARD, include_in_schema=False, name="console-catalog-category-active")
async def category_active(request: Request, category_id: PathId) -> Response:
    active = (await form_data(request)).get("active") == "1"
    await services.update_category(category_id, CategoryUpdate(active=active))
    return Redirect(f"{BASE}?done=category-saved#category-{category_id}", status_code=303)


# --------------------------------------------------------------------------- items: the form as a draft


def draft_from_item(item: ServiceItem) -> dict[str, Any]:
    """The item as the form shows it: strings, prices in the major unit, blocks and add-ons as rows."""
    blocks = []
    for block in msgspec.to_builtins(item.content):
        if block["type"] == "steps":
            block["steps"] = "\n".join(
                f"{s['title']} | {s['detail']}" if s.get("detail") else s["title"] for s in block["steps"]
            )
        blocks.append({k: str(v) for k, v in block.items()})
    return {
        "category_id": str(item.category_id), "slug": item.slug, "title": item.title, "summary": item.summary,
        "cover_url": item.cover_url, "duration_minutes": str(item.duration_minutes), "pricing_model": item.pricing_model,
        "price": format_money_input(item.price, item.currency), "min_quantity": str(item.min_quantity),
        "max_quantity": str(item.max_quantity),
        "required_skills": ", ".join(item.required_skills), "districts": ", ".join(item.districts),
        "active": "1" if item.active else "", "sort_order": str(item.sort_order),
        "content": blocks,
        "booking_fields": rows_from_fields(item.booking_fields),
        "addons": [
            {"id": str(a.id), "title": a.title, "price": format_money_input(a.price, item.currency),
             "duration_minutes": str(a.duration_minutes), "active": "1" if a.active else ""}
            for a in item.addons
        ],
    }


BLOCK_FIELDS = {
    "text": ("title", "body"), "image": ("url", "caption"), "video": ("url", "poster", "caption"),
    "steps": ("title", "steps"), "result": ("title", "body", "image_url"),
}
ADDON_FIELDS = ("id", "title", "price", "duration_minutes", "active")


def draft_from_form(values: dict[str, str]) -> dict[str, Any]:
    draft: dict[str, Any] = {k: v for k, v in values.items() if not k.startswith(("content-", "addon-", "field-")) and k != "op"}
    blocks = []
    n = 0
    while f"content-{n}-type" in values:
        kind = values[f"content-{n}-type"]
        if kind in BLOCK_FIELDS:
            blocks.append({"type": kind, **{f: values.get(f"content-{n}-{f}", "") for f in BLOCK_FIELDS[kind]}})
        n += 1
    addons = []
    n = 0
    while f"addon-{n}-title" in values:
        row = {f: values.get(f"addon-{n}-{f}", "") for f in ADDON_FIELDS}
        if row["id"] or row["title"].strip() or row["price"].strip():
            addons.append(row)
        n += 1
    draft["content"], draft["addons"], draft["booking_fields"] = blocks, addons, rows_from_form(values)
    return draft


def apply_op(draft: dict[str, Any], op: str) -> None:
    """The block editor's buttons: add-block:<type>, up:<n>, down:<n>, remove:<n>, add-addon;
    and the booking fields' (console_fields.apply_field_op)."""
    action, _, arg = op.partition(":")
    blocks = draft["content"]
    if apply_field_op(draft["booking_fields"], action, arg):
        return
    if action == "add-block" and arg in BLOCK_TYPES:
        blocks.append({"type": arg, **{f: "" for f in BLOCK_FIELDS[arg]}})
    elif action == "add-addon":
        draft["addons"].append({f: "" for f in ADDON_FIELDS} | {"active": "1"})
    elif action in ("up", "down", "remove"):
        move_row(blocks, action, arg)


def _block(block: dict[str, str]) -> dict[str, Any]:
    if block["type"] != "steps":
        return block
    steps = []
    for line in block["steps"].splitlines():
        title, _, detail = line.partition("|")
        if title.strip():
            steps.append({"title": title.strip(), "detail": detail.strip()})
    return {**block, "steps": steps}


async def item_input(draft: dict[str, Any], currency: str) -> ServiceItemCreate:
    """The draft as an item; ValidationFailed with every field error at once, the form's own (what
    does not parse) and the service's."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "category_id": _int(draft, "category_id", errors, 0), "slug": draft.get("slug", "").strip(),
        "title": draft.get("title", ""), "summary": draft.get("summary", ""), "cover_url": draft.get("cover_url", ""),
        "duration_minutes": _int(draft, "duration_minutes", errors, MIN_DURATION), "pricing_model": draft.get("pricing_model", ""),
        "price": _money(draft, "price", currency, errors), "min_quantity": _int(draft, "min_quantity", errors, 1),
        # Left blank: the pricing model's default (catalog.schemas.default_max_quantity).
        "max_quantity": _int(draft, "max_quantity", errors, 0) or None,
        "required_skills": _tags(draft.get("required_skills", "")), "districts": _tags(draft.get("districts", "")),
        "active": draft.get("active") == "1", "sort_order": _int(draft, "sort_order", errors, 0),
        "content": [_block(b) for b in draft["content"]],
        "booking_fields": fields_from_rows(draft["booking_fields"], errors),
    }
    if data["pricing_model"] not in PRICING_MODELS:
        errors["pricing_model"] = N_("Choose how the service is priced.")
        data["pricing_model"] = "fixed"
    addons = []
    for n, row in enumerate(draft["addons"]):
        addon_errors: dict[str, str] = {}
        addons.append({
            "id": int(row["id"]) if is_digits(row["id"]) else None, "title": row["title"],
            "price": _money(row, "price", currency, addon_errors),
            "duration_minutes": _int(row, "duration_minutes", addon_errors, 0), "active": row.get("active") == "1",
        })
        errors.update({f"addon-{n}-{k}": v for k, v in addon_errors.items()})
    data["addons"] = addons
    item = msgspec.convert(data, ServiceItemCreate)
    errors = {**await services.item_errors(item), **errors}
    if not draft.get("category_id"):
        errors["category_id"] = N_("This field is required.")
    if errors:
        raise ValidationFailed(errors)
    return item


async def _item_page(request: Request, item: ServiceItem | None, draft: dict[str, Any], *, status_code: int = 200, **context: Any) -> Response:
    tree = await services.list_categories(current_tenant(), for_customer=False)
    context.setdefault("errors", {})
    return page(
        request, "catalog/console_item.html", console=True, status_code=status_code, item=item, values=draft,
        categories_options=[("", "—")] + parent_options(services.flatten(tree)),
        pricing_options=[(k, _(v)) for k, v in PRICING_LABELS.items()], block_labels=BLOCK_LABELS, field_labels=FIELD_LABELS,
        skill_choices=await services.skill_choices(), duration=duration_parts(str(draft.get("duration_minutes", ""))),
        duration_units=DURATION_LABELS,
        currency=current_tenant().currency, flash=done_notice(request, NOTICES), **context,
    )


async def _save(request: Request, item: ServiceItem | None) -> Response:
    values, upload_errors = await item_form(request)
    draft = draft_from_form(values)
    if values.get("op"):
        apply_op(draft, values["op"])
        return await _item_page(request, item, draft, errors=upload_errors)
    tenant = current_tenant()
    try:
        if upload_errors:
            raise ValidationFailed(upload_errors)
        data = await item_input(draft, tenant.currency)
        if item is None:
            item = await services.create_item(tenant, data)
            done = "item-created"
        else:
            item = await services.update_item(tenant, item.id, ServiceItemUpdate(**msgspec.structs.asdict(data)))
            done = "item-saved"
    except HearthError as exc:
        return await _item_page(request, item, draft, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"{BASE}/items/{item.id}?done={done}", status_code=303)


@get(f"{BASE}/items/new", guards=GUARD, include_in_schema=False, name="console-catalog-item-new")
async def item_new(request: Request) -> Response:
    draft = {
        "category_id": request.query_params.get("category", ""), "pricing_model": "fixed", "min_quantity": "1",
        "max_quantity": "1", "duration_minutes": "120", "active": "1", "sort_order": "0", "content": [], "addons": [],
        "booking_fields": [],
    }
    return await _item_page(request, None, draft)


@post(f"{BASE}/items", guards=GUARD, include_in_schema=False, name="console-catalog-item-create")
async def item_create(request: Request) -> Response:
    return await _save(request, None)


@get(f"{BASE}/items/{{item_id:int}}", guards=GUARD, include_in_schema=False, name="console-catalog-item")
async def item_page(request: Request, item_id: PathId) -> Response:
    item = await services.get_item(item_id)
    return await _item_page(request, item, draft_from_item(item))


@post(f"{BASE}/items/{{item_id:int}}", guards=GUARD, include_in_schema=False, name="console-catalog-item-update")
async def item_update(request: Request, item_id: PathId) -> Response:
    return await _save(request, await services.get_item(item_id))


HANDLERS = [
    catalog_page, category_create, category_page, category_update, category_move, category_active,
    item_new, item_create, item_page, item_update,
]
