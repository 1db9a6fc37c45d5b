"""What the worker's job page shows besides the visit's steps: the work (add-ons, duration,
the customer's requirements, notes and photos), the checklist from the item's steps, their own
photos, the way there, how to reach the customer and the franchise, and the order's messages."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from platform_core.catalog.schemas import StepsBlock
from platform_core.catalog.services import get_item
from platform_core.orders.schemas import ActorRef, Order
from platform_core.orders.thread import OPEN_STATES, call_number, can_write, messages
from platform_core.orders.visit import RECORD_STATES, visit_record
from platform_core.tenancy.context import current_tenant

from .navigation import navigation_links
from .services import before_visit_day, destination_of, visit_day


def item_steps(item) -> list[str]:
    """The item's steps, in order, across its steps blocks: the job's checklist."""
    return [step.title for block in item.content if isinstance(block, StepsBlock) for step in block.steps]


async def job_context(order: Order, staff_id: int) -> dict[str, Any]:
    tz = ZoneInfo(current_tenant().timezone)
    item = await get_item(order.item_id)
    worker = ActorRef(kind="staff", id=staff_id)
    minutes = int((order.scheduled_end - order.scheduled_start).total_seconds() // 60)
    return {
        "item": item,
        "addons": [line for line in order.lines if line.kind == "addon"],
        "duration": divmod(minutes, 60),
        "steps": item_steps(item),
        "record": await visit_record(order.id),
        "record_open": order.state in RECORD_STATES,
        "nav_links": navigation_links(order.address.one_line, destination_of(order)),
        "call_number": await call_number(order, "staff"),
        # Before the worker accepts (an offer) there is no thread to show yet.
        "thread": await messages(order, worker) if order.state in OPEN_STATES else [],
        "can_write": can_write(order, worker),
        "early": before_visit_day(order),
        "visit_day": visit_day(order),
        "tz": tz,
        "timezone": tz,
    }
