"""Host → tenant, and one transaction per request that sets the tenant for RLS."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, nullcontext

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from platform_core.db import tenant_transaction
from platform_core.errors import NotFound, TenantSuspended

from .cache import Key, StampProbe, TenantCache
from .context import enter_tenant
from .schemas import TenantContext
from .services import resolve_tenant
from .turns import NotificationTurns

# Served on every host without a tenant or a transaction.
UNSCOPED_PREFIXES = ("/static/", "/health/", "/metrics", "/schema", "/favicon.ico")
# Reachable while a tenant is suspended (the suspended page needs its styles).
SUSPENDED_ALLOWED = ("/static/",)
# Payment providers call one URL per tenant, /payments/notify/{provider}/{tenant}, on any host
# (and /payments/transfer-notify/{provider}/{tenant} for transfers, payouts/controllers.py).
NOTIFY_PREFIXES = ("/payments/notify/", "/payments/transfer-notify/")
# The mini-program calls the JSON API on one host and names its franchise in `X-Tenant`. Pages
# ignore the header: a cache keyed on the host must never hand one franchise's page to another's
# visitors. Where it is honoured the answer says so (`Vary: X-Tenant`).
TENANT_HEADER = b"x-tenant"


def honours_tenant_header(path: str) -> bool:
    """The JSON API, the core's (/api/...) and plugins' (/p/<plugin>/api/...)."""
    return path.startswith("/api/") or (path.startswith("/p/") and path.split("/", 4)[3:4] == ["api"])


def add_vary_tenant(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """ASGI response headers with `X-Tenant` added to `Vary` (once)."""
    for i, (name, value) in enumerate(headers):
        if name.lower() == b"vary":
            if b"x-tenant" in value.lower():
                return headers
            return [*headers[:i], (name, value + b", X-Tenant"), *headers[i + 1:]]
    return [*headers, (b"vary", b"X-Tenant")]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _varying_on_tenant(send: Send) -> Send:
    async def varying_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": add_vary_tenant(list(message.get("headers", [])))}
        await send(message)

    return varying_send


class TenantMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, *, base_domain: str, platform_host: str, notify_concurrency: int) -> None:
        self.base_domain = base_domain
        self.platform_host = platform_host.lower()
        # Per app, so two apps in one process (the tests' two "processes") keep their own.
        self.tenants = TenantCache()
        # Notifications wait their turn here, before their transaction takes a connection.
        self.turns = NotificationTurns(notify_concurrency)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        path: str = scope["path"]
        if path.startswith(UNSCOPED_PREFIXES):
            await next_app(scope, receive, send)
            return
        host = (_header(scope, b"host") or "").lower().split(":")[0]
        state = scope.setdefault("state", {})
        api = honours_tenant_header(path)
        header_slug = _header(scope, TENANT_HEADER) if api else None
        if api:
            send = _varying_on_tenant(send)
        notify = path.startswith(NOTIFY_PREFIXES)
        if notify:
            parts = path.split("/", 3)[3].split("/")
            host, header_slug = "", parts[1] if len(parts) > 1 else ""
        elif host == self.platform_host:
            state["platform"] = True
            await self._in_transaction(None, scope, receive, send, next_app)
            return
        async with self._turn(scope, notify=notify):
            await self._in_transaction((host, header_slug), scope, receive, send, next_app, notify=notify)

    def _turn(self, scope: Scope, *, notify: bool) -> AbstractAsyncContextManager[None]:
        """A notification waits its turn; a person's request counts while it is served. A tracking
        socket stays open for as long as the page does: not a request being served."""
        if notify:
            return self.turns.notification()
        return self.turns.person() if scope["type"] == ScopeType.HTTP else nullcontext()

    async def _tenant(self, key: Key, probe: StampProbe | None) -> TenantContext | None:
        """The request's tenant, inside its transaction: the cached one when its stamp holds,
        else read again (the transaction is then set to it)."""
        tenant = self.tenants.confirmed(probe)
        if tenant is not None:
            return tenant
        tenant = await resolve_tenant(key[0], base_domain=self.base_domain, header_slug=key[1])
        if tenant is None:
            self.tenants.drop(key)
        else:
            self.tenants.put(key, tenant)
        return tenant

    async def _in_transaction(self, key: Key | None, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp,
                              *, notify: bool = False) -> None:
        # The request's one transaction begins, sets the cached tenant (if any) and confirms its
        # stamp in one round trip; a miss or a stale entry is read again in the same transaction.
        probe = self.tenants.probe(key) if key is not None else None
        cached = probe.tenant if probe is not None else None
        tenant: TenantContext | None = None
        # The response is held until the transaction commits, so a client never sees success
        # for work that was then rolled back; any 4xx/5xx rolls the request's writes back.
        messages: list[Message] = []
        status = 500

        async def buffered_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            messages.append(message)

        # A handler that only reads (`read_only=True`) is served READ ONLY, by the read replica
        # when there is one (db/replica.py).
        route = scope.get("route_handler")
        read_only = bool(route is not None and route.opt.get("read_only"))
        websocket = scope["type"] == ScopeType.WEBSOCKET
        async with tenant_transaction(cached.id if cached else None, read_only=read_only, probe=probe) as tx:
            if key is not None:
                tenant = await self._tenant(key, probe)
                if tenant is not None:
                    scope.setdefault("state", {})["tenant_slug"] = tenant.slug
            # money that moved is still applied for a suspended franchise
            serve = key is None or (tenant is not None and (notify or not tenant.suspended))
            if serve and not websocket:
                async with enter_tenant(tenant):
                    await next_app(scope, receive, buffered_send)
                if status >= 400:
                    await tx.rollback()
        if key is not None and tenant is None:
            raise NotFound("tenant", message_id="tenant.unknown")
        if not serve:
            # web-shell: the suspended page is rendered outside the tenant context; it shows the
            # tenant's branding from here (platform_core.web.pages.base_context).
            scope.setdefault("state", {})["suspended_tenant"] = tenant
            async with enter_tenant(tenant):
                raise TenantSuspended()
        if websocket:
            # A socket lives long; it opens short transactions of its own per message.
            async with enter_tenant(tenant):
                await next_app(scope, receive, send)
            return
        for message in messages:
            await send(message)
