"""The catalog's boundary types: categories (a tree), service items with their content blocks and
add-ons, booking fields, and the base price lines of a quote. Money is in minor units."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

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
    Ratio,
    Text,
    Url,
)
from platform_core.web.i18n import lazy_gettext as N_

PricingModel = Literal["fixed", "hourly", "per_sqm", "quote"]
PRICING_MODELS: tuple[str, ...] = ("fixed", "hourly", "per_sqm", "quote")
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
# The database's bounds (catalog_0001_initial.py): a quarter of an hour up to 60 days.
MIN_DURATION, MAX_DURATION = 15, 86400
# A visit of a day or more is a long stay (maternity care, a live-in nanny): it is booked by its
# start date, never "as soon as possible" or on a slot of the day's grid.
LONG_STAY_MINUTES = 1440
# The most any item may let a booking ask for (catalog_0002_quantity_limits.py checks it too).
QUANTITY_CEILING = 1000
# An item's own limits when none are given: one unit, one visit; a working day of hours; a large flat.
DEFAULT_MAX_QUANTITY = {"fixed": 1, "quote": 1, "hourly": 12, "per_sqm": 500}


def default_max_quantity(pricing_model: str, min_quantity: int) -> int:
    return max(DEFAULT_MAX_QUANTITY.get(pricing_model, 1), min_quantity)


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


FieldType = Literal["text", "textarea", "number", "select", "checkbox", "date", "photo"]
FIELD_TYPES: tuple[str, ...] = ("text", "textarea", "number", "select", "checkbox", "date", "photo")
FIELD_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class BookingField(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A field of an item's booking form: the item's own, its plugin category's, or one a plugin
    adds through compute_booking_fields. `label` is shown as given (plugins translate their own).
    A number may have bounds (`min`, `max`); a photo's answer is the URL of an upload."""

    name: Name
    label: Name
    type: FieldType = "text"
    required: bool = False
    choices: Annotated[list[Line], Meta(max_length=100)] = []
    help: Line = ""
    min: Ratio | None = None
    max: Ratio | None = None
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
    price: int  # minor units: the fixed price, per unit, per hour, per m², or a quote's inspection fee
    # What a booking may ask for, in the pricing model's unit (units, hours, m²); a quote is one visit.
    min_quantity: int
    max_quantity: int
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
    max_quantity: Count | None = None  # None: DEFAULT_MAX_QUANTITY of the pricing model
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
    max_quantity: Count | UnsetType = UNSET
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
    long_stay: bool = False  # booked by a start date: no "as soon as possible", no slots


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


# The skills a service can require and a worker can have, by name: the console offers these as a
# list to tick (a franchise's own, from its tenant file, show beside them). Labels are msgids.
SKILLS: dict[str, str] = {
    "cleaning": N_("Home cleaning"), "deep_cleaning": N_("Deep cleaning"), "ac_cleaning": N_("Air conditioner cleaning"),
    "appliance_repair": N_("Appliance repair"), "nanny": N_("Nanny"), "maternity": N_("Maternity care"),
    "infant_care": N_("Infant care"), "elder_care": N_("Elder care"),
}



class ItemRef(msgspec.Struct, frozen=True, kw_only=True):
    """A bookable item as other domains and plugins name it: what to show and where it lives."""

    id: int
    slug: str
    title: str
    category: str  # the category's code
    url: str  # the item's page on the booking site
    pricing_model: str = ""  # fixed, hourly (booked by the hour), per_sqm, quote
    price: int = 0  # minor units, per unit of the pricing model
    currency: str = ""


class CategoryRef(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    title: str
