"""Identity document numbers for real-name verification: which kinds a franchise offers, and
each kind's format and check digit. Pure functions; realname.py stores what they return.

- Mainland resident ID (居民身份证): 18 characters, 17 digits and a check character by
  GB 11643-1999 (ISO 7064 MOD 11-2), the birth date at characters 7–14 a real past date.
- Hong Kong identity card: one or two letters, six digits and a check digit (0–9 or A), the
  weighted sum over all of them divisible by 11 (a single letter counts as a leading space).
- Passport: 5–20 letters and digits, with the holder's nationality (ISO 3166 alpha-2).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from babel import Locale

from platform_core.bounds import is_digits
from platform_core.errors import ValidationFailed
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext as N_

from .phones import REGION_BY_CURRENCY

IdType = Literal["resident_id", "hk_id", "passport"]
ID_TYPE_LABELS = {
    "resident_id": N_("Mainland resident ID card"),
    "hk_id": N_("Hong Kong identity card"),
    "passport": N_("Passport"),
}
# By the franchise's region (its currency: the tenant keeps no country): its own card first,
# then what visitors carry. A franchise outside these takes passports only.
TYPES_BY_REGION: dict[str, tuple[IdType, ...]] = {
    "CN": ("resident_id", "passport"),
    "HK": ("hk_id", "resident_id", "passport"),
}

_RESIDENT = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_HK = re.compile(r"^([A-Z]{1,2})(\d{6})\(?([\dA])\)?$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")
# Two-letter codes CLDR names that issue no passports: unknown, regions, pseudo-locales.
_NOT_COUNTRIES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})


def _countries() -> frozenset[str]:
    return frozenset(c for c in Locale.parse("en").territories if re.fullmatch(r"[A-Z]{2}", c)) - _NOT_COUNTRIES


def id_types_for(tenant: TenantContext) -> tuple[IdType, ...]:
    return TYPES_BY_REGION.get(REGION_BY_CURRENCY.get(tenant.currency, ""), ("passport",))


def nationalities(locale: str) -> list[tuple[str, str]]:
    """(code, name) of every country, named in `locale`, by name."""
    territories = Locale.parse(locale).territories
    return sorted(((code, territories[code]) for code in _countries() if code in territories), key=lambda pair: pair[1])


def _compact(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "").upper()


def resident_check(first17: str) -> str:
    return _RESIDENT_CHECK[sum(int(d) * w for d, w in zip(first17, _RESIDENT_WEIGHTS)) % 11]


def _resident(number: str, today: date) -> str:
    if not _RESIDENT.match(number):
        raise ValidationFailed({"id_number": N_("A resident ID has 18 characters: 17 digits, then a digit or X.")})
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born > today or born.year < 1900:
        raise ValidationFailed({"id_number": N_("The birth date in this ID number is not a real date.")})
    if resident_check(number[:17]) != number[17]:
        raise ValidationFailed({"id_number": N_("This ID number is not valid: check it against your card.")})
    return number


def _hk_value(char: str) -> int:
    return 36 if char == " " else int(char) if is_digits(char) else ord(char) - ord("A") + 10


def hk_check(letters: str, digits: str) -> str:
    body = letters.rjust(2) + digits
    total = sum(_hk_value(c) * w for c, w in zip(body, range(9, 1, -1)))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def _hk(number: str) -> str:
    match = _HK.match(number)
    if not match:
        raise ValidationFailed({"id_number": N_("A Hong Kong ID is one or two letters, six digits and a check digit, e.g. A123456(3).")})
    letters, digits, check = match.groups()
    if hk_check(letters, digits) != check:
        raise ValidationFailed({"id_number": N_("This ID number is not valid: check it against your card.")})
    return f"{letters}{digits}({check})"


def normalize_id_number(id_type: str, raw: str, *, nationality: str = "", today: date) -> str:
    """The number in its one stored form, or ValidationFailed on `id_number` (or `nationality`)."""
    number = _compact(raw)
    if not number:
        raise ValidationFailed({"id_number": N_("Enter the number on your ID.")})
    if id_type == "resident_id":
        return _resident(number, today)
    if id_type == "hk_id":
        return _hk(number)
    if not _PASSPORT.match(number):
        raise ValidationFailed({"id_number": N_("A passport number is 5 to 20 letters and digits.")})
    if nationality not in _countries():
        raise ValidationFailed({"nationality": N_("Choose the country that issued the passport.")})
    return number


def mask_id_number(id_type: str, number: str) -> str:
    """What the customer and the office see: 3101**********1234, A****56(3), E1*****89."""
    if id_type == "resident_id":
        return number[:4] + "*" * 10 + number[-4:]
    if id_type == "hk_id":
        return number[0] + "*" * (len(number) - 6) + number[-5:]
    return number[:2] + "*" * (len(number) - 4) + number[-2:]
