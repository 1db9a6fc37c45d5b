"""Batch dispatch through the service, against PostgreSQL: what a batch window costs end to end.

bench/dispatch_batch.py times the solver alone; this times `run_batch` as the batch job runs it:
for each waiting order, the eligible workers (skills, radius, weekly hours, days off, held jobs)
and their scores from the database, then the solve, the assignment inserts under the exclusion
constraint and the `assign` transitions. A throwaway database is created and dropped; each size
is a franchise of its own in it. The default runs 60 × 20, 100 × 50 and 300 × 100, `--quick` the
first two; `--orders N --workers M` one size.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/dispatch_batch_db.py [--orders 100 --workers 50] [--quick] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402
from scratch import scratch_app  # noqa: E402

CENTRE = (31.2304, 121.4737)
SIZES = [(60, 20), (100, 50), (300, 100)]
QUICK = SIZES[:2]


async def run(orders: int, workers: int) -> dict:
    """One franchise of `workers` workers and `orders` paid orders waiting in 6 two-hour slots of
    one day, then one batch: what it offered and how long it took."""
    from platform_core.accounts.phones import encrypt_phone, phone_index
    from platform_core.db import current_connection
    from platform_core.dispatch.batch import run_batch
    from platform_core.runtime import current_runtime
    from platform_core.tenancy.context import tenant_scope
    from platform_core.tenancy.schemas import TenantCreate
    from platform_core.tenancy.services import create_tenant

    rt = current_runtime()
    tenant = await create_tenant(TenantCreate(slug=f"bench-{secrets.token_hex(3)}", name="Bench"))
    rng = random.Random(7)
    tz = ZoneInfo(tenant.timezone)
    day = datetime.now(timezone.utc).astimezone(tz).date() + timedelta(days=3)
    async with tenant_scope(tenant.id):
        conn = current_connection()
        category = await conn.fetchval(
            "insert into core_service_category (tenant_id, code, title) values ($1, 'cleaning', 'Cleaning') returning id", tenant.id)
        item = await conn.fetchval(
            "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, currency, "
            "required_skills) values ($1, $2, 'daily', 'Daily cleaning', 120, 'fixed', 15000, 'CNY', '{cleaning}') returning id",
            tenant.id, category)
        customer = await conn.fetchval(
            "insert into core_customer (tenant_id, display_name) values ($1, 'Bench') returning id", tenant.id)
        for n in range(workers):
            phone = f"+86139{n:08d}"
            staff = await conn.fetchval(
                "insert into core_staff (tenant_id, name, phone_cipher, phone_index) values ($1, $2, $3, $4) returning id",
                tenant.id, f"Worker {n}", encrypt_phone(rt.keyring, phone), phone_index(rt.keyring, phone))
            await conn.execute(
                "insert into core_staff_profile (tenant_id, staff_id, skills, home_lat, home_lng, service_radius_km, rating_avg, rating_count) "
                "values ($1, $2, '{cleaning}', $3, $4, 15, $5, 10)",
                tenant.id, staff, CENTRE[0] + rng.uniform(-0.15, 0.15), CENTRE[1] + rng.uniform(-0.18, 0.18), rng.uniform(3.5, 5))
            await conn.executemany(
                "insert into core_staff_hours (tenant_id, staff_id, weekday, starts, ends) values ($1, $2, $3, '08:00', '20:00')",
                [(tenant.id, staff, d) for d in range(7)])
        for n in range(orders):
            start = datetime.combine(day, clock(8 + 2 * (n % 6)), tzinfo=tz)
            lat, lng = CENTRE[0] + rng.uniform(-0.15, 0.15), CENTRE[1] + rng.uniform(-0.18, 0.18)
            await conn.execute(
                "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, lat, lng, "
                "scheduled_start, scheduled_end, currency, subtotal, total, idempotency_key) values ($1, $2, $3, $4, 'cleaning', "
                "'paid', $5::jsonb, $6, $7, $8, $9, 'CNY', 15000, 15000, $2)",
                tenant.id, f"B-{n}", customer, item,
                f'{{"contact_name": "B", "city": "Shanghai", "street": "1 Road", "lat": {lat}, "lng": {lng}}}', lat, lng,
                start, start + timedelta(hours=2))
    started = time.perf_counter()
    async with tenant_scope(tenant.id):
        made = await run_batch(by_hand=True)
    elapsed = time.perf_counter() - started
    print(f"run_batch: {orders} orders x {workers} workers (6 two-hour slots in one day): "
          f"{len(made)} offered in {elapsed:.2f} s ({elapsed / orders * 1000:.0f} ms per order)", flush=True)
    return {"orders": orders, "workers": workers, "offered": len(made), "seconds": elapsed}


def markdown(results: list[dict], machine: str) -> str:
    lines = [
        "## Batch dispatch through the service (bench/dispatch_batch_db.py)", "",
        f"`{report.command_line()}` — {machine}.", "",
        "`run_batch` as the batch job runs it, on a fresh database: for each waiting order the eligible workers "
        "(skills, radius, weekly hours, days off, held jobs, read for all candidates of an order in one pass) and "
        "their scores, then the solve (bench/dispatch_batch.py times it alone), the assignment inserts under the "
        "exclusion constraint and the `assign` transitions. The orders fall in 6 two-hour slots of one day, so a "
        "worker takes several in successive rounds; each size is a franchise of its own. No anchor: read it for how "
        "the cost per order grows with the franchise.", "",
        "| orders × workers | offered | all at once (s) | per order (ms) |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['orders']} × {r['workers']} | {r['offered']} | {r['seconds']:.2f} | {r['seconds'] / r['orders'] * 1000:.0f} |")
    return "\n".join(lines)


async def run_all(sizes: list[tuple[int, int]]) -> list[dict]:
    async with scratch_app(redis=False):
        return [await run(orders, workers) for orders, workers in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, help="one size: this many orders (with --workers)")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--quick", action="store_true", help=f"only {' and '.join(f'{o} × {w}' for o, w in QUICK)}")
    parser.add_argument("--write", action="store_true", help="rewrite this section of bench/RESULTS.md")
    args = parser.parse_args()
    sizes = [(args.orders, args.workers or args.orders)] if args.orders else QUICK if args.quick else SIZES
    machine = report.machine("numpy", "scipy")
    results = asyncio.run(run_all(sizes))
    section = markdown(results, machine)
    print(section)
    largest = results[-1]
    report.summary(f"batch dispatch through the service, {largest['orders']} × {largest['workers']}: time per order",
                   round(largest["seconds"] / largest["orders"] * 1000, 1), "", None, unit="ms")
    if args.write:
        report.replace_section("dispatch_batch_db.py", section)


if __name__ == "__main__":
    main()
