"""The console's item form as posted, before it becomes a draft: pictures and videos stored from
their file inputs, the ticked skills joined, a duration given in days, hours or minutes made
minutes. console_views.py turns the result into a draft and an item."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from litestar import Request
from litestar.datastructures import UploadFile

from platform_core.bounds import is_digits
from platform_core.errors import ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads as media
from platform_core.web.csrf import CSRF_FIELD
from platform_core.web.i18n import lazy_gettext as N_

# A duration as people say it: a long stay in days, a visit in hours or minutes.
DURATION_UNITS = {"days": 1440, "hours": 60, "minutes": 1}
DURATION_LABELS = {"days": N_("days"), "hours": N_("hours"), "minutes": N_("minutes")}


def minutes_of(value: str, unit: str) -> str:
    """The form's number and unit as minutes (text, as the draft keeps it; what does not parse
    stays as typed and is refused by item_input)."""
    try:
        return str(int(Decimal(value) * DURATION_UNITS.get(unit, 1)))
    except (InvalidOperation, ValueError):
        return value


def duration_parts(minutes: str) -> tuple[str, str]:
    """Minutes shown in the largest whole unit: 37440 → ("26", "days"), 180 → ("3", "hours")."""
    if not is_digits(minutes) or int(minutes) == 0:
        return minutes, "minutes"
    return next((str(int(minutes) // size), unit) for unit, size in DURATION_UNITS.items() if int(minutes) % size == 0)


async def item_form(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The item form's fields as text, with its pictures: a file chosen for a picture field
    (`<field>:file`) is stored and its address becomes the field's value; `<field>:remove` empties
    it. The ticked skills come joined as the draft keeps them. Returns the values and the errors of
    the files that were refused."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if k != CSRF_FIELD and not isinstance(v, UploadFile) and ":" not in k}
    values["required_skills"] = ", ".join(str(s) for s in form.getall("required_skills")) if "required_skills" in form else ""
    if "duration_value" in values:
        values["duration_minutes"] = minutes_of(values.pop("duration_value"), values.pop("duration_unit", "minutes"))
    errors: dict[str, str] = {}
    for key, value in form.items():
        name, _, part = key.partition(":")
        if part == "remove" and value == "1":
            values[name] = ""
        elif part == "file" and isinstance(value, UploadFile) and value.filename:
            # A video block's address takes a video; every other picture field an image.
            video = name.endswith("-url") and values.get(name.removesuffix("url") + "type") == "video"
            try:
                data = await value.read((media.MAX_VIDEO_BYTES if video else media.MAX_BYTES) + 1)
                values[name] = (media.save_video if video else media.save_image)(current_tenant(), data)
            except ValidationFailed as exc:
                errors[name] = exc.fields["file"]
    return values, errors
