"""TOTP second factor (RFC 6238 through pyotp) and single-use recovery codes."""

from __future__ import annotations

import io
import re
import secrets

import pyotp

from platform_core.lazy import lazy_module

# Only the set-up page draws a QR code: the other pages' processes need not hold segno.
segno = lazy_module("segno")

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code as an inline <svg> element (no XML declaration), scaled by CSS."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=4, border=2,
        svgclass="qr-code", lineclass=None, dark="#111827", light="#ffffff",
    )
    return buffer.getvalue().decode()


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def is_totp_code(text: str) -> bool:
    return bool(re.fullmatch(r"\d{6}", text))


def normalise_code(text: str) -> str:
    return re.sub(r"[\s-]", "", text).lower()


def verify_totp(secret: str, code: str) -> bool:
    # One step either side: phones' clocks drift.
    return is_totp_code(code) and pyotp.TOTP(secret).verify(code, valid_window=1)


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes
