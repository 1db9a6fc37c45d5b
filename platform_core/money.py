"""Providers speak decimal strings ("12.30" yuan); Hearth keeps integer minor units (1230 fen).
The conversion is exact or refused: a notification for "12.301" is malformed, never rounded."""

from __future__ import annotations

import re

_AMOUNT = re.compile(r"(0|[1-9]\d{0,12})(?:\.(\d{1,2}))?")


def to_minor(amount: str) -> int:
    """"12.3" → 1230. Raises ValueError for anything but a plain non-negative amount with at
    most two decimals."""
    match = _AMOUNT.fullmatch(amount.strip()) if isinstance(amount, str) else None
    if match is None:
        raise ValueError(f"not an amount: {amount!r}")
    whole, frac = match.groups()
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


def from_minor(minor: int) -> str:
    """1230 → "12.30"."""
    if minor < 0:
        raise ValueError("amounts are not negative")
    return f"{minor // 100}.{minor % 100:02d}"
