"""The catalog's boundary types: categories (a tree), service items with their content blocks and
add-ons, booking fields, and the base price lines of a quote. Money is in minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

from platform_core.bounds import (
    Code,
    Codes,
    Count,
    Id,
    Int64,
    Line,
    Minor,
    Minutes,
    Name,
    Text,
    Url,
)

PricingModel = Literal["fixed", "hourly", "per_sqm", "quote"]
PRICING_MODELS: tuple[str, ...] = ("fixed", "hourly", "per_sqm", "quote")
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
# The database's bounds (catalog_0001_initial.py): a quarter of an hour up to 60 days.
MIN_DURATION, MAX_DURATION = 15, 86400


# --------------------------------------------------------------------------- content blocks


class TextBlock(msgspec.Struct, tag="text", kw_only=True):
    body: str
    title: str = ""


class ImageBlock(msgspec.Struct, tag="image", kw_only=True):
    url: str
    caption: str = ""


class VideoBlock(msgspec.Struct, tag="video", kw_only=True):
    """A video file by URL, played with <video controls>."""

    url: str
    poster: str = ""
    caption: str = ""


class Step(msgspec.Struct, kw_only=True):
    title: str
    detail: str = ""


class StepsBlock(msgspec.Struct, tag="steps", kw_only=True):
    """The steps of the service, shown numbered."""

    steps: list[Step]
    title: str = ""


class ResultBlock(msgspec.Struct, tag="result", kw_only=True):
    """What the home looks like afterwards."""

    body: str
    title: str = ""
    image_url: str = ""


ContentBlock = TextBlock | ImageBlock | VideoBlock | StepsBlock | ResultBlock
BLOCK_TYPES: tuple[str, ...] = ("text", "image", "video", "steps", "result")


# --------------------------------------------------------------------------- booking fields


class BookingField(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A field of an item's booking form: the item's own, its plugin category's, or one a plugin
    adds through compute_booking_fields. `label` is shown as given (plugins translate their own)."""

    name: Name
    label: Name
    type: Literal["text", "textarea", "number", "select", "checkbox", "date"] = "text"
    required: bool = False
    choices: list[str] = []
    help: Line = ""
    source: Line = ""  # "" for the item's own fields, else the plugin's name


# --------------------------------------------------------------------------- categories


class Category(msgspec.Struct, kw_only=True):
    id: int
    code: str
    title: str
    summary: str
    icon: str
    parent_id: int | None
    sort_order: int
    active: bool
    source_plugin: str | None = None
    children: list[Category] = []
    item_count: int = 0


class CategoryCreate(msgspec.Struct, kw_only=True):
    code: Code
    title: Line
    summary: Text = ""
    icon: Code = "home"
    parent_id: Id | None = None
    sort_order: Int64 = 0
    active: bool = True


class CategoryUpdate(msgspec.Struct, kw_only=True):
    code: Code | UnsetType = UNSET
    title: Line | UnsetType = UNSET
    summary: Text | UnsetType = UNSET
    icon: Code | UnsetType = UNSET
    parent_id: Id | None | UnsetType = UNSET
    sort_order: Int64 | UnsetType = UNSET
    active: bool | UnsetType = UNSET


# --------------------------------------------------------------------------- items and add-ons


class Addon(msgspec.Struct, kw_only=True):
    id: int
    title: str
    price: int
    duration_minutes: int
    active: bool
    sort_order: int


class AddonInput(msgspec.Struct, kw_only=True):
    """An add-on as an item's form or API sends it: with its id to change one, without to add
    one. Add-ons left out of an update are deactivated, not deleted (orders point at them)."""

    title: Line
    price: Minor
    id: Id | None = None
    duration_minutes: Minutes = 0
    active: bool = True


class ServiceItem(msgspec.Struct, kw_only=True):
    id: int
    category_id: int
    category_code: str
    slug: str
    title: str
    summary: str
    cover_url: str
    content: list[ContentBlock]
    duration_minutes: int
    pricing_model: PricingModel
    price: int  # minor units: the fixed price, per hour, per m², or a quote's inspection fee
    min_quantity: int
    currency: str
    required_skills: list[str]
    districts: list[str]
    booking_fields: list[BookingField]
    active: bool
    sort_order: int
    addons: list[Addon] = []
    updated_at: datetime | None = None


class ServiceItemCreate(msgspec.Struct, kw_only=True):
    category_id: Id
    slug: Code
    title: Line
    duration_minutes: Minutes
    pricing_model: PricingModel
    price: Minor
    summary: Text = ""
    cover_url: Url = ""
    content: list[ContentBlock] = []
    min_quantity: Count = 1
    required_skills: Codes = []
    districts: Codes = []
    booking_fields: list[BookingField] = []
    addons: list[AddonInput] = []
    active: bool = True
    sort_order: Int64 = 0


class ServiceItemUpdate(msgspec.Struct, kw_only=True):
    category_id: Id | UnsetType = UNSET
    slug: Code | UnsetType = UNSET
    title: Line | UnsetType = UNSET
    duration_minutes: Minutes | UnsetType = UNSET
    pricing_model: PricingModel | UnsetType = UNSET
    price: Minor | UnsetType = UNSET
    summary: Text | UnsetType = UNSET
    cover_url: Url | UnsetType = UNSET
    content: list[ContentBlock] | UnsetType = UNSET
    min_quantity: Count | UnsetType = UNSET
    required_skills: Codes | UnsetType = UNSET
    districts: Codes | UnsetType = UNSET
    booking_fields: list[BookingField] | UnsetType = UNSET
    addons: list[AddonInput] | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    sort_order: Int64 | UnsetType = UNSET


class ServiceItemDetail(msgspec.Struct, kw_only=True):
    """An item as the customer API shows it: with its category and the whole booking form."""

    item: ServiceItem
    category: Category
    form_fields: list[BookingField]


# --------------------------------------------------------------------------- quotes


class PriceLine(msgspec.Struct, kw_only=True):
    kind: Literal["base", "addon"]
    label: str
    quantity: int
    unit_amount: int
    amount: int
    # "hour", "sqm", "visit" (a quote's inspection) or "item"
    unit: str = "item"
    addon_id: int | None = None

