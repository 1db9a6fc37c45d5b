"""Batch dispatch through the service, against PostgreSQL: what a batch window costs end to end.

bench/dispatch_batch.py times the solver alone; this times `run_batch` as the batch job runs it:
for each waiting order, the eligible workers (skills, radius, weekly hours, days off, held jobs)
and their scores from the database, then the solve, the assignment inserts under the exclusion
constraint and the `assign` transitions. A throwaway database is created and dropped.

    HEARTH_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/dispatch_batch_db.py [--orders 100] [--workers 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock
from zoneinfo import ZoneInfo

from platform_core.testing.pytest_plugin import TestDatabase

CENTRE = (31.2304, 121.4737)


async def run(orders: int, workers: int, url: str) -> None:
    from platform_core.accounts.phones import encrypt_phone, phone_index
    from platform_core.app import create_app
    from platform_core.db import current_connection
    from platform_core.dispatch.batch import run_batch
    from platform_core.settings import load_settings
    from platform_core.tenancy.context import tenant_scope
    from platform_core.tenancy.schemas import TenantCreate
    from platform_core.tenancy.services import create_tenant

    settings = load_settings({
        "HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "bench-secret-key-" + "x" * 32, "DATABASE_URL": url,
        "HEARTH_DATA_DIR": "/tmp/hearth-bench", "HEARTH_WORKER": "0", "HEARTH_KEY_PREFIX": f"bench-{secrets.token_hex(3)}",
    })
    app = create_app(settings)
    async with app.lifespan():
        with app.state.runtime.scope() as rt:
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
                  f"{len(made)} offered in {elapsed:.2f} s ({elapsed / orders * 1000:.0f} ms per order)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--workers", type=int, default=50)
    args = parser.parse_args()
    if not os.environ.get("HEARTH_TEST_DATABASE_URL"):
        raise SystemExit("set HEARTH_TEST_DATABASE_URL to a PostgreSQL server where a database may be created")
    db = TestDatabase()
    url = db.start()
    try:
        from platform_core.db.migrate import migrate

        asyncio.run(migrate(url))
        asyncio.run(run(args.orders, args.workers, url))
    finally:
        db.stop()


if __name__ == "__main__":
    main()
