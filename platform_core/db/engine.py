"""The one Piccolo engine of a process, configured at start from Settings, not at import."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from piccolo.engine.postgres import PostgresEngine

# The role the server runs as: owns nothing, not superuser, no BYPASSRLS (migrations/ creates it).
APP_ROLE = "hearth_app"


class HearthEngine(PostgresEngine):
    """PostgresEngine that does not connect when it is constructed (Piccolo checks the version
    at construction, which would touch the network at import time)."""

    async def check_version(self) -> None:
        return None


def get_engine() -> HearthEngine:
    from .conf import DB

    return DB


class _SidePool:
    """A small second pool for work that must commit outside the request's transaction (the kv
    store, the dev outbox). Separate so a request holding a connection of the main pool never waits
    for another connection of that same pool."""

    pool: asyncpg.Pool | None = None


async def reset_transaction_state_only(conn: asyncpg.Connection) -> None:
    """Every pool's reset on release (the primary's, the side pool's, the read replica's): nothing beyond what asyncpg always does (roll back an open
    transaction, drop listeners), instead of its reset query (advisory unlock, CLOSE ALL,
    UNLISTEN, RESET ALL), a round trip per request. No session state is ever set on a pooled
    connection: the tenant is `set_config(..., true)`, local to its transaction; advisory locks
    are the `_xact` kind; LISTEN runs on the job worker's own connection, outside the pools.
    tests/tenancy/test_tenancy_cache.py checks released connections hold none."""


async def start_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
    await close_pool()
    engine = get_engine()
    engine.config = {"dsn": dsn}
    await engine.start_connection_pool(min_size=min_size, max_size=max_size, reset=reset_transaction_state_only)
    _SidePool.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, reset=reset_transaction_state_only)


async def close_pool() -> None:
    engine = get_engine()
    if engine.pool is not None:
        await engine.close_connection_pool()
        engine.pool = None
    if _SidePool.pool is not None:
        await _SidePool.pool.close()
        _SidePool.pool = None


@asynccontextmanager
async def side_connection() -> AsyncIterator[asyncpg.Connection]:
    """A connection outside any request transaction; each statement commits on its own."""
    if _SidePool.pool is None:
        raise RuntimeError("the database pool is not started")
    async with _SidePool.pool.acquire() as conn:
        yield conn


def app_dsn(owner_dsn: str, app_url: str | None) -> str:
    """The server's DSN: explicit, or the owner's DSN with the user swapped for the app role.

    Swapping keeps host, port, database and socket options; it suits trust or peer auth (the
    embedded server, CI). With password auth, set HEARTH_APP_DATABASE_URL.
    """
    if app_url:
        return app_url
    parts = urlsplit(owner_dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}"))


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))
