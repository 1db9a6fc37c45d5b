"""How a visitor arrived: first-party cookies that landing links set and registration reads. The
kit names the cookies and bounds their values so that accounts can carry them onto a new customer
(stored, and in the CustomerEvent's `attribution`) without knowing who set them.

- `hearth_src`, the acquisition source: a partner channel's `/c/{code}` (marketing), first touch.
- `hearth_ref`, the referrer: a customer's share link (loyalty's `/p/loyalty/s/{code}`), an
  invite. Whoever sets it owns its format; the last link opened wins.
"""

from __future__ import annotations

import re

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

ACQUISITION_COOKIE = "hearth_src"
REFERRER_COOKIE = "hearth_ref"
REFERRER_DAYS = 30
# Crawlers, link previews (WeChat's and chat apps' unfurlers), monitors and scripts.
_BOT = re.compile(r"bot|crawl|spider|slurp|preview|facebookexternalhit|headless|curl|wget|python-|httpx|okhttp|monitor", re.I)
# Opaque to the reader; whoever sets it keeps it short and plain (letters, digits, `.:_-`).
_SOURCE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _cookie(connection: ASGIConnection, name: str) -> str:
    value = connection.cookies.get(name, "")
    return value if _SOURCE.match(value) else ""


def acquisition_source(connection: ASGIConnection) -> str:
    """The visitor's acquisition source, or "" when there is none (or it was tampered into
    something that is not a source)."""
    return _cookie(connection, ACQUISITION_COOKIE)


def is_bot(user_agent: str) -> bool:
    """Whether a landing link's request comes from a crawler, a link preview or a script rather
    than a person: such a request is neither counted nor remembered."""
    return not user_agent.strip() or bool(_BOT.search(user_agent))


def attribution(connection: ASGIConnection, invite: str = "") -> dict[str, str]:
    """What a registration on this request carries into CustomerEvent.attribution: the invite
    code typed, the acquisition source and the referrer (each "" when there is none)."""
    return {"invite": invite[:64], "source": acquisition_source(connection), "referrer": _cookie(connection, REFERRER_COOKIE)}


def referrer_cookie(value: str, *, days: int = REFERRER_DAYS) -> Cookie:
    """The cookie that makes `value` the referrer of this browser's registration within `days`
    (set it on the response of a landing link). `value` is letters, digits and `.:_-`, at most 64
    characters (ValueError otherwise)."""
    from platform_core.runtime import current_runtime

    if not _SOURCE.match(value):
        raise ValueError(f"not a referrer: {value!r}")
    return Cookie(key=REFERRER_COOKIE, value=value, max_age=days * 86400, httponly=True,
                  secure=current_runtime().settings.cookie_secure, samesite="lax", path="/")
