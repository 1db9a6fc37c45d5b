"""The rows of a placed order. Booking (platform_core/booking) checks, prices and times a booking;
here it is numbered, written with its lines and timeline in one statement, and found again by its
idempotency key."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.db.engine import side_connection
from platform_core.errors import Conflict
from platform_core.tenancy.context import current_tenant

from . import machine as m
from .schemas import ActorRef, NewOrder, Order, OrderLine
from .services import (
    ORDER_COLUMNS,
    WITH_LINES,
    machine_for_order,
    order_from_row,
    tell_plugins,
    transition,
)

# Guards that hold by construction when the placing customer fires the event on their new order.
_PLACING_GUARDS = frozenset({"is_order_customer"})


async def order_for_key(customer_id: int, key: str, request_hash: str) -> Order | None:
    """The customer's order placed with idempotency key `key`; Conflict when the key placed
    another request."""
    row = await current_connection().fetchrow(
        f"select {ORDER_COLUMNS}, {WITH_LINES}, request_hash from core_order where customer_id = $1 and idempotency_key = $2",
        customer_id, key,
    )
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        raise Conflict("This idempotency key was already used for another order.")
    data = dict(row)
    data.pop("request_hash")
    return order_from_row(data)


async def take_number(tz: ZoneInfo) -> str:
    """The next number of the tenant's day, YYYYMMDD-NNNN by its calendar, from a counter taken in
    a statement of its own on a connection of its own (it commits at once): the counter's row is
    locked only for that moment, never until the placement commits, so placements of one
    franchise do not wait on each other here. A number taken by a placement that then fails is
    not given again: numbers may have gaps."""
    today = clock.today(tz)
    tenant_id = current_tenant().id
    async with side_connection() as conn:
        # The tenant for RLS is set by the statement itself, local to the transaction the
        # statement is (so it ends with it); the row is made after it, so the policy sees it.
        value = await conn.fetchval(
            "with tenant as (select set_config('app.tenant_id', $1::bigint::text, true)) "
            "insert into core_order_counter (tenant_id, day, value) select $1, $2, 1 from tenant "
            "on conflict (tenant_id, day) do update set value = core_order_counter.value + 1 returning value",
            tenant_id, today,
        )
    return f"{today:%Y%m%d}-{value:04d}"


def _stored(line: OrderLine) -> OrderLine:
    """A line as its row keeps it (code and label cut to their columns)."""
    return msgspec.structs.replace(line, code=line.code[:63], label=line.label[:200])


async def create_order(new: NewOrder, number: str, *, now: datetime | None = None) -> Order | None:
    """Write the order numbered `number` with its lines and its 'place' event, in one statement;
    None when the customer's key placed an order a moment ago. An order paid after the service is
    written as the machine's `pay_after_service` leaves it, with that event on its timeline too,
    and whoever reacts to it hears of it (dispatch starts). Raises asyncpg's
    ExclusionViolationError when the picked worker was just booked for that time; that insert
    runs in a savepoint, so the caller's transaction stays usable."""
    conn = current_connection()
    tenant_id = current_tenant().id
    customer = ActorRef(kind="customer", id=new.customer_id)
    price = new.price
    lines = [_stored(line) for line in price.lines]
    events = [("place", None, m.PENDING_PAYMENT, msgspec.json.encode({"total": price.total}).decode())]
    spec = machine_for_order(new.category_code).get("pay_after_service")
    # Straight to where paying after the service leads, unless a plugin's machine asks more of it.
    direct = (
        new.payment_method == "after_service" and spec is not None and m.PENDING_PAYMENT in spec.sources
        and "customer" in spec.actors and set(spec.guards) <= _PLACING_GUARDS
    )
    state = m.PENDING_PAYMENT
    if direct:
        state = spec.target or m.PENDING_PAYMENT
        events.append(("pay_after_service", m.PENDING_PAYMENT, state, "{}"))
    address = new.address
    query = (
        "with o as (insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, lat, lng, "
        "district, requirements, fields, photos, asap, scheduled_start, scheduled_end, requested_staff_id, quantity, "
        "currency, subtotal, adjustments, total, payment_method, idempotency_key, request_hash, created_at) "
        "values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16, $17, $18, "
        "$19, $20, $21, $22, $23, $24, $25, $26) "
        f"on conflict (tenant_id, customer_id, idempotency_key) do nothing returning {ORDER_COLUMNS}), "
        "l as (insert into core_order_line (tenant_id, order_id, position, kind, code, label, quantity, unit_amount, amount, source, "
        "funded_by) select $1, o.id, t.position, t.kind, t.code, t.label, t.quantity, t.unit_amount, t.amount, t.source, t.funded_by "
        "from o, unnest($27::int[], $28::text[], $29::text[], $30::text[], $31::int[], $32::bigint[], $33::bigint[], $34::text[], "
        "$39::text[]) as t(position, kind, code, label, quantity, unit_amount, amount, source, funded_by)), "
        # In timeline order: the ids follow the array's.
        "e as (insert into core_order_event (tenant_id, order_id, event, from_state, to_state, actor_kind, actor_id, data) "
        "select $1, o.id, t.event, t.from_state, t.to_state, 'customer', $3, t.data::jsonb from o, "
        "unnest($35::text[], $36::text[], $37::text[], $38::text[]) with ordinality as t(event, from_state, to_state, data, n) "
        "order by t.n) "
        "select * from o"
    )
    args = (
        tenant_id, number, new.customer_id, new.item_id, new.category_code, state,
        msgspec.json.encode(address).decode(), address["lat"], address["lng"], address["district"],
        new.requirements, msgspec.json.encode(new.fields).decode(), msgspec.json.encode(new.photos).decode(),
        new.asap, new.scheduled_start, new.scheduled_end, new.requested_staff_id, new.quantity, price.currency,
        price.subtotal, price.adjustments, price.total, new.payment_method, new.idempotency_key, new.request_hash,
        # The app's clock, as the deadlines that compare with it (dispatch/deadlines.py).
        now or clock.now(),
        list(range(1, len(lines) + 1)), [x.kind for x in lines], [x.code for x in lines], [x.label for x in lines],
        [x.quantity for x in lines], [x.unit_amount for x in lines], [x.amount for x in lines], [x.source for x in lines],
        [e[0] for e in events], [e[1] for e in events], [e[2] for e in events], [e[3] for e in events],
        [x.funded_by for x in lines],
    )
    if new.requested_staff_id is None:
        # Only a picked worker's order can break the exclusion constraint: no savepoint otherwise.
        row = await conn.fetchrow(query, *args)
    else:
        async with conn.transaction():
            row = await conn.fetchrow(query, *args)
    if row is None:
        return None
    order = order_from_row(row, lines)
    if direct:
        await tell_plugins(order, "pay_after_service", m.PENDING_PAYMENT, None)
    elif new.payment_method == "after_service":
        order = await transition(order.id, "pay_after_service", customer)
    return order
