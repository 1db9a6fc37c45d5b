"""What a plugin may know of an order's money and progress, in one read: whether it is
completed and paid, what was paid and refunded. Loyalty earns and claws back points by it."""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.db import current_connection
from platform_core.orders.machine import COMPLETED
from platform_core.orders.services import get_order


class OrderFacts(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    customer_id: int
    item_id: int
    category: str
    state: str
    completed: bool
    paid_at: datetime | None
    currency: str
    total: int
    paid: int  # payments that succeeded, wallet included (minor units)
    refunded: int  # refunds succeeded or on their way

    @property
    def net_paid(self) -> int:
        return max(0, self.paid - self.refunded)


async def order_facts(order_id: int) -> OrderFacts:
    """The order's facts, NotFound when the franchise has no such order."""
    order = await get_order(order_id)
    row = await current_connection().fetchrow(
        "select coalesce(sum(p.amount) filter (where p.status = 'succeeded'), 0) as paid, "
        "  coalesce((select sum(r.amount) from core_refund r join core_payment q on q.id = r.payment_id "
        "    where q.order_id = $1 and r.status in ('pending', 'succeeded')), 0) as refunded "
        "from core_payment p where p.order_id = $1",
        order_id,
    )
    return OrderFacts(
        id=order.id, number=order.number, customer_id=order.customer_id, item_id=order.item_id,
        category=order.category_code, state=order.state, completed=order.state == COMPLETED, paid_at=order.paid_at,
        currency=order.currency, total=order.total, paid=int(row["paid"]), refunded=int(row["refunded"]),
    )
