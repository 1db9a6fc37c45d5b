"""The catalog's answers for a booking: how many units, hours or m² an item may be booked for,
whether it is a long stay (booked by its start date), how long the visit lasts, the base lines of
its price, and its booking form (its own fields, its plugin category's and the plugins'). No HTTP
here."""

from __future__ import annotations

from typing import Iterable

import msgspec

from platform_core.errors import ValidationFailed
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import BookingFieldSpec, BookingForm
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    LONG_STAY_MINUTES,
    MAX_DURATION,
    BookingField,
    PriceLine,
    ServiceItem,
)
from .services import plugin_category_specs

UNITS = {"fixed": "item", "hourly": "hour", "per_sqm": "sqm", "quote": "visit"}
# Field messages by unit, below the least and above the most a booking may ask for.
_TOO_FEW = {"hour": N_("Book at least %(count)s hours."), "sqm": N_("Enter at least %(count)s m²."), "item": N_("Book at least %(count)s.")}
_TOO_MANY = {"hour": N_("Book at most %(count)s hours."), "sqm": N_("Enter at most %(count)s m²."), "item": N_("Book at most %(count)s.")}


def is_long_stay(item: ServiceItem) -> bool:
    """A stay of a day or more (maternity care, a live-in nanny) is booked by its start date."""
    return item.duration_minutes >= LONG_STAY_MINUTES


def counts_quantity(item: ServiceItem) -> bool:
    """Whether the booking form asks how many: hours, m², or units of a fixed-price item that
    allows more than one. A quote is one inspection visit."""
    return item.pricing_model in ("hourly", "per_sqm") or (item.pricing_model == "fixed" and item.max_quantity > 1)


def quantity_error(item: ServiceItem, quantity: int | None) -> str | None:
    """What is wrong with asking this item for `quantity` (None: its minimum), translated, or
    None. Below the minimum or above the maximum is refused, never quietly changed."""
    if quantity is None or not counts_quantity(item):
        return None
    unit = UNITS[item.pricing_model]
    if quantity < item.min_quantity:
        return gettext(_TOO_FEW[unit], count=item.min_quantity)
    if quantity > item.max_quantity:
        return gettext(_TOO_MANY[unit], count=item.max_quantity)
    return None


def visit_minutes(item: ServiceItem, quantity: int | None) -> int:
    """How long the visit takes, as the slot engine counts it: an hourly item the hours booked,
    a fixed-price item its duration per unit; a quantity outside the limits counts as the nearest
    limit (it is refused anyway, but the time can still be checked, so every error shows at once)."""
    count = min(max(quantity or item.min_quantity, item.min_quantity), item.max_quantity)
    if item.pricing_model == "hourly":
        return count * 60
    if item.pricing_model == "fixed" and counts_quantity(item):
        return min(item.duration_minutes * count, MAX_DURATION)
    return item.duration_minutes


def quote_base(item: ServiceItem, quantity: int | None, addon_ids: Iterable[int] = ()) -> list[PriceLine]:
    """The base line of a booking by the item's pricing model, then one line per add-on chosen;
    every field error at once (`quantity`, `addon_ids`).

    fixed: the price per unit (one unit unless the item allows more); hourly and per_sqm: the
    price times the hours or m² asked for, within the item's limits (None: its minimum); quote:
    the inspection fee (the real price comes after the visit)."""
    errors: dict[str, str] = {}
    if (problem := quantity_error(item, quantity)) is not None:
        errors["quantity"] = problem
    count = (quantity or item.min_quantity) if counts_quantity(item) else 1
    lines = [PriceLine(
        kind="base", label=item.title, quantity=count, unit_amount=item.price, amount=item.price * count,
        unit=UNITS[item.pricing_model],
    )]
    offered = {a.id: a for a in item.addons if a.active}
    for addon_id in dict.fromkeys(addon_ids):
        addon = offered.get(addon_id)
        if addon is None:
            errors["addon_ids"] = N_("That add-on is not offered with this service.")
            continue
        lines.append(PriceLine(
            kind="addon", label=addon.title, quantity=1, unit_amount=addon.price, amount=addon.price, addon_id=addon.id,
        ))
    if errors:
        raise ValidationFailed(errors)
    return lines


def _plugin_field(plugin: str, spec: BookingFieldSpec) -> BookingField:
    return BookingField(**msgspec.structs.asdict(spec), source=plugin)


def booking_fields_for(tenant: TenantContext, item: ServiceItem) -> list[BookingField]:
    """The whole booking form of an item: its own fields, then its plugin category's, then those
    plugins add through compute_booking_fields. A later field with a name already taken is
    dropped, so a plugin can not replace the franchise's."""
    fields = list(item.booking_fields)
    spec = plugin_category_specs(tenant).get(item.category_code)
    if spec is not None:
        fields += [_plugin_field(spec[0], f) for f in spec[1].booking_fields]
    form = BookingForm(tenant=tenant, category=item.category_code)
    fields += [_plugin_field(plugin, f) for plugin, f in collect_now(current_runtime().hooks(tenant).compute_booking_fields, form=form)]
    taken: set[str] = set()
    merged = []
    for field in fields:
        if field.name not in taken:
            taken.add(field.name)
            merged.append(field)
    return merged
