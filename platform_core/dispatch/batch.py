"""Batch dispatch: the paid, scheduled orders waiting for a worker are assigned together, by the
assignment that maximises the total score (linear_sum_assignment over the orders x workers score
matrix), not first come first served.

One solve gives each worker at most one order; a worker free for two orders of the batch gets
the second in the next round, scored again with the first one held (workload, availability)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from platform_core.orders import machine as m
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import get_order, transition
from platform_core.runtime import Runtime
from platform_core.staff.services import list_workers

from . import scoring
from .candidates import rank_candidates
from .offers import NEAR_TERM, WorkerBusy, _announce_offer, _event_data, asked_before, insert_assignment, offer_next, waiting_order_ids
from .schemas import Assignment
from .services import get_settings

MAX_ROUNDS = 10
BATCH_LIMIT = 500


async def run_batch(rt: Runtime, *, now: datetime | None = None) -> list[Assignment]:
    """Offer every waiting scheduled order of the tenant; orders nobody can take go to
    `dispatch_failed`. Returns the offers made."""
    settings = await get_settings()
    if settings.mode == "manual":
        return []
    now = now or datetime.now(timezone.utc)
    made: list[Assignment] = []
    pending = []
    for order_id in await waiting_order_ids((m.PAID,), limit=BATCH_LIMIT):
        order = await get_order(rt, order_id)
        # The customer's pick is offered on its own; near-term orders were offered at once.
        if order.requested_staff_id is None and not order.asap and order.scheduled_start - now > NEAR_TERM:
            pending.append(order)
    active = await list_workers(rt, status="active")
    for _ in range(MAX_ROUNDS):
        if not pending:
            break
        ranked = {o.id: await rank_candidates(rt, o, exclude=await asked_before(o.id), settings=settings, workers=active)
                  for o in pending}
        staff_ids = sorted({c.staff_id for cands in ranked.values() for c in cands})
        if not staff_ids:
            break
        column = {sid: j for j, sid in enumerate(staff_ids)}
        scores = np.zeros((len(pending), len(staff_ids)))
        feasible = np.zeros_like(scores, dtype=bool)
        for i, order in enumerate(pending):
            for c in ranked[order.id]:
                scores[i, column[c.staff_id]] = c.score
                feasible[i, column[c.staff_id]] = True
        placed = set()
        for i, j in scoring.solve_batch(scores, feasible):
            order = pending[i]
            candidate = next(c for c in ranked[order.id] if c.staff_id == staff_ids[j])
            try:
                assignment = await insert_assignment(order, candidate, source="batch", timeout_s=settings.accept_timeout_s)
            except WorkerBusy:
                continue  # taken meanwhile by an offer outside the batch: tried again next round
            await transition(rt, order.id, "assign", SYSTEM, note="Batch dispatch", data=_event_data(assignment))
            await _announce_offer(rt, assignment, order)
            made.append(assignment)
            placed.add(order.id)
        if not placed:
            break
        pending = [o for o in pending if o.id not in placed]
    for order in pending:
        # Nobody could take it in the batch: the one-by-one path ends in dispatch_failed.
        await offer_next(rt, order.id)
    return made
