"""One transaction helper: every unit of work runs in a transaction that has set the tenant."""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, AsyncIterator

import asyncpg
from piccolo.engine.postgres import PostgresTransaction

from .engine import get_engine
from .replica import ReadOnlyTransaction


class TenantMismatchError(RuntimeError):
    """A nested transaction asked for another tenant than its enclosing one."""


class Probe:
    """A scalar query run in the same round trip as a new transaction's `set_config` (`$2` is the
    tenant id): the request's cache check costs no statement of its own. `value` is its answer."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.value: Any = None


# The tenant each transaction opened here has set, so a nested call checks it without asking the
# database; transactions opened elsewhere (a test's own) are asked.
_TENANT_OF: ContextVar[tuple[PostgresTransaction, str] | None] = ContextVar("hearth_tx_tenant", default=None)


def _setting(tenant_id: int | None) -> str:
    return "" if tenant_id is None else str(tenant_id)


@asynccontextmanager
async def tenant_transaction(tenant_id: int | None, *, read_only: bool = False, probe: Probe | None = None) -> AsyncIterator[PostgresTransaction]:
    """Open (or join) a transaction whose RLS tenant is `tenant_id` (None: platform level, no rows
    of any tenant table are visible). `read_only` opens it READ ONLY, on the read replica when one
    is configured (replica.py).

    `set_config(..., true)` is transaction-local, so a pooled connection can never carry a tenant
    to the next user.
    """
    engine = get_engine()
    outer = engine.current_transaction.get()
    wanted = _setting(tenant_id)
    if outer is not None:
        known = _TENANT_OF.get()
        if known is not None and known[0] is outer:
            current = known[1]
        else:
            current = await outer.connection.fetchval("select current_setting('app.tenant_id', true)") or ""
        if current != wanted:
            raise TenantMismatchError(f"transaction for tenant {current!r} asked for {wanted!r}")
        if probe is not None:
            probe.value = (await outer.connection.fetchrow(f"select $1::text, ({probe.sql})", wanted, tenant_id))[1]
        yield outer
        return
    transaction = ReadOnlyTransaction() if read_only else engine.transaction()
    try:
        async with transaction as tx:
            if probe is None:
                await tx.connection.execute("select set_config('app.tenant_id', $1, true)", wanted)
            else:
                row = await tx.connection.fetchrow(f"select set_config('app.tenant_id', $1, true), ({probe.sql})", wanted, tenant_id)
                probe.value = row[1]
            token = _TENANT_OF.set((tx, wanted))
            try:
                yield tx
            finally:
                _TENANT_OF.reset(token)
    except BaseException:
        await _clean_up_failed_commit(transaction)
        raise


async def switch_tenant(tenant_id: int | None) -> None:
    """Set another RLS tenant on the open transaction: a request that learns its tenant inside
    its transaction, the platform console acting inside one franchise."""
    tx = get_engine().current_transaction.get()
    if tx is None:
        raise RuntimeError("no transaction is open: use tenant_transaction() or a request")
    await tx.connection.execute("select set_config('app.tenant_id', $1, true)", _setting(tenant_id))
    _TENANT_OF.set((tx, _setting(tenant_id)))


async def _clean_up_failed_commit(transaction: PostgresTransaction) -> None:
    """When COMMIT itself fails (a deferred constraint), Piccolo's exit stops before returning the
    connection and resetting its context var; finish that here, or the pool slowly runs dry."""
    engine = transaction.engine  # the primary's or the read replica's
    if engine.current_transaction.get() is not transaction:
        return
    engine.current_transaction.reset(transaction.context)
    if engine.pool is not None:
        await engine.pool.release(transaction.connection)
    else:
        await transaction.connection.close()


def current_connection() -> asyncpg.Connection:
    """The connection of the enclosing transaction, for SQL the ORM can't say."""
    tx = get_engine().current_transaction.get()
    if tx is None:
        raise RuntimeError("no transaction is open: use tenant_transaction() or a request")
    return tx.connection
