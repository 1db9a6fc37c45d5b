"""The rows of a placed order. Booking (platform_core/booking) checks, prices and times a booking;
here it is written, found again by its idempotency key, and numbered."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict
from platform_core.tenancy.context import current_tenant

from . import machine as m
from .schemas import NewOrder, Order
from .services import ORDER_COLUMNS, order_from_row, order_lines


async def order_for_key(customer_id: int, key: str, request_hash: str) -> Order | None:
    """The customer's order placed with idempotency key `key`; Conflict when the key placed
    another request."""
    row = await current_connection().fetchrow(
        f"select {ORDER_COLUMNS}, request_hash from core_order where customer_id = $1 and idempotency_key = $2",
        customer_id, key,
    )
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        raise Conflict("This idempotency key was already used for another order.")
    data = dict(row)
    data.pop("request_hash")
    return order_from_row(data, await order_lines(row["id"]))


async def create_order(new: NewOrder) -> int | None:
    """Write the order, waiting for payment, with its lines; its id, or None when the customer's
    key placed an order a moment ago. Raises asyncpg's ExclusionViolationError when the picked
    worker was just booked for that time; the insert runs in a savepoint, so the caller's
    transaction stays usable."""
    conn = current_connection()
    tenant_id = current_tenant().id
    # Numbered last (assign_number); until then a unique placeholder the request never shows.
    provisional = f"~{secrets.token_hex(10)}"
    address, price = new.address, new.price
    async with conn.transaction():
        order_id = await conn.fetchval(
            "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, lat, lng, "
            "district, requirements, fields, photos, asap, scheduled_start, scheduled_end, requested_staff_id, quantity, "
            "currency, subtotal, adjustments, total, payment_method, idempotency_key, request_hash, created_at) "
            "values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14, $15, $16, $17, $18, "
            "$19, $20, $21, $22, $23, $24, $25, $26) "
            "on conflict (tenant_id, customer_id, idempotency_key) do nothing returning id",
            tenant_id, provisional, new.customer_id, new.item_id, new.category_code, m.PENDING_PAYMENT,
            msgspec.json.encode(address).decode(), address["lat"], address["lng"], address["district"],
            new.requirements, msgspec.json.encode(new.fields).decode(), msgspec.json.encode(new.photos).decode(),
            new.asap, new.scheduled_start, new.scheduled_end, new.requested_staff_id, new.quantity, price.currency,
            price.subtotal, price.adjustments, price.total, new.payment_method, new.idempotency_key, new.request_hash,
            # The app's clock, as the deadlines that compare with it (dispatch/deadlines.py).
            clock.now(),
        )
    if order_id is None:
        return None
    await conn.executemany(
        "insert into core_order_line (tenant_id, order_id, position, kind, code, label, quantity, unit_amount, amount, source) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            (tenant_id, order_id, position, line.kind, line.code[:63], line.label[:200], line.quantity, line.unit_amount,
             line.amount, line.source)
            for position, line in enumerate(price.lines, start=1)
        ],
    )
    return order_id


async def assign_number(order_id: int, tz: ZoneInfo) -> str:
    """Number the order YYYYMMDD-NNNN by the tenant's calendar. The counter's upsert holds the
    day's row until commit, so every placement of the tenant waits here: call it last."""
    today = clock.today(tz)
    conn = current_connection()
    value = await conn.fetchval(
        "insert into core_order_counter (tenant_id, day, value) values ($1, $2, 1) "
        "on conflict (tenant_id, day) do update set value = core_order_counter.value + 1 returning value",
        current_tenant().id, today,
    )
    number = f"{today:%Y%m%d}-{value:04d}"
    await conn.execute("update core_order set number = $2 where id = $1", order_id, number)
    return number
