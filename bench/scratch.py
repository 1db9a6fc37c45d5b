"""A freshly migrated scratch database with the app running on it, for the benchmarks; the
database is dropped afterwards, whatever happened.

    async with scratch_app(redis=True, before_app=...) as (app, url):
        ...
"""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_core.db.engine import with_database  # noqa: E402
from platform_core.settings import load_settings  # noqa: E402


@asynccontextmanager
async def scratch_app(*, redis: bool, before_app: Callable[[str], Awaitable[None]] | None = None) -> AsyncIterator[tuple[object, str]]:
    """The app (lifespan running, job worker off) on a new database; `redis` uses REDIS_URL when
    set. `before_app(url)` runs on the migrated database as its owner, before the app starts."""
    admin = os.environ.get("HEARTH_BENCH_DATABASE_URL") or sys.exit("set HEARTH_BENCH_DATABASE_URL to a PostgreSQL admin DSN")
    name = f"hearth_bench_{os.getpid()}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'create database "{name}"')
    await conn.close()
    url = with_database(admin, name)
    try:
        from platform_core.app import create_app
        from platform_core.db.migrate import migrate

        await migrate(url)
        if before_app is not None:
            await before_app(url)
        settings = load_settings({
            "HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "bench-secret-" + "x" * 32, "HEARTH_DATA_DIR": f"/tmp/{name}",
            "DATABASE_URL": url, "REDIS_URL": os.environ.get("REDIS_URL", "") if redis else "", "HEARTH_WORKER": "false",
            "HEARTH_KEY_PREFIX": name,
        })
        app = create_app(settings)
        # Entered like a request, so the services a benchmark calls find the runtime.
        async with app.lifespan():
            with app.state.runtime.scope():
                yield app, url
    finally:
        from platform_core.db import close_pool

        await close_pool()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'drop database if exists "{name}" with (force)')
        await conn.close()
