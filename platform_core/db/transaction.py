"""One transaction helper: every unit of work runs in a transaction that has set the tenant."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import asyncpg
from piccolo.engine.postgres import PostgresTransaction

from .engine import get_engine
from .replica import ReadOnlyTransaction


class TenantMismatchError(RuntimeError):
    """A nested transaction asked for another tenant than its enclosing one."""


@asynccontextmanager
async def tenant_transaction(tenant_id: int | None, *, read_only: bool = False) -> AsyncIterator[PostgresTransaction]:
    """Open (or join) a transaction whose RLS tenant is `tenant_id` (None: platform level, no rows
    of any tenant table are visible). `read_only` opens it READ ONLY, on the read replica when one
    is configured (replica.py).

    `set_config(..., true)` is transaction-local, so a pooled connection can never carry a tenant
    to the next user.
    """
    engine = get_engine()
    outer = engine.current_transaction.get()
    if outer is not None:
        current = await outer.connection.fetchval("select current_setting('app.tenant_id', true)")
        wanted = "" if tenant_id is None else str(tenant_id)
        if (current or "") != wanted:
            raise TenantMismatchError(f"transaction for tenant {current!r} asked for {wanted!r}")
        yield outer
        return
    transaction = ReadOnlyTransaction() if read_only else engine.transaction()
    try:
        async with transaction as tx:
            await tx.connection.execute(
                "select set_config('app.tenant_id', $1, true)",
                "" if tenant_id is None else str(tenant_id),
            )
            yield tx
    except BaseException:
        await _clean_up_failed_commit(transaction)
        raise


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
