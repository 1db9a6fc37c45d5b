"""What v2 and v3 share: WeChat's clock, the SDK timeouts, the H5 return address."""

from __future__ import annotations

import re
import textwrap
from urllib.parse import quote
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# (connect, read) seconds: a stalled provider must not hold a worker thread for long.
TIMEOUT = (5, 20)


def with_redirect(url: str, return_url: str) -> str:
    """WeChat H5: the cashier sends the browser to `redirect_url` (URL-encoded) once paid."""
    return f"{url}{'&' if '?' in url else '?'}redirect_url={quote(return_url, safe='')}"


_PEM_ARMOUR = re.compile(r"-----[A-Z ]+-----|\s+")


def pem_body(text: str) -> str:
    """A PEM's base64 alone. A PEM pasted into a one-line form field has lost its line breaks."""
    return _PEM_ARMOUR.sub("", text)


def pem(text: str, label: str) -> str:
    """A PEM rebuilt with its armour and 64-character lines, as OpenSSL reads it from a file."""
    return f"-----BEGIN {label}-----\n" + "\n".join(textwrap.wrap(pem_body(text), 64)) + f"\n-----END {label}-----\n"
