"""Where a page's time goes: N in-process requests of one page under cProfile, the top functions,
and the SQL statements of one request (each asyncpg call, pool resets and BEGIN/COMMIT included).

Counts do not depend on the machine's load, so they are the measure to develop against; the CPU
per request is the process time of the profiled loop divided by N.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/profile_page.py /services [--requests 300] [--top 30] [--sql]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import scratch_app  # noqa: E402

from platform_core.testing.statements import StatementLog  # noqa: E402

# The demo franchise the page benchmarks browse (tenants/sunshine.toml): a realistic catalog.
HOST = "sunshine.localhost"


async def seed_demo(_app) -> None:
    """The demo franchises of tenants/*.toml, as `hearth demo` applies them."""
    from platform_core.demo.seeding import REPO_TENANTS, apply_tenant_files
    from platform_core.runtime import current_runtime

    await apply_tenant_files(sorted(REPO_TENANTS.glob("*.toml")), current_runtime().settings)


async def statements_of(client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> list[str]:
    """The statements of one request, after a warm-up request of the same page."""
    await client.get(path, headers=headers)
    with StatementLog() as log:
        response = await client.get(path, headers=headers)
    response.raise_for_status()
    return log.statements


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default="/services")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime", "calls"])
    parser.add_argument("--only", default="", help="list only functions whose file matches this (e.g. templates)")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    async with scratch_app(redis=True) as (app, _url):
        await seed_demo(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
            statements = await statements_of(client, args.path)
            for _ in range(20):
                await client.get(args.path)
            started = time.process_time()
            for _ in range(args.requests):
                await client.get(args.path)
            plain = (time.process_time() - started) / args.requests
            profile = cProfile.Profile()
            started = time.process_time()
            profile.enable()
            for _ in range(args.requests):
                await client.get(args.path)
            profile.disable()
            cpu = (time.process_time() - started) / args.requests
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(*([args.only] if args.only else []), args.top)
    print(out.getvalue())
    if args.sql:
        for statement in statements:
            print("  ", statement[:160])
    print(f"{args.path}: {len(statements)} SQL statements per request; {plain * 1000:.2f} ms CPU per request "
          f"({cpu * 1000:.2f} under cProfile; {args.requests} requests in process, the client's share included)")


if __name__ == "__main__":
    asyncio.run(main())
