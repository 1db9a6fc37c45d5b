"""Order placement: throughput and p50/p99 latency at 8 and 32 concurrent clients.

Measured side by side in one run, on one freshly migrated database:
- endpoint: POST /api/v1/orders through the whole app in process (ASGI: tenant middleware, the
  bearer session, validation, availability re-check, pricing hooks, idempotency, numbering, the
  timeline, the inbox entry and the outbox jobs, pay_after_service), each request a new order;
- bare asyncpg: the same SQL statements, captured from one placement through the endpoint and
  replayed in a loop on a plain asyncpg pool of the same size and role (new idempotency key,
  number and order id each time), no Python work in between.

The ratio says what the framework, the domain code and the checks cost over the database work.
The job worker is off (its jobs would compete for the CPU) and dispatch is manual (no offers).
Starts are spread over 12 days (`spread`): orders waiting for a worker take capacity, so
bookings that all took one slot would be refused once the workers ran out.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres [REDIS_URL=redis://...] \\
        .venv/bin/python bench/order_placement.py [--seconds 10] [--clients 8 32]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from platform_core.runtime import current_runtime

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import scratch_app  # noqa: E402

from platform_core.db.engine import app_dsn  # noqa: E402

WORKERS = 20  # free times for every placement of a run: 20 workers × 12 days
RECORDED = ("execute", "executemany", "fetch", "fetchrow", "fetchval")


class Recorder:
    """Every statement each asyncpg connection runs, with its arguments and result."""

    def __init__(self) -> None:
        self.calls: dict[int, list[tuple[str, str, tuple, object]]] = {}
        self._originals = {name: getattr(asyncpg.Connection, name) for name in RECORDED}

    def __enter__(self) -> "Recorder":
        for name, original in self._originals.items():
            def wrapper(conn, query, *args, __name=name, __original=original, **kwargs):
                async def run():
                    result = await __original(conn, query, *args, **kwargs)
                    self.calls.setdefault(id(conn), []).append((__name, query, args, result))
                    return result
                return run()
            setattr(asyncpg.Connection, name, wrapper)
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self._originals.items():
            setattr(asyncpg.Connection, name, original)

    def placement(self) -> list[tuple[str, str, tuple, object]]:
        """The statements of the connection that inserted the order."""
        for calls in self.calls.values():
            if any(q.lstrip().lower().startswith("insert into core_order (") for _, q, _, _ in calls):
                return calls
        raise RuntimeError("no placement was recorded")


def replayer(calls: list[tuple[str, str, tuple, object]], key: str, number: str, order_id: int):
    """A function placing one more order with the recorded statements on a bare connection."""
    day = number.split("-")[0]

    async def place(conn: asyncpg.Connection) -> None:
        new_key = secrets.token_hex(12)
        swap: dict[object, object] = {key: new_key}
        async with conn.transaction():
            for method, query, args, result in calls:
                fresh = tuple(swap.get(a, a) if isinstance(a, (str, int)) and not isinstance(a, bool) else a for a in args)
                if method == "executemany":
                    fresh = ([tuple(swap.get(v, v) if isinstance(v, (str, int)) else v for v in row) for row in args[0]],)
                out = await getattr(conn, method)(query, *fresh)
                if "core_order_counter" in query:
                    swap[number] = f"{day}-{out:04d}"
                elif query.lstrip().lower().startswith("insert into core_order ("):
                    swap[order_id] = out["id"]
    return place


async def timed_loop(clients: int, seconds: float, one) -> dict:
    """`clients` tasks calling `one()` back to back for `seconds`; per-call latencies."""
    latencies: list[float] = []
    errors = 0
    first_error: list[str] = []
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                await one()
            except Exception as exc:  # noqa: BLE001 - counted (the first one shown), the run goes on
                errors += 1
                if not first_error:
                    first_error.append(repr(exc)[:300])
                    print("first error:", first_error[0], file=sys.stderr)
                continue
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*[client() for _ in range(clients)])
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "clients": clients, "orders": len(latencies), "errors": errors, "per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[max(int(len(latencies) * 0.99) - 1, 0)] if latencies else 0.0,
    }


def spread(slot: datetime) -> datetime:
    """A start between 08:00 and 17:00 on one of the 12 days from `slot`'s: bookings that all took
    one slot would run out of workers, since orders waiting for a worker take capacity too."""
    return slot + timedelta(days=secrets.randbelow(12), hours=secrets.randbelow(10) - 2)


async def setup(app, clients: int, workers: int = 20):
    """A tenant with one item, `workers` workers free all day, manual dispatch, and `clients` signed-in
    customers with an address each."""
    import msgspec

    from platform_core.accounts.phones import encrypt_phone, phone_index
    from platform_core.accounts.sessions import create_session
    from platform_core.db import current_connection
    from platform_core.dispatch.schemas import DispatchSettingsUpdate
    from platform_core.dispatch.services import update_settings
    from platform_core.tenancy.context import tenant_scope
    from platform_core.tenancy.schemas import TenantCreate
    from platform_core.tenancy.services import create_tenant

    tenant = await create_tenant(msgspec.convert({"slug": f"bench-{secrets.token_hex(3)}", "name": "Bench"}, TenantCreate))
    customers = []
    async with tenant_scope(tenant.id):
        conn = current_connection()
        await update_settings(DispatchSettingsUpdate(mode="manual"))
        category = await conn.fetchval("insert into core_service_category (tenant_id, code, title) values ($1, 'cleaning', 'Cleaning') returning id", tenant.id)
        item_id = await conn.fetchval(
            "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, currency) "
            "values ($1, $2, 'daily', 'Daily cleaning', 120, 'fixed', 15000, $3) returning id", tenant.id, category, tenant.currency,
        )
        for n in range(workers):
            e164 = f"+86139{n:08d}"
            staff = await conn.fetchval(
                "insert into core_staff (tenant_id, name, phone_cipher, phone_index) values ($1, $2, $3, $4) returning id",
                tenant.id, f"Worker {n}", encrypt_phone(current_runtime().keyring, e164), phone_index(current_runtime().keyring, e164),
            )
            await conn.executemany(
                "insert into core_staff_hours (tenant_id, staff_id, weekday, starts, ends) values ($1, $2, $3, '08:00', '20:00')",
                [(tenant.id, staff, day) for day in range(7)],
            )
        for n in range(clients):
            e164 = f"+86138{n:08d}"
            cipher = encrypt_phone(current_runtime().keyring, e164)
            customer = await conn.fetchval(
                "insert into core_customer (tenant_id, phone_cipher, phone_index) values ($1, $2, $3) returning id",
                tenant.id, cipher, phone_index(current_runtime().keyring, e164),
            )
            address = await conn.fetchval(
                "insert into core_customer_address (tenant_id, customer_id, contact_name, contact_phone_cipher, city, district, street, is_default) "
                "values ($1, $2, 'Chen', $3, 'Shanghai', 'Pudong', '1 Century Avenue', true) returning id",
                tenant.id, customer, cipher,
            )
            customers.append((customer, address))
    tokens = [await create_session(kind="customer", user_id=c, tenant_id=tenant.id, via="bearer") for c, _ in customers]
    tz = ZoneInfo(tenant.timezone)
    slot = datetime.combine(datetime.now(timezone.utc).astimezone(tz).date() + timedelta(days=2), clock(10), tzinfo=tz)
    return tenant, item_id, list(zip(tokens, [a for _, a in customers])), slot


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    args = parser.parse_args()
    async def start_ids_high(url: str) -> None:
        owner = await asyncpg.connect(url)
        # Order ids far from every other small integer, so the replay can tell the order id apart.
        await owner.execute("select setval('core_order_id_seq', 1000000)")
        await owner.close()

    async with scratch_app(redis=True, before_app=start_ids_high) as (app, url):
        rt = app.state.runtime
        settings = rt.settings
        tenant, item_id, people, slot = await setup(app, max(args.clients), workers=WORKERS)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{tenant.slug}.localhost") as http:
            token, address = people[0]
            key = secrets.token_hex(12)
            with Recorder() as recorder:
                first = await http.post("/api/v1/orders", json={"item_id": item_id, "slot_start": slot.isoformat(), "address_id": address},
                                        headers={"authorization": f"Bearer {token}", "idempotency-key": key})
            assert first.status_code == 201, first.text
            calls = recorder.placement()
            place_bare = replayer(calls, key, first.json()["number"], first.json()["id"])
            pool = await asyncpg.create_pool(app_dsn(url, settings.db.app_url), min_size=settings.db.pool_max, max_size=settings.db.pool_max)
            rows = []
            for clients in args.clients:
                turn = iter(range(10**9))

                async def endpoint() -> None:
                    token, address = people[next(turn) % clients]
                    body = {"item_id": item_id, "slot_start": spread(slot).isoformat(), "address_id": address}
                    response = await http.post("/api/v1/orders", json=body,
                                               headers={"authorization": f"Bearer {token}", "idempotency-key": secrets.token_hex(12)})
                    if response.status_code != 201:
                        raise RuntimeError(response.text)

                async def bare() -> None:
                    async with pool.acquire() as c:
                        await place_bare(c)

                await timed_loop(clients, 1.0, endpoint)  # warm-up
                rows.append(("endpoint", await timed_loop(clients, args.seconds, endpoint)))
                await timed_loop(clients, 1.0, bare)
                rows.append(("bare asyncpg", await timed_loop(clients, args.seconds, bare)))
            await pool.close()
    print(f"\n{len(calls)} SQL statements per placement; pool of {settings.db.pool_max}; "
          f"redis: {'yes' if settings.redis_url else 'no (PostgreSQL store)'}; {platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("| clients | driver | orders/s | p50 (ms) | p99 (ms) | errors | ratio (orders/s) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for i, (driver, r) in enumerate(rows):
        ratio = "" if driver == "endpoint" else f"{r['per_s'] / rows[i - 1][1]['per_s']:.1f}x"
        print(f"| {r['clients']} | {driver} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {ratio} |")


if __name__ == "__main__":
    asyncio.run(main())
