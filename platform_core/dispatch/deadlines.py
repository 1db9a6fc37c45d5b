"""A paid order never dead-ends: a scheduled visit keeps being offered (the next workers, the
batch runs, the grab pool) until the franchise's deadline before it (`arrange_deadline_hours`);
the office is alerted `office_alert_hours` before that; only at the deadline is the customer
asked to pick another time or take a full refund, and the refund is made for them at the time of
the visit if they do nothing.

An order booked after its deadline (or "as soon as possible") has no time to wait: it is offered
to every eligible worker in turn, and the customer is asked as soon as nobody is left.

Each step is a job keyed by the time it is for, so a rescheduled order gets new ones and the old
ones find it moved on. Every job locks the order first (the house lock order).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from platform_core import clock
from platform_core.jobs.schemas import JobRequest
from platform_core.jobs.services import enqueue
from platform_core.orders import machine as m
from platform_core.orders.schemas import SYSTEM, Order
from platform_core.orders.services import (
    flag_for_office,
    get_order,
    lock_order,
    transition,
)
from platform_core.pluginsys.contexts import OrderEvent
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from .schemas import DispatchSettings
from .services import get_settings

DEADLINE_JOB = "dispatch.deadline"
ALERT_JOB = "dispatch.office_alert"
REFUND_JOB = "dispatch.no_worker_refund"
# Before its deadline an order nobody could take is tried again this often (workers are added,
# days off end, offers elsewhere are declined).
RETRY_EVERY = timedelta(hours=1)


def arrange_deadline(order: Order | OrderEvent, settings: DispatchSettings) -> datetime:
    return order.scheduled_start - timedelta(hours=settings.arrange_deadline_hours)


def still_arranging(order: Order | OrderEvent, settings: DispatchSettings) -> bool:
    """The order may wait for a worker: it is scheduled and its deadline is still ahead."""
    return not order.asap and clock.now() < arrange_deadline(order, settings)


def past_deadline(order: Order, settings: DispatchSettings) -> bool:
    """The order was booked before its deadline and the deadline has passed: automatic dispatch
    stops offering it, the customer decides."""
    deadline = arrange_deadline(order, settings)
    return not order.asap and order.created_at < deadline <= clock.now()


async def answer_expected_by(order: Order) -> datetime:
    """When the customer will know who is coming at the latest: the deadline, or for an order
    that has no time to wait, the time it takes a worker to answer."""
    settings = await get_settings()
    if still_arranging(order, settings):
        return arrange_deadline(order, settings)
    return min(clock.now() + timedelta(seconds=settings.accept_timeout_s), order.scheduled_start)


async def deadline_jobs(event: OrderEvent, settings: DispatchSettings) -> list[JobRequest]:
    """The office's alert and the deadline of an order ready for dispatch (again), for the caller
    to enqueue with its own jobs. Keyed by their time: asking twice changes nothing, a new time
    (rescheduled, settings changed) adds its own."""
    if not still_arranging(event, settings):
        return []
    order_id = event.order_id
    deadline = arrange_deadline(event, settings)
    # Not before the first offer had its chance to be answered.
    alert = max(deadline - timedelta(hours=settings.office_alert_hours), clock.now() + timedelta(seconds=settings.accept_timeout_s))
    jobs = [JobRequest(kind=DEADLINE_JOB, payload={"order_id": order_id}, run_at=deadline, key=f"deadline:{order_id}:{deadline.isoformat()}")]
    if settings.office_alert_hours and alert < deadline:
        jobs.append(JobRequest(kind=ALERT_JOB, payload={"order_id": order_id}, run_at=alert, key=f"alert:{order_id}:{deadline.isoformat()}"))
    return jobs


async def alert_office(order_id: int) -> bool:
    """The alert job: an order still without a worker joins the exceptions queue, and its
    timeline says so. Nothing for an order that found its worker or moved on."""
    await lock_order(order_id)
    order = await get_order(order_id)
    if order.state not in (m.PAID, m.ASSIGNED) or not still_arranging(order, await get_settings()):
        return False
    if not await flag_for_office(order_id):
        return False
    await transition(order_id, "office_alert", SYSTEM)
    return True


async def reach_deadline(order_id: int) -> bool:
    """The deadline job: an order still waiting for dispatch goes to the customer's choice. One
    with an offer out waits for the answer (a lapse or decline comes back through offer_next,
    which stops at the deadline). True when the customer is asked."""
    await lock_order(order_id)
    order = await get_order(order_id)
    if order.state != m.PAID or order.asap:
        return False
    settings = await get_settings()
    deadline = arrange_deadline(order, settings)
    if clock.now() < deadline:
        # The franchise moved its deadline later since: wait for the new one.
        await enqueue(DEADLINE_JOB, {"order_id": order_id}, run_at=deadline, key=f"deadline:{order_id}:{deadline.isoformat()}")
        return False
    await give_up(order, N_("No worker accepted before the deadline."))
    return True


async def give_up(order: Order, reason: str) -> None:
    """Automatic dispatch is done with the order (locked by the caller): the customer picks
    another time or a full refund, which is made for them at the time of the visit."""
    await transition(order.id, "dispatch_failed", SYSTEM, note=translate_to(current_tenant().locale, reason))
    await enqueue(REFUND_JOB, {"order_id": order.id}, run_at=max(order.scheduled_start, clock.now()),
                  key=f"no-worker-refund:{order.id}:{order.scheduled_start.isoformat()}")


async def refund_if_undecided(order_id: int) -> bool:
    """The visit's time came and nobody was found, nor did the customer choose: cancelled and
    refunded in full. An order the office placed or the customer moved in the meantime is left."""
    await lock_order(order_id)
    order = await get_order(order_id)
    if order.state != m.DISPATCH_FAILED or clock.now() < order.scheduled_start:
        return False
    await transition(order_id, "refund_no_worker", SYSTEM)
    return True
