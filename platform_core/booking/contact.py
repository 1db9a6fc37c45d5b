"""How the customer reaches the worker and the franchise from the order page: a call through a
privacy number (or the franchise's relay line) while the visit is on, else the order's messages;
the franchise's service line and hours; the confirmation that the work is done."""

from __future__ import annotations

from typing import Any

from platform_core.accounts.services import get_staff
from platform_core.orders import machine as m
from platform_core.orders.schemas import ActorRef, Order
from platform_core.orders.services import live_staff_id
from platform_core.orders.thread import call_number, can_write, messages
from platform_core.orders.visit import visit_record


async def contact_context(order: Order, customer_id: int) -> dict[str, Any]:
    customer = ActorRef(kind="customer", id=customer_id)
    staff_id = await live_staff_id(order.id)
    worker = None
    # After the visit the page still says who did the work (without ways to reach them).
    if staff_id is not None and (order.state not in m.FINAL_STATES or order.state == m.COMPLETED):
        staff = await get_staff(staff_id)
        done = order.state == m.COMPLETED
        worker = {"name": staff.name, "phone": None if done else staff.phone,
                  "call_number": None if done else await call_number(order, "customer")}
    record = await visit_record(order.id)
    return {
        "worker": worker,
        "thread": await messages(order, customer),
        "can_write": can_write(order, customer),
        "record": record,
        "can_confirm": order.state == m.COMPLETED and record.confirmed_at is None,
    }
