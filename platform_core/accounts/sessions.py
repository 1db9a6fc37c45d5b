"""Server-side sessions for web pages (a cookie) and bearer tokens for API clients.

Both are random tokens whose SHA-256 is the key of a record in the shared store (redis, or the
kv table), so every process sees them and "sign out everywhere" is one index lookup. A session is
bound to its tenant (or to the platform console) and never honoured on another host.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

from platform_core import clock
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant_or_none
from platform_core.web.csrf import SESSION_COOKIE

Kind = Literal["customer", "staff", "console", "operator"]
Via = Literal["cookie", "bearer"]

# Bearer tokens for apps live longer than browser sessions; both renew on use.
BEARER_TTL = 90 * 24 * 3600
RENEW_AFTER = 24 * 3600


class SessionData(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind
    user_id: int
    tenant_id: int | None
    via: Via
    created_at: int
    # Sessions slide: a session used after a day is stored again with a fresh lifetime.
    renewed_at: int = 0
    # Console users with TOTP on sign in in two steps; until the code is checked this is False.
    mfa_verified: bool = True


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making the request."""

    kind: Kind
    user_id: int
    tenant_id: int | None
    via: Via
    session_key: str
    mfa_verified: bool = True


def _session_key(token: str) -> str:
    return "sess:" + hashlib.sha256(token.encode()).hexdigest()


def _index_key(kind: str, tenant_id: int | None, user_id: int) -> str:
    return f"sessidx:{kind}:{tenant_id if tenant_id is not None else 'platform'}:{user_id}"


def _ttl(via: Via) -> int:
    return BEARER_TTL if via == "bearer" else current_runtime().settings.session_max_age


async def create_session(
    *, kind: Kind, user_id: int, tenant_id: int | None, via: Via = "cookie", mfa_verified: bool = True
) -> str:
    """Start a session and return its token (the cookie value, or the bearer token)."""
    token = secrets.token_urlsafe(32)
    started = int(clock.now().timestamp())
    data = SessionData(
        kind=kind, user_id=user_id, tenant_id=tenant_id, via=via,
        created_at=started, renewed_at=started, mfa_verified=mfa_verified,
    )
    key = _session_key(token)
    ttl = _ttl(via)
    await current_runtime().kv.set(key, msgspec.json.encode(data), ttl)
    await current_runtime().kv.add_member(_index_key(kind, tenant_id, user_id), key, max(ttl, BEARER_TTL))
    return token


async def mark_mfa_verified(principal: Principal) -> None:
    raw = await current_runtime().kv.get(principal.session_key)
    if raw is None:
        return
    data = msgspec.structs.replace(msgspec.json.decode(raw, type=SessionData), mfa_verified=True)
    await current_runtime().kv.set(principal.session_key, msgspec.json.encode(data), _ttl(data.via))


async def end_session(principal: Principal) -> None:
    await current_runtime().kv.delete(principal.session_key)
    await current_runtime().kv.remove_member(_index_key(principal.kind, principal.tenant_id, principal.user_id), principal.session_key)


async def end_all_sessions(*, kind: Kind, tenant_id: int | None, user_id: int) -> int:
    """Sign a user out everywhere (every browser and every app token). Returns how many ended."""
    index = _index_key(kind, tenant_id, user_id)
    keys = await current_runtime().kv.members(index)
    if keys:
        await current_runtime().kv.delete(*keys)
    await current_runtime().kv.delete(index)
    return len(keys)


def _token_from(connection: ASGIConnection) -> tuple[str | None, Via]:
    auth = connection.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None, "bearer"
    return connection.cookies.get(SESSION_COOKIE), "cookie"


async def principal_for(connection: ASGIConnection) -> Principal | None:
    """The request's principal, loaded once per request and kept in its state."""
    state = connection.scope.setdefault("state", {})
    if "principal" in state:
        return state["principal"]
    principal = None
    token, via = _token_from(connection)
    if token:
        kv = current_runtime().kv
        raw = await kv.get(_session_key(token))
        if raw is not None:
            data = msgspec.json.decode(raw, type=SessionData)
            tenant = current_tenant_or_none()
            on_platform = bool(state.get("platform"))
            bound_here = (data.tenant_id is None and on_platform) if data.kind == "operator" else (
                tenant is not None and data.tenant_id == tenant.id
            )
            if bound_here and data.via == via:
                now = int(clock.now().timestamp())
                if now - data.renewed_at > RENEW_AFTER:
                    renewed = msgspec.structs.replace(data, renewed_at=now)
                    await kv.set(_session_key(token), msgspec.json.encode(renewed), _ttl(via))
                principal = Principal(
                    kind=data.kind, user_id=data.user_id, tenant_id=data.tenant_id, via=via,
                    session_key=_session_key(token), mfa_verified=data.mfa_verified,
                )
    state["principal"] = principal
    return principal


async def provide_principal(request: Request) -> Principal | None:
    return await principal_for(request)


def set_session_cookie(response: Response, token: str) -> Response:
    response.set_cookie(
        Cookie(
            key=SESSION_COOKIE, value=token, max_age=current_runtime().settings.session_max_age, httponly=True,
            secure=current_runtime().settings.cookie_secure, samesite="lax", path="/",
        )
    )
    return response


def clear_session_cookie(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
