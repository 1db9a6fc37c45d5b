"""Guards: plain functions that refuse a request before its handler runs."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from platform_core.errors import Forbidden, NotFound, Unauthorized
from platform_core.tenancy.context import current_tenant_or_none

from .console_services import CONSOLE, OPERATOR, console_user, get_account, operator
from .permissions import permissions_for
from .sessions import Kind, Principal, end_session, principal_for

# API clients authenticate with `Authorization: Bearer <token>`; the OpenAPI scheme of that name
# is declared in app.py.
BEARER_SECURITY = [{"bearerToken": []}]

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


async def signed_in_customer(connection: ASGIConnection) -> int | None:
    """The id of the customer signed in on this request (past 2FA), or None for a visitor or
    anyone else: for pages and endpoints that everyone may open but that answer a customer in
    their own way. Behind `require_customer` it is that customer."""
    principal = await principal_for(connection)
    if principal is None or principal.kind != "customer" or not principal.mfa_verified:
        return None
    return principal.user_id


async def require_staff(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await require_principal(connection, "staff")


async def signed_in_staff(connection: ASGIConnection) -> int | None:
    """The id of the worker signed in on this request (past 2FA), or None for anyone else.
    Behind `require_staff` it is that worker (the staff account's id, which is the worker's)."""
    principal = await principal_for(connection)
    if principal is None or principal.kind != "staff" or not principal.mfa_verified:
        return None
    return principal.user_id


def require_console(permission: str | tuple[str, ...] | None = "console.view"):
    """A guard for console pages: a console user of this tenant, past 2FA, still active, whose
    CURRENT role (read from the database on every request, so a demotion or a deactivation takes
    effect at once) grants `permission` (a tuple: any one of them). Puts the user and their
    permissions in the request state (page() filters the navigation with them)."""
    wanted = (permission,) if isinstance(permission, str) else permission

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if current_tenant_or_none() is None:
            raise NotFound("page")
        principal = await require_principal(connection, "console")
        account = await get_account(CONSOLE, principal.user_id)
        if account is None or account.status != "active":
            await end_session(principal)
            raise Unauthorized(sign_in_path=SIGN_IN_PATHS["console"])
        granted = permissions_for(account.role or "")
        state = connection.scope["state"]
        state["console_user"] = console_user(account)
        state["permissions"] = granted
        if wanted is not None and granted.isdisjoint(wanted):
            raise Forbidden()

    return guard


async def require_operator(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for platform console pages: only on the platform host, only for an active operator."""
    if not connection.scope.get("state", {}).get("platform"):
        raise NotFound("page")
    principal = await require_principal(connection, "operator")
    account = await get_account(OPERATOR, principal.user_id)
    if account is None or account.status != "active":
        await end_session(principal)
        raise Unauthorized(sign_in_path=SIGN_IN_PATHS["operator"])
    connection.scope["state"]["operator"] = operator(account)
