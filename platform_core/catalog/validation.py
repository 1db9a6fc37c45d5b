"""Field checks of categories and items, by field name as the console's forms name their inputs
(content-<n>-<field> for blocks, addon-<n>-<field> for add-ons). Messages are msgids."""

from __future__ import annotations

import re

from platform_core.db import current_connection
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    CODE_PATTERN,
    FIELD_NAME_PATTERN,
    MAX_DURATION,
    MIN_DURATION,
    QUANTITY_CEILING,
    SLUG_PATTERN,
    BookingField,
    ContentBlock,
    ImageBlock,
    ResultBlock,
    StepsBlock,
    TextBlock,
    VideoBlock,
)

REQUIRED = N_("This field is required.")


async def category_field_errors(values: dict, category_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not re.match(CODE_PATTERN, values["code"] or "") or len(values["code"]) > 63:
        errors["code"] = N_("Use lowercase letters, digits, - and _, starting with a letter or digit.")
    if not values["title"].strip():
        errors["title"] = REQUIRED
    elif len(values["title"]) > 100:
        errors["title"] = N_("This is too long.")
    if len(values["summary"]) > 300:
        errors["summary"] = N_("This is too long.")
    if not re.match(r"^[a-z0-9-]{1,40}$", values["icon"] or ""):
        errors["icon"] = N_("This value is not valid.")
    parent_id = values["parent_id"]
    if parent_id is not None:
        conn = current_connection()
        if not await conn.fetchval("select exists(select 1 from core_service_category where id = $1)", parent_id):
            errors["parent_id"] = N_("That category does not exist.")
        elif category_id is not None:
            # The new parent may not be the category itself or one of its descendants.
            looped = await conn.fetchval(
                "with recursive up(id, parent_id) as ("
                "  select id, parent_id from core_service_category where id = $1"
                "  union select c.id, c.parent_id from core_service_category c join up on c.id = up.parent_id"
                ") select exists(select 1 from up where id = $2)",
                parent_id, category_id,
            )
            if looped:
                errors["parent_id"] = N_("A category can not be placed under itself or one of its subcategories.")
    return errors


def _url_ok(url: str) -> bool:
    return url == "" or url.startswith(("https://", "http://", "/")) and not url.startswith("//") and len(url) <= 500


def _check_blocks(blocks: list[ContentBlock], errors: dict[str, str]) -> None:
    """Field names `content-<n>-<field>`, as the console's block editor names its inputs."""
    for n, block in enumerate(blocks):
        key = f"content-{n}"
        if isinstance(block, (TextBlock, ResultBlock)) and not block.body.strip():
            errors[f"{key}-body"] = REQUIRED
        if isinstance(block, (ImageBlock, VideoBlock)):
            if not block.url.strip():
                errors[f"{key}-url"] = REQUIRED
            elif not _url_ok(block.url):
                errors[f"{key}-url"] = N_("Enter a web address starting with https:// or /.")
        if isinstance(block, VideoBlock) and not _url_ok(block.poster):
            errors[f"{key}-poster"] = N_("Enter a web address starting with https:// or /.")
        if isinstance(block, ResultBlock) and not _url_ok(block.image_url):
            errors[f"{key}-image_url"] = N_("Enter a web address starting with https:// or /.")
        if isinstance(block, StepsBlock) and not [s for s in block.steps if s.title.strip()]:
            errors[f"{key}-steps"] = N_("Add at least one step.")


async def item_field_errors(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    slug = values["slug"] or ""
    if not re.match(SLUG_PATTERN, slug) or len(slug) > 80:
        errors["slug"] = N_("Use lowercase letters, digits and -, starting with a letter or digit.")
    if not values["title"].strip():
        errors["title"] = REQUIRED
    elif len(values["title"]) > 120:
        errors["title"] = N_("This is too long.")
    if len(values["summary"]) > 300:
        errors["summary"] = N_("This is too long.")
    if not _url_ok(values["cover_url"]):
        errors["cover_url"] = N_("Enter a web address starting with https:// or /.")
    if not MIN_DURATION <= values["duration_minutes"] <= MAX_DURATION:
        errors["duration_minutes"] = N_("Between 15 minutes and 60 days.")
    if values["price"] < 0:
        errors["price"] = N_("The price can not be negative.")
    if values["min_quantity"] < 1:
        errors["min_quantity"] = N_("At least 1.")
    elif not values["min_quantity"] <= values["max_quantity"] <= QUANTITY_CEILING:
        errors["max_quantity"] = N_("Between the minimum and 1000.")
    elif values["pricing_model"] == "quote" and values["max_quantity"] > 1:
        errors["max_quantity"] = N_("A quote is one inspection visit: leave this at 1.")
    errors.update(booking_field_errors(values["booking_fields"]))
    for n, addon in enumerate(values["addons"] or []):
        if not addon.title.strip():
            errors[f"addon-{n}-title"] = REQUIRED
        if addon.price < 0:
            errors[f"addon-{n}-price"] = N_("The price can not be negative.")
        if addon.duration_minutes < 0:
            errors[f"addon-{n}-duration_minutes"] = N_("This value is not valid.")
    _check_blocks(values["content"], errors)
    if not await current_connection().fetchval(
        "select exists(select 1 from core_service_category where id = $1)", values["category_id"]
    ):
        errors["category_id"] = N_("That category does not exist.")
    return errors


def booking_field_errors(fields: list[BookingField]) -> dict[str, str]:
    """The item's own booking fields, by the console's field editor names (field-<n>-<attr>)."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for n, field in enumerate(fields):
        key = f"field-{n}"
        if not re.match(FIELD_NAME_PATTERN, field.name):
            errors[f"{key}-name"] = N_("Use lowercase letters, digits and _, starting with a letter (at most 40).")
        elif field.name in seen:
            errors[f"{key}-name"] = N_("Another field of this service already uses this name.")
        seen.add(field.name)
        if not field.label.strip():
            errors[f"{key}-label"] = REQUIRED
        elif len(field.label) > 100:
            errors[f"{key}-label"] = N_("This is too long.")
        if len(field.help) > 200:
            errors[f"{key}-help"] = N_("This is too long.")
        if field.type == "select":
            if not field.choices:
                errors[f"{key}-choices"] = N_("Add at least one choice, one a line.")
            elif len(field.choices) > 30 or any(len(c) > 100 for c in field.choices):
                errors[f"{key}-choices"] = N_("At most 30 choices of 100 characters each.")
        if field.min is not None and field.max is not None and field.min > field.max:
            errors[f"{key}-max"] = N_("The largest value can not be below the smallest.")
    if len(fields) > 30:
        errors["fields"] = N_("A service has at most 30 booking fields.")
    return errors
