"""Ledger posting: postings per second and p50/p99 latency, the ledger service against the same
INSERTs on a bare asyncpg loop.

Measured side by side in one run, on one freshly migrated database, each posting a wallet
top-up (debit provider:alipay:clearing, credit customer:{id}:wallet), its own transaction:
- service: `ledger.wallet_topup` in `tenant_scope` as a job runs it (the tenant's context, the
  accounts resolved in one statement, the transaction and its entries inserted in one with the
  idempotency key as an insert-on-conflict; a top-up only adds to the wallet, so no lock);
- bare asyncpg: on a plain pool of the same size and role (`hearth_app`, under RLS), only what
  must reach the database: set the tenant, insert the transaction, insert its two entries, commit.
Both pay for the database's own guarantees at commit (the deferred balance trigger, the
append-only triggers, RLS). Two shapes: each client topping up its own customer's wallet, and
every client topping up one shared wallet. Service and bare alternate, each configuration in turn.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/ledger_posting.py [--quick] [--write] [--seconds 10] [--clients 1 8]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402
from loops import merge, timed_loop  # noqa: E402
from scratch import scratch_app  # noqa: E402

from platform_core.db.engine import app_dsn  # noqa: E402

AMOUNT = 100  # fen per top-up


@contextmanager
def recording_statements() -> Iterator[list[tuple[str, str]]]:
    """Every statement asyncpg runs while the block is open, as (method, SQL); bench/
    payment_notifications.py lists them too."""
    names = ("execute", "executemany", "fetch", "fetchrow", "fetchval")
    originals = {name: getattr(asyncpg.Connection, name) for name in names}
    calls: list[tuple[str, str]] = []
    for name, original in originals.items():
        def wrapper(conn, query, *args, __name=name, __original=original, **kwargs):
            calls.append((__name, query))
            return __original(conn, query, *args, **kwargs)
        setattr(asyncpg.Connection, name, wrapper)
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(asyncpg.Connection, name, original)


async def setup():
    import msgspec

    from platform_core.tenancy.schemas import TenantCreate
    from platform_core.tenancy.services import create_tenant

    return await create_tenant(msgspec.convert({"slug": f"bench-{secrets.token_hex(3)}", "name": "Bench"}, TenantCreate))


async def main() -> None:
    logging.getLogger("hearth").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement (about 40 s in all)")
    parser.add_argument("--write", action="store_true", help="rewrite this benchmark's section of bench/RESULTS.md")
    parser.add_argument("--seconds", type=float, help="per measurement (default 10, quick 3)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    machine = report.machine()
    from platform_core.ledger import services as ledger
    from platform_core.tenancy.context import tenant_scope

    async with scratch_app(redis=False) as (app, url):
        settings = app.state.runtime.settings
        tenant = await setup()
        customers = list(range(1, max(args.clients) + 2))  # wallet accounts need no customer row
        shared = customers[-1]
        pool = await asyncpg.create_pool(app_dsn(url, settings.db.app_url), min_size=settings.db.pool_max, max_size=settings.db.pool_max)

        async def service(customer_id: int) -> None:
            async with tenant_scope(tenant.id):
                await ledger.wallet_topup(customer_id, "CNY", "alipay", AMOUNT, payment_ref=secrets.token_hex(8))

        # The accounts exist before the bare loop runs: it inserts entries only, as a warm ledger does.
        for customer_id in customers:
            await service(customer_id)
        async with pool.acquire() as c, c.transaction():
            await c.execute("select set_config('app.tenant_id', $1, true)", str(tenant.id))
            accounts = {r["code"]: r["id"] for r in await c.fetch("select code, id from core_ledger_account")}

        async def bare(customer_id: int) -> None:
            wallet, clearing = accounts[f"customer:{customer_id}:wallet"], accounts["provider:alipay:clearing"]
            async with pool.acquire() as c, c.transaction():
                await c.execute("select set_config('app.tenant_id', $1, true)", str(tenant.id))
                tx = await c.fetchval(
                    "insert into core_ledger_transaction (tenant_id, idempotency_key, kind, order_id, memo) "
                    "values ($1, $2, 'wallet_topup', null, '') returning id", tenant.id, f"topup:alipay:{secrets.token_hex(8)}")
                await c.execute(
                    "insert into core_ledger_entry (tenant_id, transaction_id, account_id, currency, amount) "
                    "select $1, $2, u.a, 'CNY', u.m from unnest($3::bigint[], $4::bigint[]) as u(a, m)",
                    tenant.id, tx, [clearing, wallet], [AMOUNT, -AMOUNT])

        with recording_statements() as calls:
            await service(customers[0])
        statements, ledger_statements = len(calls), sum("core_ledger" in query for _, query in calls)
        with recording_statements() as calls:
            await bare(customers[0])
        bare_statements = len(calls)

        rows = []
        for shape in ("own wallet", "one shared wallet"):
            for clients in args.clients:
                for driver, post in (("service", service), ("bare asyncpg", bare)):
                    turn = iter(range(10**9))

                    async def one(post=post) -> None:
                        await post(shared if shape == "one shared wallet" else customers[next(turn) % clients])

                    await timed_loop(clients, 1.0, one)  # warm-up
                    rows.append((shape, driver, merge([await timed_loop(clients, args.seconds, one)])))
        await pool.close()
        async with tenant_scope(tenant.id):
            balanced = await ledger.balance("provider:alipay:clearing", "CNY") == sum(
                [await ledger.balance(f"customer:{c}:wallet", "CNY") for c in customers])
    lines = [
        f"Statements per posting, as the connections run them: service {statements}, of which {ledger_statements} the "
        f"ledger's (the rest is the tenant's context: BEGIN, `set_config`, its reads, COMMIT, the pool's reset); bare "
        f"{bare_statements}; pool of {settings.db.pool_max}; {args.seconds:.0f} s per measurement after 1 s of warm-up; "
        f"the clearing account equals the sum of the wallets afterwards: {balanced}.",
        "",
        "| wallets | clients | driver | postings/s | p50 (ms) | p99 (ms) | errors | service / bare |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    summaries = []
    for i, (shape, driver, r) in enumerate(rows):
        ratio = ""
        if driver == "bare asyncpg":
            value = rows[i - 1][2]["per_s"] / r["per_s"]
            ratio = f"{value:.2f}"
            summaries.append((f"ledger posting, {shape}, {r['clients']} client{'s' if r['clients'] != 1 else ''}: service vs bare asyncpg", round(value, 2), "", None))
        lines.append(f"| {shape} | {r['clients']} | {driver} | {r['per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | {ratio} |")
    body = "\n".join(lines)
    print(body)
    for row in summaries:
        report.summary(*row)
    if args.write:
        report.replace_section("ledger_posting.py", "\n".join([
            "## Ledger posting (bench/ledger_posting.py)", "",
            f"`{report.command_line()}` — {machine}.", "",
            "A fresh database, one franchise; each posting is a wallet top-up of ¥1.00 (debit `provider:alipay:clearing`, "
            "credit `customer:{id}:wallet`) in its own transaction. **service**: `ledger.wallet_topup` inside `tenant_scope`, "
            "as a job posts it (the accounts in one statement, the transaction and its entries in one, nothing read back). "
            "**bare asyncpg**: the same INSERTs on a plain pool of the same size and role (`hearth_app`, under RLS). Both "
            "commit through the same deferred balance trigger and append-only triggers. **own wallet**: each client tops up "
            "its own customer's wallet; **one shared wallet**: every client the same one.", "",
            body,
        ]))


if __name__ == "__main__":
    asyncio.run(main())
