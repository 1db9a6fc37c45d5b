"""The tenant context: a ContextVar set by the request middleware or by `tenant_scope` in jobs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator

from platform_core.db import tenant_transaction
from platform_core.errors import NotFound

from .schemas import TenantContext

_current: ContextVar[TenantContext | None] = ContextVar("hearth_tenant", default=None)


def current_tenant() -> TenantContext:
    tenant = _current.get()
    if tenant is None:
        raise NotFound("tenant", message_id="tenant.unknown")
    return tenant


def current_tenant_or_none() -> TenantContext | None:
    return _current.get()


@asynccontextmanager
async def enter_tenant(tenant: TenantContext | None) -> AsyncIterator[None]:
    """Set the context var (and restore the previous one on exit); no transaction."""
    token = _current.set(tenant)
    try:
        yield
    finally:
        _current.reset(token)


@asynccontextmanager
async def tenant_scope(tenant_id: int) -> AsyncIterator[TenantContext]:
    """Run work for one tenant outside a request (jobs, CLI): context and transaction together."""
    from .services import load_tenant_context

    async with tenant_transaction(tenant_id):
        tenant = await load_tenant_context(tenant_id)
        if tenant is None:
            raise NotFound("tenant", message_id="tenant.unknown")
        async with enter_tenant(tenant):
            yield tenant


@asynccontextmanager
async def acting_for(tenant_id: int) -> AsyncIterator[TenantContext]:
    """The platform console acting inside one franchise (creating its first owner): the request's
    platform-level transaction sees that tenant's rows for the block, then none again. One
    transaction still, so the work commits or rolls back with the request."""
    from platform_core.db import current_connection, switch_tenant

    from .services import load_tenant_context

    conn = current_connection()
    if await conn.fetchval("select current_setting('app.tenant_id', true)") not in (None, ""):
        raise RuntimeError("acting_for is for platform-level work, not inside a tenant")
    await switch_tenant(tenant_id)
    try:
        tenant = await load_tenant_context(tenant_id)
        if tenant is None:
            raise NotFound("tenant", message_id="tenant.unknown")
        async with enter_tenant(tenant):
            yield tenant
    finally:
        await switch_tenant(None)

