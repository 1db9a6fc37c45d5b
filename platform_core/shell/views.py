"""The customer home page and the language switch."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from platform_core.accounts.sessions import Principal
from platform_core.runtime import Runtime
from platform_core.web.forms import safe_next
from platform_core.web.locale import LOCALE_COOKIE
from platform_core.web.pages import page

ONE_YEAR = 365 * 24 * 3600


class LocaleChoice(msgspec.Struct, kw_only=True):
    locale: Literal["zh_CN", "en"]
    next: str = "/"


@get("/", include_in_schema=False)
async def home(request: Request, principal: NamedDependency[Principal | None]) -> Template | Redirect:
    if request.scope.get("state", {}).get("platform"):
        return Redirect("/platform/", status_code=303)
    return page(request, "shell/home.html")


@post("/locale", include_in_schema=False, status_code=303)
async def switch_locale(data: URLEncodedBody[LocaleChoice], rt: NamedDependency[Runtime]) -> Redirect:
    """Remember the visitor's language for a year and go back where they were."""
    cookie = Cookie(
        key=LOCALE_COOKIE, value=data.locale, max_age=ONE_YEAR, path="/", samesite="lax",
        httponly=True, secure=rt.settings.cookie_secure,
    )
    return Redirect(safe_next(data.next, "/"), status_code=303, cookies=[cookie])
