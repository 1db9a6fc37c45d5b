"""One transaction helper: every unit of work runs in a transaction that has set the tenant."""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator, Callable

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction, TransactionState
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from .engine import get_engine
from .replica import read_engine


class TenantMismatchError(RuntimeError):
    """A nested transaction asked for another tenant than its enclosing one."""


class Probe:
    """A query sent in the same round trip as a new transaction's BEGIN and `set_config`, so the
    request's cache check costs no statement of its own. `sql` takes no parameters (it is sent
    with the simple query protocol: only integers may be written into it) and answers one row
    when what it checks holds; `held` says whether it did."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.held = False


class _SetUpBegin(Transaction):
    """asyncpg's top-level transaction, begun together with the statements that set it up:
    `BEGIN; select set_config(...); <probe>` goes as one simple-query message, where asyncpg's
    own would send BEGIN alone and wait for its answer first. `status` is the last statement's
    command tag ("SELECT 1": the probe's row was there)."""

    def __init__(self, connection: asyncpg.Connection, *, readonly: bool, setup: str) -> None:
        super().__init__(connection, None, readonly, False)
        self.setup = setup
        self.status = ""

    async def start(self) -> None:
        con = self._connection
        if con._top_xact is not None or con._protocol.is_in_transaction():
            raise asyncpg.InterfaceError("a transaction is already open on this connection")
        con._top_xact = self  # as asyncpg's start does: nested conn.transaction() blocks become savepoints
        try:
            self.status = await con.execute(("BEGIN READ ONLY; " if self._readonly else "BEGIN; ") + self.setup)
        except BaseException:
            self._state = TransactionState.FAILED
            raise
        self._state = TransactionState.STARTED


class _TenantTransaction(PostgresTransaction):
    """A Piccolo transaction whose BEGIN carries its tenant's `set_config` (and a probe)."""

    def __init__(self, engine: PostgresEngine, *, readonly: bool, setup: str) -> None:
        super().__init__(engine)
        self._readonly = readonly
        self._setup = setup
        self.status = ""  # the setup's last command tag, once begun

    async def begin(self) -> None:
        # asyncpg's transaction state lives on the connection itself, not on the pool's proxy.
        connection = self.connection._con if isinstance(self.connection, PoolConnectionProxy) else self.connection
        begin = _SetUpBegin(connection, readonly=self._readonly, setup=self._setup)
        self.transaction = begin
        try:
            await begin.start()
        except BaseException:
            # Piccolo's __aenter__ would keep the connection it acquired: give it back.
            if self.engine.pool is not None:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()
            raise
        self.status = begin.status


# The tenant each transaction opened here has set, so a nested call checks it without asking the
# database; transactions opened elsewhere (a test's own) are asked.
_TENANT_OF: ContextVar[tuple[PostgresTransaction, str] | None] = ContextVar("hearth_tx_tenant", default=None)


# What to call once the outermost transaction opened here commits (`after_commit`).
_AFTER_COMMIT: ContextVar[tuple[PostgresTransaction, list[Callable[[], None]]] | None] = ContextVar("hearth_after_commit", default=None)


def after_commit(callback: Callable[[], None]) -> bool:
    """Call `callback` once the enclosing transaction has committed, never if it rolls back; the
    same callback asked twice is called once. It runs synchronously as the transaction ends, so it
    should only schedule work. False, and nothing kept, when the enclosing transaction was not
    opened by `tenant_transaction` (a test's own): the caller then does its work inside it."""
    held = _AFTER_COMMIT.get()
    if held is None or held[0] is not get_engine().current_transaction.get():
        return False
    if callback not in held[1]:
        held[1].append(callback)
    return True


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
            probe.held = await outer.connection.fetchrow(probe.sql) is not None
        yield outer
        return
    # One round trip opens the transaction, sets its tenant and runs the probe. `wanted` is an
    # integer's digits or empty, so writing it into the text is safe.
    setup = f"select set_config('app.tenant_id', '{wanted}', true)" + (f"; {probe.sql}" if probe is not None else "")
    # READ ONLY, on the read replica when there is one (replica.py).
    transaction = _TenantTransaction(read_engine() if read_only else engine, readonly=read_only, setup=setup)
    committed: list[Callable[[], None]] = []
    try:
        async with transaction as tx:
            if probe is not None:
                probe.held = transaction.status == "SELECT 1"
            token = _TENANT_OF.set((tx, wanted))
            callbacks = _AFTER_COMMIT.set((tx, committed))
            try:
                yield tx
            finally:
                _AFTER_COMMIT.reset(callbacks)
                _TENANT_OF.reset(token)
    except BaseException:
        await _clean_up_failed_commit(transaction)
        raise
    for callback in committed:
        callback()


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
