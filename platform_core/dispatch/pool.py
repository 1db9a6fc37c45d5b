"""The grab pool: workers see open orders they could take and claim one; the first claim wins
(the database lets exactly one through)."""

from __future__ import annotations

from platform_core.errors import Conflict, NotFound
from platform_core.orders import machine as m
from platform_core.orders.schemas import SYSTEM, ActorRef, Order
from platform_core.orders.services import get_order, transition
from platform_core.staff.services import list_workers
from platform_core.web.i18n import lazy_gettext as N_

from .candidates import rank_candidates
from .offers import (
    WorkerBusy,
    asked_before,
    event_data,
    insert_assignment,
    timeline_note,
    waiting_order_ids,
)
from .schemas import Assignment, Candidate
from .services import get_settings, live_assignment

# What the grab pool offers: orders waiting for a worker, and those automatic dispatch gave up on
# (the customer is asked to choose then, but a worker who takes one still saves the visit).
CLAIMABLE = (m.PAID, m.DISPATCH_FAILED)


async def pool_orders(staff_id: int, *, limit: int = 30) -> list[tuple[Order, Candidate]]:
    """Open orders this worker may claim: paid (or left without a worker), nobody holding them,
    and the worker eligible."""
    settings = await get_settings()
    if not settings.grab_pool:
        return []
    found = []
    me = [w for w in await list_workers(status="active") if w.id == staff_id]
    for order_id in await waiting_order_ids(CLAIMABLE, limit=200):
        order = await get_order(order_id)
        if order.requested_staff_id not in (None, staff_id) or staff_id in await asked_before(order):
            continue
        ranked = await rank_candidates(order, only={staff_id}, settings=settings, workers=me)
        if ranked:
            found.append((order, ranked[0]))
        if len(found) >= limit:
            break
    return found


async def claim_order(staff_id: int, order_id: int) -> Assignment:
    """A worker takes an open order from the pool; accepted at once. Of two workers claiming
    one order, the database lets exactly one through."""
    settings = await get_settings()
    if not settings.grab_pool:
        raise NotFound("page")
    order = await get_order(order_id)
    if order.state not in CLAIMABLE or await live_assignment(order_id) is not None:
        raise Conflict("Someone else has already taken this order.")
    ranked = await rank_candidates(order, only={staff_id}, settings=settings)
    if not ranked:
        raise Conflict("You can not take this order (skills, hours or distance).")
    worker = ActorRef(kind="staff", id=staff_id)
    try:
        assignment = await insert_assignment(order, ranked[0], source="grab", status="accepted", actor=worker)
    except WorkerBusy:
        raise Conflict("You already have a job at that time.") from None
    await transition(order_id, "assign", SYSTEM, note=timeline_note(N_("Claimed from the pool")), data=event_data(assignment))
    await transition(order_id, "accept", worker, data=event_data(assignment))
    return assignment
