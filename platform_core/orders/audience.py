"""What marketing asks of orders: which customers ordered (segment filters, as SQL over
core_order and its per-customer summary, core_order_customer_summary), and what the customers
of a list ordered and paid (a segment's members, a channel's report). An order counts unless it
was cancelled; money counts once it was paid."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

import msgspec

from platform_core.db import current_connection
from platform_core.pluginsys.contexts import SegmentSql

_LIVE = "state <> 'cancelled'"


def ordering_customers_sql() -> SegmentSql:
    """Customers with at least one order (core_order_customer_summary has a row for each, orders_0010)."""
    return SegmentSql(sql="select customer_id from core_order_customer_summary")


def dormant_customers_sql(days: int) -> SegmentSql:
    """Customers who ordered before, but not in the last `days` days: their last live order, kept
    per customer, read from its index rather than grouped from every order."""
    return SegmentSql(
        sql="select customer_id from core_order_customer_summary where last_order_at < now() - make_interval(days => $1)",
        args=(days,),
    )


def last_ordered_between_sql(since: datetime, until: datetime) -> SegmentSql:
    """Customers whose latest order was placed in [since, until): a campaign N days after the
    last order reads the customers whose N days ran out since it last looked."""
    return SegmentSql(
        sql=f"select customer_id from core_order where {_LIVE} group by customer_id "
        "having max(created_at) >= $1 and max(created_at) < $2",
        args=(since, until),
    )


def spenders_sql(more_than: int, months: int = 12) -> SegmentSql:
    """Customers who paid more than `more_than` (minor units) for orders in the last `months`."""
    return SegmentSql(
        sql=f"select customer_id from core_order where {_LIVE} and paid_at >= now() - make_interval(months => $2) "
        "group by customer_id having sum(total) > $1",
        args=(more_than, months),
    )


def category_customers_sql(category_code: str) -> SegmentSql:
    """Customers who ordered a service of the category."""
    return SegmentSql(sql=f"select customer_id from core_order where {_LIVE} and category_code = $1", args=(category_code,))


class CustomerOrders(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's orders at a glance: when they last ordered, what they paid in 12 months."""

    last_order_at: datetime | None = None
    spend_12_months: int = 0  # minor units


async def customer_orders_at_a_glance(customer_ids: Iterable[int]) -> dict[int, CustomerOrders]:
    rows = await current_connection().fetch(
        f"select customer_id, max(created_at) as last_order_at, "
        "coalesce(sum(total) filter (where paid_at >= now() - interval '12 months'), 0)::bigint as spend "
        f"from core_order where {_LIVE} and customer_id = any($1::bigint[]) group by customer_id",
        sorted(set(customer_ids)),
    )
    return {r["customer_id"]: CustomerOrders(last_order_at=r["last_order_at"], spend_12_months=r["spend"]) for r in rows}


class OrderResults(msgspec.Struct, frozen=True, kw_only=True):
    """What a group of customers ordered since a moment: how many placed their first order,
    how many orders were paid and for how much (minor units)."""

    first_orders: int = 0
    paid_orders: int = 0
    revenue: int = 0


async def order_results(customer_ids: Iterable[int], since: datetime) -> OrderResults:
    ids = sorted(set(customer_ids))
    if not ids:
        return OrderResults()
    row = await current_connection().fetchrow(
        f"with mine as (select customer_id, created_at, paid_at, total from core_order where {_LIVE} and customer_id = any($1::bigint[])) "
        "select (select count(*) from (select customer_id from mine group by customer_id having min(created_at) >= $2) f) as first_orders, "
        "count(*) filter (where paid_at >= $2) as paid_orders, coalesce(sum(total) filter (where paid_at >= $2), 0)::bigint as revenue from mine",
        ids, since,
    )
    return OrderResults(first_orders=row["first_orders"], paid_orders=row["paid_orders"], revenue=row["revenue"])


class CouponOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order that used a coupon: what it paid and what the coupon took off (minor units)."""

    order_id: int
    total: int
    discount: int
    paid_at: datetime | None


async def coupon_orders(order_ids: Iterable[int]) -> list[CouponOrder]:
    """These orders, unless cancelled, with their coupon lines' discount (`coupon:{id}` lines)."""
    rows = await current_connection().fetch(
        "select o.id as order_id, o.total, o.paid_at, coalesce((select -sum(l.amount) from core_order_line l "
        "where l.order_id = o.id and l.code like 'coupon:%'), 0)::bigint as discount "
        f"from core_order o where o.id = any($1::bigint[]) and o.{_LIVE}",
        sorted(set(order_ids)),
    )
    return [CouponOrder(**dict(r)) for r in rows]


class CustomerActivity(msgspec.Struct, frozen=True, kw_only=True):
    """What a customer did since a moment (a rolling window: loyalty's tiers): what they paid for
    completed orders (minor units) and how many orders were completed."""

    spend_minor: int = 0
    completed_orders: int = 0


async def customer_activity(customer_ids: Iterable[int], since: datetime) -> dict[int, CustomerActivity]:
    """Each customer's completed orders whose visit started at or after `since`: how many, and
    the total paid for them, read in one query (a nightly job passes a batch of ids; a customer
    with nothing is left out). Uses core_order's (tenant_id, customer_id, created_at) index."""
    rows = await current_connection().fetch(
        "select customer_id, count(*) as done, coalesce(sum(total) filter (where paid_at is not null), 0)::bigint as spend "
        "from core_order where customer_id = any($1::bigint[]) and state = 'completed' and scheduled_start >= $2 "
        "group by customer_id",
        sorted(set(customer_ids)), since,
    )
    return {r["customer_id"]: CustomerActivity(spend_minor=r["spend"], completed_orders=r["done"]) for r in rows}


class MonthSpend(msgspec.Struct, frozen=True, kw_only=True):
    month: str  # "2026-12", on the franchise's calendar
    spend_minor: int
    orders: int


async def monthly_spending(customer_id: int, since: datetime, timezone: str) -> list[MonthSpend]:
    """The customer's completed, paid orders since `since` by month of the visit on the
    franchise's calendar (`timezone`), oldest first; months without one are left out (the member
    centre's spending history)."""
    rows = await current_connection().fetch(
        "select to_char(scheduled_start at time zone $3, 'YYYY-MM') as month, count(*) as orders, sum(total)::bigint as spend "
        "from core_order where customer_id = $1 and state = 'completed' and paid_at is not null and scheduled_start >= $2 "
        "group by 1 order by 1",
        customer_id, since, timezone,
    )
    return [MonthSpend(month=r["month"], spend_minor=r["spend"], orders=r["orders"]) for r in rows]
