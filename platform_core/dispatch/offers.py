"""Offers: putting an order in front of a worker and acting on the answer.

Automatic dispatch offers a paid order to the best eligible worker (or only to the worker the
customer picked); a decline or a timeout sends the order back to `paid`, which asks dispatch
again (on_order_ready_for_dispatch), and the next best worker who has not been asked yet gets
it. When nobody is left the order goes to `dispatch_failed`, the console's exception queue.
Scheduled orders wait for the next batch window and are assigned together (batch.py).

Double booking is refused by the database: an assignment that overlaps a worker's held time
violates core_assignment_no_double_booking, and each insert runs in a savepoint so the loser of
such a race just moves on to the next worker.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import asyncpg

from platform_core import clock
from platform_core.accounts.services import staff_phone_for_sending
from platform_core.catalog.services import get_item
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.jobs.services import enqueue
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification, send_message
from platform_core.orders import machine as m
from platform_core.orders.privacy import for_worker
from platform_core.orders.schemas import SYSTEM, ActorRef, Order
from platform_core.orders.services import (
    get_order,
    lock_order,
    order_ids_without_worker,
    set_current_worker,
    transition,
)
from platform_core.pluginsys.contexts import OutboundMessage
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from .candidates import rank_candidates, unqualified
from .deadlines import (
    RETRY_EVERY,
    arrange_deadline,
    give_up,
    past_deadline,
    still_arranging,
)
from .schemas import Assignment, Candidate, Job
from .services import (
    ASSIGNMENT_COLUMNS,
    assignment_from_row,
    get_assignment,
    get_settings,
    live_assignment,
    release_order,
)

ASSIGN_JOB = "dispatch.assign"
TIMEOUT_JOB = "dispatch.offer_timeout"
OFFER_SMS_JOB = "dispatch.offer_sms"
BATCH_JOB = "dispatch.batch"
# Orders that start sooner than this are offered at once; later ones wait for a batch window.
NEAR_TERM = timedelta(hours=4)
BATCH_WINDOW_MINUTES = 15
REASK_AFTER = timedelta(hours=3)
# States an order can be given a worker from (the machine's `assign` sources).
ASSIGNABLE = frozenset({m.PAID, m.DISPATCH_FAILED, m.NO_SHOW})


class WorkerBusy(Exception):
    """The worker's time overlaps an assignment they hold (the exclusion constraint said no)."""


async def asked_before(order: Order) -> set[int]:
    """Workers automatic dispatch does not ask (again) for the order's time: those who declined
    or were taken off it, and those who let an offer lapse in the last REASK_AFTER or twice
    already (a worker who missed a message at night may answer in the morning, but is not
    messaged every hour until the deadline). A new time asks everyone again."""
    rows = await current_connection().fetch(
        "select staff_id from core_assignment where order_id = $1 and lower(during) = $2 group by staff_id "
        "having bool_or(status <> 'expired') or count(*) >= 2 or max(offered_at) > $3",
        order.id, order.scheduled_start, clock.now() - REASK_AFTER,
    )
    return {r["staff_id"] for r in rows}


async def insert_assignment(
    order: Order, candidate: Candidate, *, source: str, status: str = "offered", timeout_s: int | None = None,
    actor: ActorRef = SYSTEM,
) -> Assignment:
    """Hold the worker's time for the order. Raises WorkerBusy when it overlaps their held time,
    Conflict when the order already has a live assignment."""
    conn = current_connection()
    try:
        # A savepoint: a lost race for the worker's time leaves the rest of the transaction usable
        # (and undoes the order's worker with it). The order is written first: the order's row
        # is locked before its assignments, everywhere.
        async with conn.transaction():
            await set_current_worker(order.id, candidate.staff_id)
            row = await conn.fetchrow(
                # Every time here is the app's clock ($13), which asked_before and the timeout compare with.
                "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source, score, "
                "score_breakdown, offered_at, expires_at, responded_at, actor_kind, actor_id) values ($1, $2, $3, "
                "tstzrange($4::timestamptz, $5::timestamptz), $6::text, $7, $8, $9::jsonb, $13::timestamptz, "
                "$13::timestamptz + make_interval(secs => $10::int), case when $6::text = 'accepted' then $13::timestamptz end, $11, $12) "
                f"returning {ASSIGNMENT_COLUMNS}",
                current_tenant().id, order.id, candidate.staff_id, order.scheduled_start, order.scheduled_end,
                status, source, candidate.score, json.dumps(candidate.breakdown()), timeout_s, actor.kind, actor.id, clock.now(),
            )
    except asyncpg.ExclusionViolationError:
        raise WorkerBusy(candidate.staff_id) from None
    except asyncpg.UniqueViolationError:
        raise Conflict("Someone else has already taken this order.") from None
    return assignment_from_row(row)


async def announce_offer(assignment: Assignment, order: Order) -> None:
    """The worker's inbox entry and SMS, and the timeout that passes the order on if they do not
    answer."""
    tenant = current_tenant()
    await add_notification(NotificationCreate(
        recipient_kind="staff", recipient_id=assignment.staff_id,
        title=translate_to(tenant.locale, N_("New job offer")),
        body=translate_to(tenant.locale, N_("Order %(number)s is waiting for your answer.")) % {"number": order.number},
        link=f"/staff/jobs/{assignment.id}",
    ))
    if assignment.status == "offered" and assignment.expires_at is not None:
        await enqueue(TIMEOUT_JOB, {"assignment_id": assignment.id}, run_at=assignment.expires_at, key=f"offer:{assignment.id}")
        # The answer is due in minutes: the worker hears of it by SMS too (through the outbox).
        await enqueue(OFFER_SMS_JOB, {"assignment_id": assignment.id}, key=f"offer-sms:{assignment.id}")


async def send_offer_sms(tenant: TenantContext, assignment_id: int) -> None:
    """The offer's SMS to the worker, unless it was answered or withdrawn in the meantime."""
    assignment = await get_assignment(assignment_id)
    if assignment is None or assignment.status != "offered":
        return
    order = await get_order(assignment.order_id)
    phone = await staff_phone_for_sending(assignment.staff_id)
    if not phone:
        return
    body = translate_to(tenant.locale, N_("Order %(number)s is waiting for your answer.")) % {"number": order.number}
    await send_message(OutboundMessage(tenant=tenant, channel="sms", to=phone, body=body, purpose="job_offer"))


def event_data(assignment: Assignment) -> dict:
    return {"assignment_id": assignment.id, "staff_id": assignment.staff_id, "score": round(assignment.score or 0, 4)}


async def offer_next(order_id: int) -> Assignment | None:
    """Offer a paid order to the best worker not asked yet. When nobody is left, a scheduled
    order before its deadline stays `paid` and is tried again later (deadlines.py); otherwise it
    goes to `dispatch_failed`, where the customer picks another time or a refund. An order
    already in `dispatch_failed` is tried again (a worker may have been added or freed since) and
    stays there if nobody is found. Does nothing for an order that is no longer waiting
    (cancelled, taken meanwhile)."""
    order = await get_order(order_id)
    if order.state not in (m.PAID, m.DISPATCH_FAILED) or await live_assignment(order_id) is not None:
        return None
    settings = await get_settings()
    only = {order.requested_staff_id} if order.requested_staff_id is not None else None
    # Past the franchise's deadline the customer decides; dispatch offers no more.
    candidates = [] if past_deadline(order, settings) else await rank_candidates(
        order, only=only, exclude=await asked_before(order), settings=settings)
    source = "customer" if only else "auto"
    for candidate in candidates:
        try:
            assignment = await insert_assignment(order, candidate, source=source, timeout_s=settings.accept_timeout_s)
        except WorkerBusy:
            continue
        await transition(order_id, "assign", SYSTEM, data=event_data(assignment))
        await announce_offer(assignment, order)
        return assignment
    if order.state != m.PAID:
        return None
    if still_arranging(order, settings):
        retry_at = min(clock.now() + RETRY_EVERY, arrange_deadline(order, settings))
        await enqueue(ASSIGN_JOB, {"order_id": order_id}, run_at=retry_at, key=f"retry:{order_id}:{retry_at.isoformat()}")
        return None
    if past_deadline(order, settings):
        await give_up(order, N_("No worker accepted before the deadline."))
    else:
        await give_up(order, N_("The requested worker is not available.") if only else N_("No eligible worker is free."))
    return None


def timeline_note(msgid: str) -> str:
    """A note the system leaves on the order's timeline, in the franchise's language (notes are
    stored as written and shown as they are)."""
    return translate_to(current_tenant().locale, msgid)


async def route_ready_order(order_id: int) -> None:
    """What to do with an order that just became ready for dispatch: the customer's pick is
    offered at once (in every mode); otherwise, in automatic mode, a near-term order is offered
    now and a scheduled one waits for the next batch window; in the other modes it waits for
    the dispatcher."""
    # Under the order's lock: a dispatcher may have assigned it since the job was queued, and
    # what is found here must not change before the release below.
    await lock_order(order_id)
    order = await get_order(order_id)
    if order.state != m.PAID:
        return
    # Back from an exception (a no-show sent back to dispatch): whoever held it no longer does.
    await release_order(order_id, SYSTEM)
    settings = await get_settings()
    if past_deadline(order, settings):
        await offer_next(order_id)  # the customer's turn, in every mode
        return
    picked = order.requested_staff_id is not None
    if settings.mode != "auto" and not picked:
        return  # manual, or customer_pick without a pick: the dispatcher decides
    if picked or order.asap or order.scheduled_start - clock.now() <= NEAR_TERM:
        await offer_next(order_id)
        return
    window = next_batch_window(clock.now())
    await enqueue(BATCH_JOB, {}, run_at=window, key=f"batch:{window.isoformat()}")


def next_batch_window(now: datetime) -> datetime:
    minutes = (now.minute // BATCH_WINDOW_MINUTES + 1) * BATCH_WINDOW_MINUTES
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)


# --------------------------------------------------------------------------- the worker answers


async def _lock_offer(assignment_id: int, *, staff_id: int | None = None) -> Assignment | None:
    """The assignment locked, its order's row locked first (the house order: the order before its
    assignments, as a cancel takes them). Without both in this order, a cancel (order, then its
    assignment) and an answer (assignment, then order) deadlock. None when it is not found (or,
    with `staff_id`, is another worker's)."""
    conn = current_connection()
    order_id = await conn.fetchval(
        "select order_id from core_assignment where id = $1 and ($2::bigint is null or staff_id = $2)", assignment_id, staff_id
    )
    if order_id is None:
        return None
    await lock_order(order_id)
    row = await conn.fetchrow(f"select {ASSIGNMENT_COLUMNS} from core_assignment where id = $1 for update", assignment_id)
    return assignment_from_row(row)


async def _open_offer(staff_id: int, assignment_id: int) -> Assignment:
    """The worker's own offer, locked; NotFound for anyone else's (no hint that it exists),
    Conflict when it was answered, withdrawn (the order was cancelled or moved) or lapsed."""
    assignment = await _lock_offer(assignment_id, staff_id=staff_id)
    if assignment is None:
        raise NotFound("job")
    if assignment.status != "offered" or (assignment.expires_at and assignment.expires_at <= clock.now()):
        raise Conflict("This offer is no longer open.")
    return assignment


async def accept_offer(staff_id: int, assignment_id: int) -> Assignment:
    assignment = await _open_offer(staff_id, assignment_id)
    row = await current_connection().fetchrow(
        f"update core_assignment set status = 'accepted', responded_at = now() where id = $1 returning {ASSIGNMENT_COLUMNS}",
        assignment.id,
    )
    await transition(assignment.order_id, "accept", ActorRef(kind="staff", id=staff_id), data=event_data(assignment))
    return assignment_from_row(row)


async def decline_offer(staff_id: int, assignment_id: int, *, reason: str = "") -> None:
    """The order goes back to `paid` (and so to the next worker); this worker is not asked again."""
    assignment = await _open_offer(staff_id, assignment_id)
    # The guard of `decline` needs the assignment still live, so the status changes after it.
    await transition(assignment.order_id, "decline", ActorRef(kind="staff", id=staff_id),
                     note=reason[:500], data=event_data(assignment))
    await current_connection().execute(
        "update core_assignment set status = 'declined', responded_at = now() where id = $1", assignment.id
    )
    await set_current_worker(assignment.order_id, None)


async def expire_offer(assignment_id: int) -> bool:
    """The timeout job: an offer still unanswered at its deadline lapses. False when the worker
    answered in time. An offer left open on an order that moved on (cancelled, taken by hand) is
    closed without touching the order: the job must finish, not fail and retry for ever."""
    assignment = await _lock_offer(assignment_id)
    if assignment is None or assignment.status != "offered" or (assignment.expires_at and assignment.expires_at > clock.now()):
        return False
    conn = current_connection()
    order = await get_order(assignment.order_id)
    if order.state == m.ASSIGNED:
        await transition(assignment.order_id, "offer_expired", SYSTEM, data=event_data(assignment))
        await set_current_worker(assignment.order_id, None)
    await conn.execute("update core_assignment set status = 'expired' where id = $1", assignment.id)
    return True


# --------------------------------------------------------------------------- the office decides


async def _candidate_for(order: Order, staff_id: int) -> Candidate:
    found = await rank_candidates(order, only={staff_id})
    if not found:
        lacking = (await unqualified(order, [staff_id])).get(staff_id)
        if lacking:
            message = _("This worker lacks what this order needs: %(what)s", what="; ".join(lacking))
            raise ValidationFailed({"staff_id": message})
        raise ValidationFailed({"staff_id": "This worker can not take this order (skills, hours, days off or distance)."})
    return found[0]


async def assign_by_hand(order_id: int, staff_id: int, actor: ActorRef) -> Assignment:
    """A dispatcher gives a waiting order (or one whose worker did not show up) to a worker, or
    moves an offered or accepted one to another worker; the previous assignment is released.
    The worker still accepts or declines."""
    order = await get_order(order_id)
    current = await live_assignment(order_id)
    if current is not None and current.staff_id == staff_id:
        raise ValidationFailed({"staff_id": "The order is already with this worker."})
    if order.state in ASSIGNABLE:
        event = "assign"
    elif order.state in (m.ASSIGNED, m.ACCEPTED):
        event = "reassign"
    else:
        raise Conflict("This order can not do that now.")
    candidate = await _candidate_for(order, staff_id)
    settings = await get_settings()
    await release_order(order_id, actor)
    try:
        assignment = await insert_assignment(order, candidate, source="manual", timeout_s=settings.accept_timeout_s, actor=actor)
    except WorkerBusy:
        raise ValidationFailed({"staff_id": "This worker already has a job at that time."}) from None
    await transition(order_id, event, actor, data={**event_data(assignment), "previous_staff_id": current and current.staff_id})
    await announce_offer(assignment, order)
    return assignment


# --------------------------------------------------------------------------- queries for pages


async def waiting_order_ids(states: tuple[str, ...], *, limit: int = 100) -> list[int]:
    """Orders in `states` that hold no worker, soonest first (the board, the pool, batches). A
    no-show still has its absent worker's assignment, and is listed all the same."""
    # The order's worker is set and cleared with each assignment, in its transaction (offers.py,
    # services.py): no live assignment is the same as no worker on the order.
    return await order_ids_without_worker(states, limit=limit, even_with=(m.NO_SHOW,))


async def offers_for(staff_id: int) -> list[Assignment]:
    """The worker's open offers (not yet lapsed) and accepted jobs, soonest first."""
    rows = await current_connection().fetch(
        f"select {ASSIGNMENT_COLUMNS} from core_assignment where staff_id = $1 and "
        "(status = 'accepted' or (status = 'offered' and (expires_at is null or expires_at > $2))) "
        "order by lower(during)",
        staff_id, clock.now(),
    )
    return [assignment_from_row(r) for r in rows]


async def job_view(assignment: Assignment) -> Job:
    order = await for_worker(await get_order(assignment.order_id))
    item = await get_item(order.item_id)
    return Job(
        id=assignment.id, status=assignment.status, order_number=order.number, order_state=order.state, item_title=item.title,
        district=order.district, starts=order.scheduled_start, ends=order.scheduled_end, total=order.total,
        currency=order.currency, expires_at=assignment.expires_at if assignment.status == "offered" else None,
        requirements=order.requirements,
        # The street is the customer's: shown to the worker who took the job, not to everyone offered it.
        address=order.address.one_line if assignment.status in ("accepted", "completed") else "",
    )


async def staff_assignment(staff_id: int, assignment_id: int) -> Assignment:
    assignment = await get_assignment(assignment_id)
    if assignment is None or assignment.staff_id != staff_id:
        raise NotFound("job")
    return assignment
