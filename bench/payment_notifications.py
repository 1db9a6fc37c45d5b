"""Payment notifications: throughput and p50/p99 with 30% duplicates, alone and while bookings are
being placed.

Measured side by side in one run, on one freshly migrated database, through the whole app in
process (ASGI: the tenant from the notify path, the Alipay plugin's RSA2 verification through
python-alipay-sdk, the merchant, payment and amount checks, deduplication by notify_id, the
ledger posting and the order's `pay` transition):
- alone: `--clients` senders post signed `trade_status_sync` notifications for pending payments,
  30% of the posts a repeat of one already sent (as Alipay retries do);
- with bookings: the same, while `--bookers` clients place orders (POST /api/v1/orders) as fast
  as they can.

Afterwards every payment must have been credited exactly once: one ledger posting per payment,
every order paid once, whatever the duplicates and their order.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres [REDIS_URL=redis://...] \\
        .venv/bin/python bench/payment_notifications.py [--payments 1500] [--clients 8] [--bookers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from order_placement import setup, spread, timed_loop  # noqa: E402
from scratch import scratch_app  # noqa: E402

DUPLICATES = 0.30


async def pending_payments(tenant, item_id: int, customers: list[int], count: int, prefix: str) -> list[tuple[str, int]]:
    """`count` orders waiting for payment, each with a pending Alipay payment: (payment_no, amount)."""
    import msgspec

    from platform_core.db import current_connection
    from platform_core.tenancy.context import tenant_scope

    # Past the days the bookings take: 1,500 orders waiting for a worker in one slot would make
    # every availability check of that day count them, which no franchise sees.
    start = datetime.now(timezone.utc) + timedelta(days=40)
    address = msgspec.json.encode({"contact_name": "Chen", "city": "Shanghai", "street": "1 Century Avenue", "district": "Pudong"}).decode()
    made = []
    async with tenant_scope(tenant.id):
        conn = current_connection()
        for n in range(count):
            amount = 10000 + n
            order_id = await conn.fetchval(
                "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, district, asap, "
                "scheduled_start, scheduled_end, currency, subtotal, total, payment_method, idempotency_key) "
                "values ($1, $2, $3, $4, 'cleaning', 'pending_payment', $5::jsonb, 'Pudong', false, $6, $7, $8, $9, $9, 'online', $10) returning id",
                tenant.id, f"{prefix}-{n:06d}", customers[n % len(customers)], item_id, address, start, start + timedelta(hours=2),
                tenant.currency, amount, secrets.token_hex(8),
            )
            payment_no = f"HB{n:08d}{secrets.token_hex(4).upper()}"
            await conn.execute(
                "insert into core_payment (tenant_id, payment_no, provider, method, device, purpose, order_id, customer_id, amount, currency, expires_at) "
                "values ($1, $2, 'alipay', 'page', 'desktop', 'order', $3, $4, $5, $6, now() + interval '30 minutes')",
                tenant.id, payment_no, order_id, customers[n % len(customers)], amount, tenant.currency,
            )
            made.append((payment_no, amount))
    return made


def notifications(sandbox, appid: str, payments: list[tuple[str, int]], seed: int) -> list[bytes]:
    """One signed notification per payment plus 30% repeats, shuffled (a repeat may come first)."""
    from platform_core.payments import from_minor

    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    bodies = []
    for payment_no, amount in payments:
        fields = {
            "notify_time": now, "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16), "app_id": appid,
            "charset": "utf-8", "version": "1.0", "trade_no": "2026" + secrets.token_hex(10), "out_trade_no": payment_no,
            "trade_status": "TRADE_SUCCESS", "total_amount": from_minor(amount), "receipt_amount": from_minor(amount),
            "buyer_id": "2088000000000000", "subject": "Daily cleaning", "gmt_create": now, "gmt_payment": now,
            "seller_id": "2088000000000001",
        }
        fields["sign"], fields["sign_type"] = sandbox.alipay_sign(fields), "RSA2"
        bodies.append(urlencode(fields).encode())
    rng = random.Random(seed)
    repeats = [rng.choice(bodies) for _ in range(round(len(bodies) * DUPLICATES / (1 - DUPLICATES)))]
    sequence = bodies + repeats
    rng.shuffle(sequence)
    return sequence


async def deliver(http: httpx.AsyncClient, path: str, bodies: list[bytes], clients: int) -> dict:
    queue = iter(bodies)
    latencies: list[float] = []
    errors = 0

    async def sender() -> None:
        nonlocal errors
        for body in queue:
            started = time.perf_counter()
            response = await http.post(path, content=body, headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"})
            if response.status_code != 200 or response.text != "success":
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*[sender() for _ in range(clients)])
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {"sent": len(bodies), "per_s": len(latencies) / elapsed, "errors": errors, "seconds": elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2], "p99_ms": 1000 * latencies[max(int(len(latencies) * 0.99) - 1, 0)]}


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1500, help="payments per run (two runs)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent notification senders")
    parser.add_argument("--bookers", type=int, default=4, help="concurrent clients placing orders in the second run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from platform_core.db import current_connection
    from platform_core.pluginsys.services import enable_plugin, set_plugin_config
    from platform_core.sandbox.config import tenant_config
    from platform_core.sandbox.keys import load_or_create
    from platform_core.sandbox.server import Sandbox
    from platform_core.tenancy.context import tenant_scope
    from plugins.payments_alipay.plugin import sandbox_values

    async with scratch_app(redis=True) as (app, _url):
        rt = app.state.runtime
        settings = rt.settings
        tenant, item_id, people, slot = await setup(app, max(args.bookers, 1))
        cfg = tenant_config(tenant.slug, data_dir=settings.data_dir)
        await enable_plugin(tenant.id, "payments_alipay", "bench")
        await set_plugin_config(tenant.id, "payments_alipay", sandbox_values(cfg), actor="bench")
        sandbox = Sandbox(load_or_create(settings.data_dir), base_url=cfg.base_url)
        async with tenant_scope(tenant.id):
            customers = [r["id"] for r in await current_connection().fetch("select id from core_customer")]
        path = f"/payments/notify/alipay/{tenant.slug}"
        rows = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{tenant.slug}.localhost", timeout=60) as http:
            for index, (run, bookers) in enumerate((("alone", 0), ("with bookings", args.bookers))):
                payments = await pending_payments(tenant, item_id, customers, args.payments, f"B{index}")
                bodies = notifications(sandbox, cfg.alipay.appid, payments, args.seed)
                stop = asyncio.Event()
                booked: dict = {}

                async def book() -> None:
                    token, address = people[secrets.randbelow(len(people))]
                    response = await http.post("/api/v1/orders", json={"item_id": item_id, "slot_start": spread(slot).isoformat(), "address_id": address,
                                                                       "payment_method": "after_service"},
                                               headers={"authorization": f"Bearer {token}", "idempotency-key": secrets.token_hex(12)})
                    if response.status_code != 201:
                        raise RuntimeError(response.text[:200])

                async def booking_load() -> None:
                    while not stop.is_set():
                        result = await timed_loop(bookers, 1.0, book)
                        for key in ("orders", "errors"):
                            booked[key] = booked.get(key, 0) + result[key]
                        booked.setdefault("p99s", []).append(result["p99_ms"])

                load = asyncio.create_task(booking_load()) if bookers else None
                began = time.perf_counter()
                result = await deliver(http, path, bodies, args.clients)
                stop.set()
                if load:
                    await load
                elapsed = time.perf_counter() - began
                async with tenant_scope(tenant.id):
                    c = current_connection()
                    nos = [p for p, _ in payments]
                    credited = await c.fetchval(
                        "select count(*) from core_ledger_transaction where kind = 'payment' and idempotency_key = any($1::text[])",
                        [f"payment:alipay:{p}" for p in nos])
                    paid = await c.fetchval(
                        "select count(*) from core_order o join core_payment p on p.order_id = o.id "
                        "where p.payment_no = any($1::text[]) and o.paid_at is not null and p.status = 'succeeded'", nos)
                    pays = await c.fetchval(
                        "select count(*) from core_order_event e join core_payment p on p.order_id = e.order_id "
                        "where p.payment_no = any($1::text[]) and e.event = 'pay'", nos)
                assert credited == paid == pays == len(payments), (credited, paid, pays, len(payments))
                rows.append((run, bookers, result, booked, elapsed, len(payments)))
    print(f"\n{args.payments} payments per run, {DUPLICATES:.0%} of the posts repeats; {args.clients} senders; pool of "
          f"{settings.db.pool_max}; redis: {'yes' if settings.redis_url else 'no (PostgreSQL store)'}; "
          f"{platform.python_version()}, {os.cpu_count()} CPUs\n")
    print("| run | notifications | per s | p50 (ms) | p99 (ms) | refused/failed | orders placed meanwhile | orders/s | credited once |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for run, bookers, r, booked, elapsed, count in rows:
        placed = booked.get("orders", 0)
        print(f"| {run} | {r['sent']} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | "
              f"{placed} ({booked.get('errors', 0)} refused) | {placed / elapsed:.0f} | {count}/{count} |" if bookers else
              f"| {run} | {r['sent']} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | - | - | {count}/{count} |")


if __name__ == "__main__":
    asyncio.run(main())
