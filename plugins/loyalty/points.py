"""The points ledger: every change is an append-only movement, and earned points are kept as lots
that are spent, expire and are taken back oldest first.

Invariants, for each customer (tests/test_points_ledger.py checks them under random operations):
- the balance is the sum of the movements, and equals the sum of the lots' `remaining`;
- no lot's `remaining` is below zero, so the balance is never negative;
- a spend draws on the lots that expire first (then the oldest), and only on lots not yet due;
- a claw-back (a refund) that finds the points spent takes what is there and leaves the rest
  as the member's debt, which the next points earned pay first, or writes it off (the
  franchise's `refund_policy`);
- every movement has a key: the same key twice changes nothing the second time, so a retried
  job or a double tap never counts twice.

Concurrency: every change locks the customer's `loyalty_member` row first (`lock_member`), then
touches their lots. Two spends of one customer take turns there, so the second sees what the first
left and the last points go once. Anything else the plugin locks (goods stock, a check-in day) is
locked after the member row, never before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from platform_core.plugin_api import (
    Conflict,
    clock,
    current_connection,
    current_tenant,
    plugin_config,
)

from .config import LoyaltyConfig

Reason = Literal["order", "checkin", "task", "redemption", "adjustment", "tier", "birthday", "refund", "expiry"]
Kind = Literal["earned", "spent", "expired", "reversed"]

NOT_ENOUGH_POINTS = "You do not have enough points."
# Lots not yet due: a lot past its expiry waits for the daily job, but can not be spent meanwhile.
_OPEN_LOTS = "customer_id = $1 and remaining > 0 and (expires_at is null or expires_at > $2)"


class Movement(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: Kind
    points: int
    reason: str
    link: str
    note: str
    uncovered: int
    created_at: datetime


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    points: int  # spendable now
    debt: int  # points a refund took back that were spent already; paid by the next points earned
    expiring_points: int  # of `points`, those that expire within `expiring_days`
    expiring_on: datetime | None  # when the first of them expires
    expiring_days: int = 30


async def lock_member(customer_id: int) -> int:
    """Lock the customer's member row (made on first use) until the transaction ends; returns the
    member's debt. Every change of points starts here."""
    return await current_connection().fetchval(
        "insert into loyalty_member (tenant_id, customer_id) values ($1, $2) "
        "on conflict (tenant_id, customer_id) do update set debt = loyalty_member.debt returning debt",
        current_tenant().id, customer_id,
    )


async def _existing(key: str) -> int | None:
    return await current_connection().fetchval("select id from loyalty_movement where key = $1", key)


async def _insert_movement(
    customer_id: int, kind: Kind, points: int, reason: str, link: str, key: str, *,
    note: str = "", uncovered: int = 0, drawn: list[list[int]] | None = None,
) -> int | None:
    return await current_connection().fetchval(
        "insert into loyalty_movement (tenant_id, customer_id, kind, points, reason, link, note, key, uncovered, drawn, created_at) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11) on conflict (tenant_id, key) do nothing returning id",
        current_tenant().id, customer_id, kind, points, reason, link[:120], note[:200], key[:160], uncovered,
        msgspec.json.encode(drawn or []).decode(), clock.now(),
    )


async def _draw(customer_id: int, points: int, *, first_lot_of: str | None = None) -> list[list[int]]:
    """Take up to `points` from the customer's open lots, oldest first (the lot earned by the
    movement keyed `first_lot_of` before all others); returns [[lot id, taken], ...]. The caller
    holds the member lock."""
    rows = await current_connection().fetch(
        "with open as (select l.id, l.remaining, sum(l.remaining) over ("
        "    order by (m.key is distinct from $4), l.expires_at nulls last, l.id rows unbounded preceding) as upto "
        "  from loyalty_lot l join loyalty_movement m on m.id = l.movement_id "
        "  where l.customer_id = $1 and l.remaining > 0 and (l.expires_at is null or l.expires_at > $2)), "
        "take as (select id, least(remaining, $3 - (upto - remaining)) as taken from open where upto - remaining < $3) "
        "update loyalty_lot l set remaining = l.remaining - take.taken from take where l.id = take.id "
        "returning l.id, take.taken",
        customer_id, clock.now(), points, first_lot_of,
    )
    return sorted([[r["id"], int(r["taken"])] for r in rows])


async def award(customer_id: int, points: int, *, reason: Reason, link: str, key: str, note: str = "") -> int:
    """Give the customer `points` (> 0) as a new lot, expiring after the franchise's
    `expiry_months`; a debt is paid from them first. Returns the movement's id; the same `key`
    again awards nothing and returns the first movement's id."""
    if points <= 0:
        raise ValueError("award: points must be positive")
    debt = await lock_member(customer_id)
    if (found := await _existing(key)) is not None:
        return found
    config = await plugin_config(LoyaltyConfig)
    movement_id = await current_connection().fetchval(
        "with m as (insert into loyalty_movement (tenant_id, customer_id, kind, points, reason, link, note, key, created_at) "
        "  values ($1, $2, 'earned', $3, $4, $5, $6, $7, $8) returning id, created_at) "
        "insert into loyalty_lot (tenant_id, customer_id, movement_id, points, remaining, earned_at, expires_at) "
        "select $1, $2, m.id, $3, $3, m.created_at, "
        "  case when $9 > 0 then m.created_at + make_interval(months => $9) end from m returning movement_id",
        current_tenant().id, customer_id, points, reason, link[:120], note[:200], key[:160], clock.now(), config.expiry_months,
    )
    if debt:
        paid = min(debt, points)
        drawn = await _draw(customer_id, paid, first_lot_of=key)
        await _insert_movement(customer_id, "reversed", -paid, "refund", link, f"{key}:debt", note="debt paid", drawn=drawn)
        await current_connection().execute(
            "update loyalty_member set debt = debt - $2 where customer_id = $1", customer_id, paid)
    return movement_id


async def spend(customer_id: int, points: int, *, reason: Reason, link: str, key: str, note: str = "") -> int:
    """Spend `points` (> 0), oldest lots first. Conflict on `points` when the balance is short
    (nothing is spent then). Returns the movement's id; the same `key` again spends nothing."""
    if points <= 0:
        raise ValueError("spend: points must be positive")
    await lock_member(customer_id)
    if (found := await _existing(key)) is not None:
        return found
    available = await current_connection().fetchval(
        f"select coalesce(sum(remaining), 0) from loyalty_lot where {_OPEN_LOTS}", customer_id, clock.now())
    if available < points:
        raise Conflict(NOT_ENOUGH_POINTS, fields={"points": NOT_ENOUGH_POINTS})
    drawn = await _draw(customer_id, points)
    return await _insert_movement(customer_id, "spent", -points, reason, link, key, note=note, drawn=drawn)  # type: ignore[return-value]


async def give_back(spend_key: str, *, reason: Reason, link: str, key: str) -> int | None:
    """Return the points of an earlier spend (a redemption cancelled) to the lots they came from;
    a lot past its expiry meanwhile expires them again on the next daily run. None when there is
    no such spend; the same `key` again gives back nothing."""
    row = await current_connection().fetchrow(
        "select customer_id, points, drawn from loyalty_movement where key = $1 and kind = 'spent'", spend_key)
    if row is None:
        return None
    await lock_member(row["customer_id"])
    if (found := await _existing(key)) is not None:
        return found
    drawn = msgspec.json.decode(row["drawn"]) if isinstance(row["drawn"], (str, bytes)) else row["drawn"]
    await current_connection().execute(
        "update loyalty_lot l set remaining = l.remaining + d.taken "
        "from unnest($1::bigint[], $2::bigint[]) as d(id, taken) where l.id = d.id",
        [lot for lot, _ in drawn], [taken for _, taken in drawn],
    )
    return await _insert_movement(row["customer_id"], "reversed", -row["points"], reason, link, key, drawn=drawn)


async def take_back(customer_id: int, points: int, *, link: str, key: str, earned_key: str | None = None) -> int:
    """Take back `points` earned earlier (a refund of the order that earned them): from the lot the
    movement keyed `earned_key` made first, then oldest first. What is no longer there is added
    to the member's debt, or written off, by the franchise's `refund_policy`; the movement records
    it as `uncovered`. Returns the movement's id; the same `key` again takes nothing."""
    if points <= 0:
        raise ValueError("take_back: points must be positive")
    await lock_member(customer_id)
    if (found := await _existing(key)) is not None:
        return found
    drawn = await _draw(customer_id, points, first_lot_of=earned_key)
    taken = sum(t for _, t in drawn)
    uncovered = points - taken
    config = await plugin_config(LoyaltyConfig)
    if uncovered and config.refund_policy == "debt":
        await current_connection().execute(
            "update loyalty_member set debt = debt + $2 where customer_id = $1", customer_id, uncovered)
    note = "" if not uncovered else ("debt" if config.refund_policy == "debt" else "written off")
    return await _insert_movement(  # type: ignore[return-value]
        customer_id, "reversed", -taken, "refund", link, key, note=note, uncovered=uncovered, drawn=drawn)


async def adjust(customer_id: int, points: int, *, note: str, key: str) -> int:
    """A console adjustment: positive awards, negative spends (Conflict when the balance is
    short). The note (the reason, required by the console) is kept on the movement."""
    link = f"adjustment:{key.rsplit(':', 1)[-1]}"
    if points > 0:
        return await award(customer_id, points, reason="adjustment", link=link, key=key, note=note)
    return await spend(customer_id, -points, reason="adjustment", link=link, key=key, note=note)


async def balance(customer_id: int) -> int:
    """Points the customer can spend now."""
    return int(await current_connection().fetchval(
        f"select coalesce(sum(remaining), 0) from loyalty_lot where {_OPEN_LOTS}", customer_id, clock.now()))


async def balance_of(customer_id: int, *, expiring_days: int = 30) -> Balance:
    """The balance with what expires soon and the debt, in one statement (the member centre)."""
    now = clock.now()
    row = await current_connection().fetchrow(
        "select coalesce(sum(l.remaining) filter (where l.expires_at is null or l.expires_at > $2), 0) as points, "
        "coalesce(sum(l.remaining) filter (where l.expires_at > $2 and l.expires_at <= $2 + make_interval(days => $3)), 0) as expiring, "
        "min(l.expires_at) filter (where l.expires_at > $2 and l.expires_at <= $2 + make_interval(days => $3)) as expiring_on, "
        "(select debt from loyalty_member where customer_id = $1) as debt "
        "from loyalty_lot l where l.customer_id = $1 and l.remaining > 0",
        customer_id, now, expiring_days,
    )
    return Balance(points=int(row["points"]), debt=int(row["debt"] or 0), expiring_points=int(row["expiring"]),
                   expiring_on=row["expiring_on"], expiring_days=expiring_days)


async def history(customer_id: int, *, limit: int = 50, before_id: int | None = None) -> list[Movement]:
    """The customer's movements, newest first, a page at a time (`before_id`: the last id shown)."""
    rows = await current_connection().fetch(
        "select id, kind, points, reason, link, note, uncovered, created_at from loyalty_movement "
        "where customer_id = $1 and ($2::bigint is null or id < $2) order by id desc limit $3",
        customer_id, before_id, limit,
    )
    return [Movement(**dict(r)) for r in rows]


class Earned(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int
    points: int


async def earned_by(key: str) -> Earned | None:
    """The points the movement keyed `key` earned (an order's), None when it earned none."""
    row = await current_connection().fetchrow(
        "select customer_id, points from loyalty_movement where key = $1 and kind = 'earned'", key)
    return Earned(customer_id=row["customer_id"], points=int(row["points"])) if row else None


async def taken_back_for(link: str) -> int:
    """Points refunds have taken back for `link` so far (what they took and what they left as
    debt or wrote off)."""
    return int(await current_connection().fetchval(
        "select coalesce(sum(-points + uncovered), 0) from loyalty_movement "
        "where link = $1 and kind = 'reversed' and reason = 'refund' and note <> 'debt paid'", link))


# --------------------------------------------------------------------------- expiry


async def expire_due(*, batch_customers: int = 2000) -> int:
    """Expire every lot past its `expires_at` for the current franchise, a batch of customers per
    transaction step: their member rows are locked first (in id order, as every change does),
    then their due lots are emptied and one `expired` movement per customer records the sum.
    Returns the points expired. Safe to run twice: an emptied lot is not due any more."""
    now = clock.now()
    total = 0
    conn = current_connection()
    while True:
        customers = await conn.fetch(
            "select customer_id from loyalty_member where customer_id in ("
            "  select distinct customer_id from loyalty_lot where remaining > 0 and expires_at <= $1 limit $2) "
            "order by customer_id for update",
            now, batch_customers,
        )
        if not customers:
            return total
        ids = [r["customer_id"] for r in customers]
        expired = await conn.fetchval(
            "with due as (select id, customer_id, remaining from loyalty_lot "
            "  where customer_id = any($2::bigint[]) and remaining > 0 and expires_at <= $3 for update), "
            "emptied as (update loyalty_lot l set remaining = 0 from due where l.id = due.id "
            "  returning due.customer_id, due.id, due.remaining), "
            "per_customer as (select customer_id, sum(remaining) as points, "
            "  jsonb_agg(jsonb_build_array(id, remaining) order by id) as drawn, max(id) as last_lot "
            "  from emptied group by customer_id), "
            "written as (insert into loyalty_movement (tenant_id, customer_id, kind, points, reason, link, key, drawn, created_at) "
            "  select $1, customer_id, 'expired', -points, 'expiry', 'expiry:' || $4, "
            "    'expiry:' || customer_id || ':' || last_lot || ':' || $5, drawn, $3 from per_customer returning points) "
            "select coalesce(-sum(points), 0) from written",
            current_tenant().id, ids, now, now.date().isoformat(), str(int(now.timestamp() * 1_000_000)),
        )
        total += int(expired)
