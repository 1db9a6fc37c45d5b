"""The console's booking-fields editor of a service: the questions its booking form asks (short
or long text, a number with bounds, a choice, a checkbox, a date, a photo). Like the block editor,
rows are posted back: add, move and remove re-render the form with the change, unsaved, until
"Save". A field's name (the key of the answer in the order's data) is made when the row is added
and never shown: nobody types codes."""

from __future__ import annotations

import math
import secrets
from typing import Any

from platform_core.web.forms import move_row
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import FIELD_TYPES, BookingField

FIELD_LABELS = {
    "text": N_("Short text"), "textarea": N_("Long text"), "number": N_("A number"), "select": N_("Choice"),
    "checkbox": N_("Checkbox"), "date": N_("Date"), "photo": N_("Photo"),
}
ROW = ("name", "label", "type", "required", "choices", "help", "min", "max")


def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def rows_from_fields(fields: list[BookingField]) -> list[dict[str, str]]:
    """The item's own fields as the editor's rows of strings."""
    return [
        {"name": f.name, "label": f.label, "type": f.type, "required": "1" if f.required else "",
         "choices": "\n".join(f.choices), "help": f.help, "min": _number_text(f.min), "max": _number_text(f.max)}
        for f in fields
    ]


def rows_from_form(values: dict[str, str]) -> list[dict[str, str]]:
    rows = []
    n = 0
    while f"field-{n}-type" in values:
        rows.append({k: values.get(f"field-{n}-{k}", "") for k in ROW})
        n += 1
    return rows


def apply_field_op(rows: list[dict[str, str]], action: str, arg: str) -> bool:
    """field-add:<type>, field-up:<n>, field-down:<n>, field-remove:<n>; False if not ours."""
    if action == "field-add" and arg in FIELD_TYPES:
        rows.append({k: "" for k in ROW} | {"type": arg, "name": f"field_{secrets.token_hex(3)}"})
        return True
    if action in ("field-up", "field-down", "field-remove"):
        return move_row(rows, action.removeprefix("field-"), arg)
    return False


def _bound(row: dict[str, str], key: str, prefix: str, errors: dict[str, str]) -> float | None:
    text = row.get(key, "").strip()
    if not text or row["type"] != "number":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > 1e9:
        errors[f"{prefix}{key}"] = N_("Enter a number.")
        return None
    return value


def fields_from_rows(rows: list[dict[str, str]], errors: dict[str, str]) -> list[BookingField]:
    """The rows as booking fields; what does not parse goes to `errors` by the row's input name
    (the catalog's own checks name the same inputs: field-<n>-<attr>)."""
    fields = []
    for n, row in enumerate(rows):
        prefix = f"field-{n}-"
        kind: Any = row["type"] if row["type"] in FIELD_TYPES else "text"
        fields.append(BookingField(
            name=row["name"].strip(), label=row["label"].strip(), type=kind, required=row.get("required") == "1",
            choices=[c.strip() for c in row.get("choices", "").splitlines() if c.strip()] if kind == "select" else [],
            help=row.get("help", "").strip(),
            min=_bound(row, "min", prefix, errors), max=_bound(row, "max", prefix, errors),
        ))
    return fields
