"""The request's locale: the user's choice (cookie), else the tenant's, else the platform default;
and, read from the same headers, its device (web/device.py)."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from platform_core.tenancy.context import current_tenant_or_none

from .device import set_device
from .i18n import LOCALES, set_locale

LOCALE_COOKIE = "hearth_locale"


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


class LocaleMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, *, default: str) -> None:
        self.default = default

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        chosen = _cookie(scope, LOCALE_COOKIE)
        tenant = current_tenant_or_none()
        if chosen not in LOCALES:
            chosen = tenant.locale if tenant and tenant.locale in LOCALES else self.default
        set_locale(chosen)
        set_device(next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"user-agent"), ""))
        await next_app(scope, receive, send)
