"""Send limits hold across processes: two Python processes race for one phone's allowance,
through redis and through the PostgreSQL key-value table."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time

import pytest

from platform_core.accounts import ratelimit
from platform_core.db.engine import app_dsn

RACER = r"""
import asyncio, sys, time
from platform_core.accounts import ratelimit
from platform_core.errors import RateLimited

async def main(backend, url, prefix, key, which, attempts, start_at):
    if backend == "redis":
        from redis.asyncio import Redis
        from platform_core.kv import RedisKeyValue
        client = Redis.from_url(url)
        kv = RedisKeyValue(client, prefix)
    else:
        from platform_core.db import start_pool
        from platform_core.kv import PostgresKeyValue
        await start_pool(url, min_size=4, max_size=4)
        kv = PostgresKeyValue(prefix)
    limits = getattr(ratelimit, which)

    async def attempt():
        try:
            await ratelimit.enforce(kv, key, limits)
            return 1
        except RateLimited:
            return 0

    await asyncio.sleep(max(0.0, start_at - time.time()))
    print(sum(await asyncio.gather(*(attempt() for _ in range(attempts)))))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), float(sys.argv[7])))
"""


async def race(backend: str, url: str, which: str, attempts: int) -> int:
    prefix = f"race-{secrets.token_hex(4)}:"
    key = f"t:1:otp:phone:{secrets.token_hex(8)}"
    start_at = time.time() + 1.5  # both processes are up by then
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", RACER, backend, url, prefix, key, which, str(attempts), str(start_at),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    allowed = 0
    for proc in procs:
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        allowed += int(out.decode().strip())
    return allowed


CASES = [("SEND_PER_PHONE", 1), ("SEND_PER_ADDRESS", ratelimit.SEND_PER_ADDRESS[0].count)]


@pytest.mark.parametrize(("which", "limit"), CASES)
async def test_send_limit_holds_across_two_processes_sharing_redis(which, limit):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")
    assert await race("redis", url, which, attempts=30) == limit


@pytest.mark.parametrize(("which", "limit"), CASES)
async def test_send_limit_holds_across_two_processes_sharing_postgresql(app, hearth_settings, which, limit):
    url = app_dsn(hearth_settings.db.url, hearth_settings.db.app_url)
    assert await race("postgres", url, which, attempts=30) == limit
