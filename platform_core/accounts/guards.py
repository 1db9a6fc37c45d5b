"""Guards: plain functions that refuse a request before its handler runs."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from platform_core.errors import Unauthorized

from .sessions import Kind, Principal, principal_for

SIGN_IN_PATHS: dict[str, str] = {
    "customer": "/account/sign-in",
    "staff": "/staff/sign-in",
    "console": "/console/sign-in",
    "operator": "/platform/sign-in",
}


async def require_principal(connection: ASGIConnection, kind: Kind) -> Principal:
    principal = await principal_for(connection)
    if principal is None or principal.kind != kind or not principal.mfa_verified:
        raise Unauthorized(sign_in_path=SIGN_IN_PATHS[kind])
    return principal


async def require_customer(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await require_principal(connection, "customer")


async def require_staff(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await require_principal(connection, "staff")
