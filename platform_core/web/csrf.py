"""CSRF: a double-submit token. Browsers get a random `hearth_csrf` cookie; every unsafe request
that carries our session or CSRF cookie must echo it in the `csrf_token` form field or the
`X-CSRF-Token` header. Bearer-token API clients carry no cookies and are not asked."""

from __future__ import annotations

import hmac
import secrets

from litestar import Request, Response
from litestar.datastructures import Cookie

from platform_core.errors import Forbidden

CSRF_COOKIE = "hearth_csrf"
# The session cookie accounts.sessions sets: named here, below accounts, because the CSRF check
# must know whether a browser holds one.
SESSION_COOKIE = "hearth_sid"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def csrf_token_for(request: Request) -> str:
    """The token to put into this page's forms (new if the browser has none yet)."""
    state = request.scope.setdefault("state", {})
    token = request.cookies.get(CSRF_COOKIE) or state.get("new_csrf")
    if not token:
        token = state["new_csrf"] = secrets.token_urlsafe(24)
    return token


def attach_csrf_cookie(request: Request, response: Response, secure: bool) -> None:
    new = request.scope.get("state", {}).get("new_csrf")
    if new:
        response.set_cookie(Cookie(key=CSRF_COOKIE, value=new, httponly=True, secure=secure, samesite="lax", path="/"))


async def check_csrf(request: Request) -> None:
    """before_request: refuse an unsafe browser request that does not echo its CSRF cookie."""
    if request.method in SAFE_METHODS or request.scope["path"].startswith(("/health/", "/payments/notify/", "/payments/transfer-notify/")):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    # Only a browser that holds our session or CSRF cookie can be tricked into acting; an API
    # client that merely remembers its language is not asked.
    if SESSION_COOKIE not in request.cookies and CSRF_COOKIE not in request.cookies:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        supplied = form.get(CSRF_FIELD)
    if not expected or not supplied or not hmac.compare_digest(str(supplied), expected):
        raise Forbidden("This form has expired. Please reload the page and try again.")
