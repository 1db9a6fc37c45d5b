"""Shared key-value state across processes: redis when configured, else a PostgreSQL table.

Counters (rate limits) and sessions live here. Every call runs outside the request's
transaction, so a counted attempt stays counted when the request itself is rolled back.
Keys of tenant data are built with `TenantContext.key(...)`.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager, contextmanager
from typing import AsyncIterator, Iterator, Protocol

from platform_core.db.engine import side_connection
from platform_core.errors import ServiceUnavailable
from platform_core.settings import Settings

log = logging.getLogger("hearth.kv")

# A redis that has gone away must fail a request in seconds, not hold it for the defaults' 5 s
# per attempt (the proxy and the user would give up first).
REDIS_CONNECT_TIMEOUT = 2
REDIS_TIMEOUT = 3


class KeyValue(Protocol):
    async def incr(self, key: str, ttl: int) -> tuple[int, int]:
        """Add one; the window starts at the first increment. Returns (count, seconds left)."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: int) -> None: ...

    async def delete(self, *keys: str) -> None: ...

    async def add_member(self, key: str, member: str, ttl: int) -> None: ...

    async def members(self, key: str) -> set[str]: ...

    async def remove_member(self, key: str, member: str) -> None: ...


@contextmanager
def _answering() -> Iterator[None]:
    """Redis unreachable (refused, reset, timed out) → ServiceUnavailable: the request answers 503
    with a message to try again, and its transaction rolls back."""
    from redis.exceptions import ConnectionError, TimeoutError

    try:
        yield
    except (ConnectionError, TimeoutError) as exc:
        log.warning("redis is not answering: %s", type(exc).__name__)
        raise ServiceUnavailable() from exc


class RedisKeyValue:
    def __init__(self, redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def incr(self, key: str, ttl: int) -> tuple[int, int]:
        with _answering():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self.prefix + key)
                pipe.expire(self.prefix + key, ttl, nx=True)
                pipe.ttl(self.prefix + key)
                count, _, left = await pipe.execute()
        return int(count), max(int(left), 0)

    async def get(self, key: str) -> bytes | None:
        with _answering():
            return await self.redis.get(self.prefix + key)

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        with _answering():
            await self.redis.set(self.prefix + key, value, ex=ttl)

    async def delete(self, *keys: str) -> None:
        if keys:
            with _answering():
                await self.redis.delete(*(self.prefix + k for k in keys))

    async def add_member(self, key: str, member: str, ttl: int) -> None:
        with _answering():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.sadd(self.prefix + key, member)
                pipe.expire(self.prefix + key, ttl)
                await pipe.execute()

    async def members(self, key: str) -> set[str]:
        with _answering():
            found = await self.redis.smembers(self.prefix + key)
        return {m.decode() if isinstance(m, bytes) else m for m in found}

    async def remove_member(self, key: str, member: str) -> None:
        with _answering():
            await self.redis.srem(self.prefix + key, member)


class PostgresKeyValue:
    """The same contract on the `core_kv` table, each call in its own short transaction."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def _conn(self):
        return side_connection()

    async def incr(self, key: str, ttl: int) -> tuple[int, int]:
        async with self._conn() as conn:
            row = await conn.fetchrow(
                """
                insert into core_kv (key, counter, expires_at) values ($1, 1, now() + make_interval(secs => $2))
                on conflict (key) do update set
                  counter = case when core_kv.expires_at <= now() then 1 else core_kv.counter + 1 end,
                  expires_at = case when core_kv.expires_at <= now() then excluded.expires_at else core_kv.expires_at end
                returning counter, greatest(ceil(extract(epoch from expires_at - now())), 0)::int as left_s
                """,
                self.prefix + key, ttl,
            )
        return row["counter"], row["left_s"]

    async def get(self, key: str) -> bytes | None:
        async with self._conn() as conn:
            return await conn.fetchval("select value from core_kv where key = $1 and expires_at > now()", self.prefix + key)

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        async with self._conn() as conn:
            await conn.execute(
                "insert into core_kv (key, value, expires_at) values ($1, $2, now() + make_interval(secs => $3)) "
                "on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at",
                self.prefix + key, value, ttl,
            )

    async def delete(self, *keys: str) -> None:
        async with self._conn() as conn:
            await conn.execute("delete from core_kv where key = any($1::text[])", [self.prefix + k for k in keys])

    async def add_member(self, key: str, member: str, ttl: int) -> None:
        await self.set(f"{key}\x1f{member}", b"", ttl)

    async def members(self, key: str) -> set[str]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "select key from core_kv where key like $1 and expires_at > now()", (self.prefix + key).replace("%", r"\%").replace("_", r"\_") + "\x1f%"
            )
        return {r["key"].split("\x1f", 1)[1] for r in rows}

    async def remove_member(self, key: str, member: str) -> None:
        await self.delete(f"{key}\x1f{member}")


async def purge_expired(conn) -> None:
    """Drop expired `core_kv` rows: unlike redis, PostgreSQL expires nothing by itself."""
    await conn.execute("delete from core_kv where expires_at < now()")


@asynccontextmanager
async def open_kv(settings: Settings) -> AsyncIterator[tuple[object | None, KeyValue]]:
    if settings.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        try:
            yield redis, RedisKeyValue(redis, settings.key_prefix + ":")
        finally:
            await redis.aclose()
    else:
        yield None, PostgresKeyValue(settings.key_prefix + ":")
