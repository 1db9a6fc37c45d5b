"""What an app process keeps of a franchise by the franchise's stamp (`TenantContext.version`).

The stamp is renewed in the same transaction as any change to what such a store keeps (triggers
call `hearth_tenant_touch()`: the tenant's row, domains and plugins in tenancy_0003, the catalog in
catalog_0004, promotion rules, the workers and reviews the storefront shows). A request confirms
its tenant's stamp in its own transaction, so an entry kept under (tenant, stamp) is never stale,
only unused, and every process reads afresh after a change without being told.

One exception is the transaction that made the change: its TenantContext still carries the old
stamp, and what it reads may yet be rolled back. A service that writes calls `written()`; until
that transaction ends, reads in its context go to the database and are not kept."""

from __future__ import annotations

import contextvars
from typing import Any, Awaitable, Callable, Generic, TypeVar

from platform_core.db import get_engine

from .context import current_tenant_or_none
from .schemas import TenantContext

T = TypeVar("T")


class Stamped(Generic[T]):
    """A dict of answers by (tenant id, stamp, what), cleared whole past `limit` entries."""

    def __init__(self, name: str, *, limit: int = 1_000) -> None:
        self.limit = limit
        self.kept: dict[tuple[Any, ...], T] = {}
        self._writer: contextvars.ContextVar[object | None] = contextvars.ContextVar(f"hearth_{name}_writer", default=None)

    def written(self) -> None:
        """This transaction changed what the store keeps: read from the database until it ends.
        The writer's entries go (its stamp is renewed on commit, so they would only sit unused);
        other franchises keep theirs, their stamps unchanged."""
        self._writer.set(get_engine().current_transaction.get())
        tenant = current_tenant_or_none()
        if tenant is None:
            self.kept.clear()
        else:
            self.kept = {key: value for key, value in self.kept.items() if key[0] != tenant.id}

    def wrote(self) -> bool:
        writer = self._writer.get()
        return writer is not None and writer is get_engine().current_transaction.get()

    async def get(self, tenant: TenantContext, what: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        """`load()`'s answer, kept for the request's own tenant (whose stamp its transaction
        confirmed) unless this transaction wrote; an exception (NotFound) is not kept."""
        if not tenant.version or tenant is not current_tenant_or_none() or self.wrote():
            return await load()
        key = (tenant.id, tenant.version, *what)
        found = self.kept.get(key)
        if found is None:
            found = await load()
            if len(self.kept) >= self.limit:
                self.kept.clear()
            self.kept[key] = found
        return found
