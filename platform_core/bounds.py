"""Bounded types: the one vocabulary for every value a client sends (Struct fields, path and
query parameters, forms). A value outside its bounds is refused as the request is decoded, with
the field named, before any of it reaches PostgreSQL (bigint ids, text without NUL) or a date
computation (years far enough from ours that arithmetic and time zones can't overflow)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

INT64_MAX = 2**63 - 1
# PostgreSQL text can't hold NUL; nor can anything a person types.
NO_NUL = r"^[^\x00]*$"
# Dates a franchise can plan with. msgspec can't bound a date, so the request's text is checked
# (web/bounds.py) and date arithmetic's OverflowError answers 400 (web/errors.py).
YEAR_RANGE = (1900, 2200)

Id = Annotated[int, Meta(ge=1, le=INT64_MAX, description="A row's id (a positive 64-bit integer)")]
Int64 = Annotated[int, Meta(ge=-INT64_MAX - 1, le=INT64_MAX)]
# Money in minor units: a thousand billion of them is more than any order, wallet or payout.
Minor = Annotated[int, Meta(ge=-(10**15), le=10**15)]
PositiveMinor = Annotated[int, Meta(ge=0, le=10**15)]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]
Page = Annotated[int, Meta(ge=1, le=100_000, description="A page number, from 1")]
PerPage = Annotated[int, Meta(ge=1, le=200)]
Minutes = Annotated[int, Meta(ge=0, le=366 * 24 * 60)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
# Scores, weights, ratios: finite and small, never 1e308.
Ratio = Annotated[float, Meta(ge=-1_000_000, le=1_000_000)]

Text = Annotated[str, Meta(max_length=10_000, pattern=NO_NUL)]
Line = Annotated[str, Meta(max_length=200, pattern=NO_NUL)]
Name = Annotated[str, Meta(max_length=100, pattern=NO_NUL)]
Code = Annotated[str, Meta(max_length=64, pattern=NO_NUL)]
Url = Annotated[str, Meta(max_length=2000, pattern=NO_NUL)]
Secret = Annotated[str, Meta(max_length=10_000, pattern=NO_NUL)]


def text(max_length: int, *, min_length: int = 0) -> object:
    """A text field of its own length: `title: text(120, min_length=1)`."""
    return Annotated[str, Meta(min_length=min_length, max_length=max_length, pattern=NO_NUL)]


def is_digits(text: str) -> bool:
    """Whether int() reads `text` as the number it looks like: "²" is a digit to str.isdigit(),
    yet int() refuses it (a 500 where a 400 was due)."""
    return text.isascii() and text.isdigit()


def year_in_range(year: int) -> bool:
    """msgspec can't bound a date: the request checks (web/bounds.py) refuse one outside this."""
    return YEAR_RANGE[0] <= year <= YEAR_RANGE[1]
Ids = Annotated[list[Id], Meta(max_length=500)]
Codes = Annotated[list[Code], Meta(max_length=200)]
Urls = Annotated[list[Url], Meta(max_length=50)]
