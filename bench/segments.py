"""Segments on 100k customers: each order-based filter's size and first page, as the console's
segment builder asks them, on a franchise of 100,000 customers and about 267,000 orders (and a
second franchise of a fifth of that beside it, so RLS has rows to leave out).

- size: `marketing.segments.segment_size([filter])` (the builder's count);
- first page: `segment_page([filter])` (the count and 50 members with their last order and their
  spend in 12 months), each in a tenant transaction of its own, repeated and the median taken;
- the anchor, in alternating runs on the same data: the size as it was asked before orders kept
  a row per customer (orders_0010), every order of the franchise grouped by customer, and the
  parts combined with INTERSECT and EXCEPT. Its ratio says what the change is worth whatever the
  machine's load.

The data is written in bulk as the database's owner: customers registered over three years, 70%
of them with 1 to 6 orders since, 8% of the orders cancelled, the others paid the day after,
in four categories.

    HEARTH_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/segments.py [--quick] [--write] [--customers 100000] [--repeat 5] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402
from scratch import scratch_app  # noqa: E402

CATEGORIES = ("cleaning", "appliances", "care", "repair")
FILTERS = {
    "new (30 days)": [{"name": "new", "params": {"days": 30}}],
    "dormant (90 days)": [{"name": "dormant", "params": {"days": 90}}],
    "spent more than ¥1,000 in 12 months": [{"name": "spent", "params": {"amount": "1000"}}],
    "ordered a category (appliances)": [{"name": "category", "params": {"category": "appliances"}}],
    "dormant and spent more than ¥500": [{"name": "dormant", "params": {"days": 90}}, {"name": "spent", "params": {"amount": "500"}}],
}


async def populate(url: str, tenant_id: int, customers: int) -> int:
    """`customers` customers and their orders in one franchise, as the owner; the orders written."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("select set_config('app.tenant_id', $1, false)", str(tenant_id))
        items = []
        for n, code in enumerate(CATEGORIES):
            category = await conn.fetchval(
                "insert into core_service_category (tenant_id, code, title) values ($1, $2, $3) returning id", tenant_id, code, code.title())
            items.append(await conn.fetchval(
                "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, currency) "
                "values ($1, $2, $3, $4, 120, 'fixed', $5, 'CNY') returning id", tenant_id, category, f"{code}-visit", code.title(), 10000 + n * 5000))
        await conn.execute(
            "insert into core_customer (tenant_id, display_name, created_at) "
            "select $1, 'Customer ' || g, now() - random() * interval '1095 days' from generate_series(1, $2) g",
            tenant_id, customers)
        await conn.execute(
            """
            insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, scheduled_start,
                                    scheduled_end, currency, subtotal, total, idempotency_key, created_at, paid_at)
            select $1, 'B' || o.customer_id || '-' || o.k, o.customer_id, ($2::bigint[])[o.cat + 1], ($3::text[])[o.cat + 1],
                   case when o.cancelled then 'cancelled' else 'completed' end, '{}'::jsonb, o.at + interval '2 days',
                   o.at + interval '2 days 2 hours', 'CNY', o.total, o.total, 'bench-' || o.k, o.at,
                   case when o.cancelled then null else o.at + interval '1 day' end
            from (
              select c.id as customer_id, k, floor(random() * 4)::int as cat, random() < 0.08 as cancelled,
                     (5000 + floor(random() * 45000))::bigint as total,
                     c.created_at + random() * (now() - c.created_at) as at
              from (select id, created_at, case when random() < 0.7 then 1 + floor(random() * 6.6)::int else 0 end as n
                    from core_customer where tenant_id = $1) c
              cross join lateral generate_series(1, c.n) k
            ) o
            """,
            tenant_id, items, list(CATEGORIES))
        orders = await conn.fetchval("select count(*) from core_order where tenant_id = $1", tenant_id)
        await conn.execute("vacuum analyze core_customer, core_order, core_order_customer_summary")
        return orders
    finally:
        await conn.close()


# The anchor: the order filters as SQL over every order (before orders_0010), combined as before.
_LIVE = "state <> 'cancelled'"
GROUPED = {
    "ordering": f"select customer_id from core_order where {_LIVE}",
    "dormant": f"select customer_id from core_order where {_LIVE} group by customer_id having max(created_at) < now() - make_interval(days => $1)",
}


def grouped_query(raw: list[dict]) -> tuple[str, list]:
    """A segment's count as it was asked before: the parts INTERSECTed, the excluding EXCEPTed."""
    from platform_core.accounts.services import (
        active_customers_sql,
        registered_since_sql,
    )
    from platform_core.orders.audience import category_customers_sql, spenders_sql
    from platform_core.pluginsys.contexts import SegmentSql

    parts = [active_customers_sql()]
    for f in raw:
        params = f["params"]
        if f["name"] == "new":
            parts += [registered_since_sql(params["days"]), SegmentSql(sql=GROUPED["ordering"], exclude=True)]
        elif f["name"] == "dormant":
            parts.append(SegmentSql(sql=GROUPED["dormant"], args=(params["days"],)))
        elif f["name"] == "spent":
            parts.append(spenders_sql(int(params["amount"]) * 100))
        else:
            parts.append(category_customers_sql(params["category"]))
    args: list = []
    include: list[str] = []
    exclude: list[str] = []
    for part in parts:
        offset = len(args)
        sql = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + offset}", part.sql)
        args.extend(part.args)
        (exclude if part.exclude else include).append(f"({sql})")
    query = " intersect ".join(include)
    if exclude:
        query = f"({query}) except ({' union '.join(exclude)})"
    return query, args


async def timed(repeat: int, one) -> float:
    """The median of `repeat` calls after one untimed call, in milliseconds."""
    await one()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await one()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats (the data is the same size)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each measure (alternating with the anchor's)")
    parser.add_argument("--explain", action="store_true", help="print each filter's plan (EXPLAIN ANALYZE) for its size")
    parser.add_argument("--write", action="store_true", help="rewrite this benchmark's section of bench/RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 3
    machine = report.machine()

    async with scratch_app(redis=False) as (app, url):
        from platform_core.db import current_connection
        from platform_core.marketing.schemas import SegmentFilter
        from platform_core.marketing.segments import _query, segment_page, segment_size
        from platform_core.tenancy.context import tenant_scope
        from platform_core.tenancy.schemas import TenantCreate
        from platform_core.tenancy.services import create_tenant

        logging.getLogger("hearth").setLevel(logging.WARNING)
        tenant = await create_tenant(msgspec.convert({"slug": "bench-big", "name": "Big", "timezone": "Asia/Shanghai"}, TenantCreate))
        other = await create_tenant(msgspec.convert({"slug": "bench-other", "name": "Other"}, TenantCreate))
        started = time.perf_counter()
        await populate(url, other.id, args.customers // 5)
        orders = await populate(url, tenant.id, args.customers)
        built = time.perf_counter() - started
        rows = []
        for label, raw in FILTERS.items():
            filters = [msgspec.convert(f, SegmentFilter) for f in raw]

            async def size(filters=filters) -> int:
                async with tenant_scope(tenant.id):
                    return await segment_size(filters)

            async def page(filters=filters):
                async with tenant_scope(tenant.id):
                    return await segment_page(filters)

            if args.explain:
                async with tenant_scope(tenant.id):
                    sql, query_args = _query(filters)
                    await current_connection().execute("set local work_mem = '64MB'")
                    plan = await current_connection().fetch(f"explain (analyze, buffers) select count(*) from ({sql}) m", *query_args)
                print(label, *[r[0] for r in plan], sep="\n  ")
            async def grouped(raw=raw) -> int:
                sql, query_args = grouped_query(raw)
                async with tenant_scope(tenant.id):
                    await current_connection().execute("set local work_mem = '64MB'")
                    return await current_connection().fetchval(f"select count(*) from ({sql}) m", *query_args)

            members = await size()
            if await grouped() != members:
                raise RuntimeError(f"{label}: the grouped query counts {await grouped()}, the segment {members}")
            ours, anchor = [], []
            for run in range(args.repeat):
                # Alternating which goes first, so neither always runs on the warmer (or busier) machine.
                pair = [(ours, size), (anchor, grouped)] if run % 2 == 0 else [(anchor, grouped), (ours, size)]
                for into, one in pair:
                    into.append(await timed(1, one))
            rows.append((label, members, statistics.median(ours), statistics.median(anchor), await timed(args.repeat, page)))

    lines = [
        "## Segments on 100k customers (bench/segments.py)", "",
        f"`{report.command_line()}` — {machine}; {args.customers:,} customers and {orders:,} orders in the franchise measured "
        f"(a second franchise of a fifth of that beside it), built in {built:.0f} s; median of {args.repeat} runs after one untimed.", "",
        "| filter | members | size (ms) | grouped, before (ms) | before / now | size and first page of 50 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, members, size_ms, grouped_ms, page_ms in rows:
        lines.append(f"| {label} | {members:,} | {size_ms:.0f} | {grouped_ms:.0f} | **{grouped_ms / size_ms:.1f}** | {page_ms:.0f} |")
    text = "\n".join(lines)
    print(text)
    slowest = max(page_ms for *_, page_ms in rows)
    report.summary("segment size and first page on 100k customers, slowest order filter", round(slowest), "", None, "ms")
    dormant = next(r for r in rows if r[0].startswith("dormant ("))
    report.summary("segment size on 100k customers, dormant: grouped orders (before) / per-customer summary", round(dormant[3] / dormant[2], 1), "", None)
    if args.write:
        report.replace_section("segments.py", text + "\n\n" + NOTES)


NOTES = """\
- Each measure is one tenant transaction of its own (BEGIN, the tenant, the segment's statements,
  COMMIT), as a request of the segment builder makes them; the first page adds the members' cards
  and their orders at a glance (two statements over the 50 ids).
- What changed: orders keep a row per customer with a live order (`core_order_customer_summary`,
  orders_0010, kept by a trigger in the order's transaction), so `dormant` reads the customers
  whose last order is older than the window from an index, and `new`'s "no order yet" reads that
  table's customers instead of every order; a category's live orders have their own index; and
  the parts are joined to the active customers (`in`, `not exists`) instead of INTERSECTed with
  them, which hashed 100k customers with every filter's ids. `spent` still sums the paid orders of
  a rolling 12 months (a stored sum would be wrong the next day): what it gains is the join.
- Before, on integration (the same script without the anchor column, load average 4.0):
  new 194 ms, dormant 149, spent 196, category 167, dormant and spent 295 for the size.
  The "grouped, before" column runs that shape in the same run on the same data (with the new
  category index, which it uses too), so its ratio holds whatever the load; the machine was
  shared with other engineers' test runs, and the absolute numbers move with it.
"""


if __name__ == "__main__":
    asyncio.run(main())
