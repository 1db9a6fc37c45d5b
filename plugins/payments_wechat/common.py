"""What v2 and v3 share: WeChat's clock, the SDK timeouts, the H5 return address."""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# (connect, read) seconds: a stalled provider must not hold a worker thread for long.
TIMEOUT = (5, 20)


def with_redirect(url: str, return_url: str) -> str:
    """WeChat H5: the cashier sends the browser to `redirect_url` (URL-encoded) once paid."""
    return f"{url}{'&' if '?' in url else '?'}redirect_url={quote(return_url, safe='')}"
