"""Batch dispatch: the paid orders waiting for a worker are assigned together, by the
assignment that maximises the total score (linear_sum_assignment over the orders x workers score
matrix), not first come first served.

One solve gives each worker at most one order; a worker free for two orders of the batch gets
the second in the next round, scored again with the first one held (workload, availability)."""

from __future__ import annotations

from platform_core.errors import Conflict
from platform_core.orders import machine as m
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import get_order, transition
from platform_core.staff.services import list_workers
from platform_core.web.i18n import lazy_gettext as N_

from . import scoring
from .candidates import rank_candidates
from .deadlines import past_deadline
from .offers import (
    WorkerBusy,
    announce_offer,
    asked_before,
    event_data,
    insert_assignment,
    offer_next,
    timeline_note,
    waiting_order_ids,
)
from .schemas import Assignment
from .services import get_settings

MAX_ROUNDS = 10
BATCH_LIMIT = 500


async def run_batch(*, by_hand: bool = False) -> list[Assignment]:
    """Offer every paid order still waiting for a worker: the customer's picks one by one, all
    the others together; orders nobody can take wait for their deadline (deadlines.py). The batch window job
    runs in automatic mode only; the dispatcher's button (`by_hand`) runs it in any mode and
    tries the exception queue (`dispatch_failed`) again too. Returns the offers made."""
    settings = await get_settings()
    if settings.mode != "auto" and not by_hand:
        return []
    made: list[Assignment] = []
    pending = []
    states = (m.PAID, m.DISPATCH_FAILED) if by_hand else (m.PAID,)
    for order_id in await waiting_order_ids(states, limit=BATCH_LIMIT):
        order = await get_order(order_id)
        if past_deadline(order, settings):
            await offer_next(order.id)  # not offered any more: the customer decides
        elif order.requested_staff_id is None:
            pending.append(order)
        elif (picked := await offer_next(order.id)) is not None:
            # The customer's pick is asked on their own, never traded in the batch.
            made.append(picked)
    active = await list_workers(status="active")
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        ranked = {o.id: await rank_candidates(o, exclude=await asked_before(o), settings=settings, workers=active)
                  for o in pending}
        staff_ids = sorted({c.staff_id for cands in ranked.values() for c in cands})
        if not staff_ids:
            break
        column = {sid: j for j, sid in enumerate(staff_ids)}
        import numpy as np  # loaded on the first batch, not in every web process

        scores = np.zeros((len(pending), len(staff_ids)))
        feasible = np.zeros_like(scores, dtype=bool)
        for i, order in enumerate(pending):
            for c in ranked[order.id]:
                scores[i, column[c.staff_id]] = c.score
                feasible[i, column[c.staff_id]] = True
        # A plugin's order-level priority (a member's order) gives that order first choice.
        priority = [max((c.priority for c in ranked[o.id]), default=0) for o in pending]
        placed = set()
        for i, j in scoring.solve_batch(scores, feasible, priority):
            order = pending[i]
            candidate = next(c for c in ranked[order.id] if c.staff_id == staff_ids[j])
            try:
                assignment = await insert_assignment(order, candidate, source="batch", timeout_s=settings.accept_timeout_s)
            except (WorkerBusy, Conflict):
                continue  # taken meanwhile outside the batch: the worker is tried again next round
            await transition(order.id, "assign", SYSTEM, note=timeline_note(N_("Batch dispatch")), data=event_data(assignment))
            await announce_offer(assignment, order)
            made.append(assignment)
            placed.add(order.id)
        if not placed:
            break
        pending = [o for o in pending if o.id not in placed]
    for order in pending:
        # Nobody could take it in the batch: the one-by-one path waits for the deadline or gives up.
        await offer_next(order.id)
    return made
