"""The pub/sub between processes for live tracking: Litestar channels on redis pub/sub when
REDIS_URL is set, else on PostgreSQL LISTEN/NOTIFY, so a position posted to one server process
reaches a customer's socket held by another."""

from __future__ import annotations

from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from platform_core.db import current_connection
from platform_core.db.engine import app_dsn
from platform_core.settings import Settings


def make_backend(settings: Settings) -> ChannelsBackend:
    if settings.redis_url:
        from redis.asyncio import Redis

        # The key prefix keeps installations (and test runs) sharing one redis apart.
        return RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url), key_prefix=f"{settings.key_prefix}:channels")
    return AsyncPgChannelsBackend(dsn=app_dsn(settings.db.url or "", settings.db.app_url))


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    # Channel names carry the tenant and the order (channel_for), so they can not be declared upfront.
    return ChannelsPlugin(backend=make_backend(settings), arbitrary_channels_allowed=True)


def channel_for(settings: Settings, tenant_id: int, order_id: int) -> str:
    """One channel per order. Redis pub/sub channels are global to the server (the backend's key
    prefix names only stream keys), so they carry the key prefix: installations sharing a redis
    never hear each other's orders. With PostgreSQL it is a NOTIFY channel of this database (an
    identifier, 63 bytes at most)."""
    name = f"hearth_track_{tenant_id}_{order_id}"
    return f"{settings.key_prefix}:{name}" if settings.redis_url else name


async def publish(settings: Settings, channels: ChannelsPlugin, channel: str, data: bytes) -> None:
    """Publish from inside a request or job. Without redis the NOTIFY rides on the current
    transaction: PostgreSQL delivers it at commit, and never for work that was rolled back."""
    if settings.redis_url:
        channels.publish(data, [channel])
    else:
        await current_connection().execute("select pg_notify($1, $2)", channel, data.decode())
