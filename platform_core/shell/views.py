"""The customer home page, the language switch and the brand stylesheet."""

from __future__ import annotations

import re
from typing import Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from platform_core.accounts.sessions import Principal
from platform_core.errors import NotFound
from platform_core.runtime import current_runtime
from platform_core.web.forms import safe_next
from platform_core.web.locale import LOCALE_COOKIE
from platform_core.web.pages import page

ONE_YEAR = 365 * 24 * 3600


class LocaleChoice(msgspec.Struct, kw_only=True):
    locale: Literal["zh_CN", "en"]
    next: str = "/"


@get("/", include_in_schema=False, read_only=True)
async def home(request: Request, principal: NamedDependency[Principal | None]) -> Template | Redirect:
    if request.scope.get("state", {}).get("platform"):
        return Redirect("/platform/", status_code=303)
    return page(request, "shell/home.html", same_for_visitors=True)


@post("/locale", include_in_schema=False, status_code=303)
async def switch_locale(data: URLEncodedBody[LocaleChoice]) -> Redirect:
    """Remember the visitor's language for a year and go back where they were."""
    cookie = Cookie(
        key=LOCALE_COOKIE, value=data.locale, max_age=ONE_YEAR, path="/", samesite="lax",
        httponly=True, secure=current_runtime().settings.cookie_secure,
    )
    return Redirect(safe_next(data.next, "/"), status_code=303, cookies=[cookie])


BRAND_FILE = re.compile(r"^([0-9a-fA-F]{6})-([0-9a-fA-F]{6})\.css$")


@get("/static/brand/{name:str}", include_in_schema=False)
async def brand_stylesheet(name: FromPath[str]) -> Response:
    """A franchise's colours as the design system's --brand and --accent: the stylesheet
    layouts/base.html links as /static/brand/{primary}-{accent}.css, so pages carry no inline
    <style> (their Content-Security-Policy refuses one). The colours are the name itself, so the
    file never changes: cached for a year, a new colour is a new name."""
    found = BRAND_FILE.match(name)
    if found is None:
        raise NotFound("stylesheet")
    primary, accent = found.groups()
    return Response(
        f":root{{--brand:#{primary};--accent:#{accent}}}\n", media_type="text/css",
        headers={"Cache-Control": f"public, max-age={ONE_YEAR}, immutable"},
    )
