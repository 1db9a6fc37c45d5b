"""What msgspec says about a value it refused, as a message for the person who sent it.

msgspec's own words ("Expected `int` <= 1000000000000", "Object missing required field `x`") are
English and speak of types; an API client or a form in Chinese should read what to fix, in its
language, at the field. The API, pages' bodies and forms all answer through here."""

from __future__ import annotations

import re

from .i18n import lazy_gettext as N_

_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `([^`]+)`")
_AT = re.compile(r"at `\$\.([A-Za-z_][\w]*)")


def field_of(error: str) -> str | None:
    """The top-level field msgspec names, if it names one."""
    for pattern in (_MISSING, _UNKNOWN, _AT):
        found = pattern.search(error)
        if found:
            return found.group(1)
    return None


def message_for(error: str) -> str:
    """A translatable message (lazy_gettext's msgid) for msgspec's `error`."""
    if _MISSING.search(error):
        return N_("This field is required.")
    if _UNKNOWN.search(error):
        return N_("This field is not accepted.")
    if "\\x00" in error:  # the NUL-free pattern of platform_core.bounds
        return N_("This value contains characters that are not allowed.")
    if "of length <=" in error:
        return N_("This list is too long.") if "`array`" in error or "`object`" in error else N_("This value is too long.")
    if "of length >=" in error:
        return N_("This field is required.") if "of length >= 1" in error else N_("This value is too short.")
    if re.search(r"Expected `(int|float)` (<|<=) ", error):
        return N_("This number is too large.")
    if re.search(r"Expected `(int|float)` (>|>=) ", error):
        return N_("This number is too small.")
    if error.startswith("Invalid enum value"):
        return N_("Choose one of the options offered.")
    if re.match(r"Expected `int`", error):
        return N_("Enter a whole number.")
    if re.match(r"Expected `(float|decimal)`", error):
        return N_("Enter a number.")
    return N_("This value is not valid.")
