"""The Content-Security-Policy every page is sent with (page() adds it).

Scripts, styles, fonts and frames come from the site itself and are never inline: no <script>
with a body, no <style>, no style="", no on*= handlers in any template (tests/web/test_web_csp.py
reads them all). Markup that slipped into a page can then run nothing and restyle nothing.
What the policy allows beyond the site, and why:

- img-src data: and https:, media-src https: -- a franchise gives catalogue pictures, videos and
  workers' photos as any https address;
- connect-src the page's own websocket origin -- live tracking (ws:// or wss:// on this host);
- what one page adds through page(csp=...) -- a payment provider's own script and frames on the
  payment page (PaymentProvider.checkout_page).

form-action is left open on purpose: checkout forms answer with a redirect to the provider's
cashier (the local sandbox in the demo), and browsers check form-action on each redirect, so the
policy would have to know every address a provider's cashier passes through.

Litestar's API explorer (/schema) renders an inline script and is not a page(): it has no policy.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Mapping

from litestar import Request

POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "https:"),
    "media-src": ("'self'", "https:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
}
# A Host header as browsers send it; anything else never reaches the policy.
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def content_security_policy(request: Request, extra: Mapping[str, Iterable[str]] | None = None) -> str:
    host = request.headers.get("host", "")
    scheme = request.scope.get("scheme", "http")
    if not extra:
        return _site_policy(host, scheme)
    return _policy(host, scheme, extra)


@lru_cache(maxsize=256)
def _site_policy(host: str, scheme: str) -> str:
    """The policy of a page that adds nothing, written once per host (a process serves few)."""
    return _policy(host, scheme, None)


def _policy(host: str, scheme: str, extra: Mapping[str, Iterable[str]] | None) -> str:
    directives = {name: list(sources) for name, sources in POLICY.items()}
    if _HOST.match(host):
        directives["connect-src"].append(f"{'wss' if scheme == 'https' else 'ws'}://{host}")
    for name, sources in (extra or {}).items():
        # A directive the policy does not name falls back to default-src: start from it.
        merged = directives.setdefault(name, list(POLICY["default-src"]))
        merged.extend(s for s in sources if s not in merged)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())
