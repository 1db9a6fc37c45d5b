"""Read-only requests on a streaming standby (HEARTH_READ_DATABASE_URL).

A route handler that only reads says so, `@get("/services", read_only=True)`; the tenant
middleware then opens the request's one transaction with `tenant_transaction(..., read_only=True)`,
which begins it `READ ONLY` on the read pool (`read_engine`) when one is configured, else on
the primary. Read-only on the primary too, so a marked handler that writes fails in development and
in the tests, not only in production behind a standby. The tenant is set with `set_config` as on
the primary (row-level security holds on the standby: it is a copy of the same database).

A standby lags the primary by a little; mark only what a visitor does not expect to see change the
moment they changed it (the catalog, a worker's public profile), never their own orders or account.
"""

from __future__ import annotations

from .checks import UnsafeDatabaseError, role_violations
from .engine import HearthEngine, get_engine, reset_transaction_state_only


class _ReadPool:
    engine: HearthEngine | None = None


async def start_read_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
    """The pool of the standby, as the app role; refuses a role that would bypass row-level security."""
    await close_read_pool()
    engine = HearthEngine(config={"dsn": dsn})
    # The ORM's tables are bound to the primary's engine and find their transaction through its
    # context variable; sharing it makes a transaction opened here the one their queries run in.
    engine.current_transaction = get_engine().current_transaction
    await engine.start_connection_pool(min_size=min_size, max_size=max_size, reset=reset_transaction_state_only)
    _ReadPool.engine = engine
    async with engine.pool.acquire() as conn:  # type: ignore[union-attr]
        problems = [p for p in await role_violations(conn) if "superuser" in p or "BYPASSRLS" in p]
    if problems:
        await close_read_pool()
        raise UnsafeDatabaseError("refusing to read from HEARTH_READ_DATABASE_URL: " + "; ".join(problems))


async def close_read_pool() -> None:
    engine, _ReadPool.engine = _ReadPool.engine, None
    if engine is not None and engine.pool is not None:
        await engine.close_connection_pool()


def read_engine() -> HearthEngine:
    """Where a READ ONLY transaction runs: the read pool when there is one, else the primary
    (`tenant_transaction` begins it READ ONLY either way, so a marked handler that writes fails
    on any server)."""
    return _ReadPool.engine or get_engine()
