"""Telling people about their orders: an inbox entry in the same transaction as the change, and
an SMS through a job, so a failing gateway retries later and never undoes the order. Reminders
before a booked slot are jobs with a run_at; one that finds the order cancelled or done sends
nothing.

The worker's own offers are announced by dispatch; here the worker hears only of a cancellation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.accounts.phones import decrypt_phone
from platform_core.accounts.services import staff_phone_for_sending
from platform_core.db import current_connection
from platform_core.errors import NotFound
from platform_core.jobs.schemas import JobContext, JobRequest
from platform_core.notifications.schemas import NotificationCreate, RecipientKind
from platform_core.notifications.services import add_notification, send_message
from platform_core.pluginsys.contexts import JobHandler, OutboundMessage
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from . import machine as m
from .schemas import Order

SMS_JOB = "orders.sms"
REMINDER_JOB = "orders.reminder"

# purpose -> (title, body); bodies take the order's number and local time.
MESSAGES: dict[str, tuple[str, str]] = {
    "order_placed": (N_("Order placed"), N_("Your order %(number)s for %(when)s is placed.")),
    "order_paid": (N_("Payment received"), N_("We received the payment for order %(number)s.")),
    "order_accepted": (N_("Your worker is confirmed"), N_("A worker accepted order %(number)s for %(when)s.")),
    "order_en_route": (N_("Your worker is on the way"), N_("The worker for order %(number)s is on the way.")),
    "order_arrived": (N_("Your worker has arrived"), N_("The worker for order %(number)s has arrived.")),
    "order_completed": (N_("Service completed"), N_("Order %(number)s is completed. Please rate the service.")),
    "order_cancelled": (N_("Order cancelled"), N_("Order %(number)s for %(when)s is cancelled.")),
    "order_reminder": (N_("Your service is coming up"), N_("Reminder: order %(number)s is booked for %(when)s.")),
    "order_no_worker": (N_("Please choose another time"), N_(
        "We could not find a worker for order %(number)s at %(when)s. Pick another time or take a full refund.")),
    "order_rescheduled": (N_("Your new time is booked"), N_("Order %(number)s is moved to %(when)s. We are arranging your worker.")),
    "order_refunded_no_worker": (N_("Order cancelled and refunded"), N_(
        "Order %(number)s is cancelled and refunded in full: no worker could be found for %(when)s.")),
    "order_unpaid": (N_("Order cancelled: not paid"), N_("Order %(number)s for %(when)s was cancelled because it was not paid in time.")),
}
# event -> what the customer is told.
EVENT_PURPOSES = {
    "pay": "order_paid",
    "mark_paid": "order_paid",
    "accept": "order_accepted",
    "depart": "order_en_route",
    "arrive": "order_arrived",
    "complete": "order_completed",
    "cancel": "order_cancelled",
    "cancel_by_franchise": "order_cancelled",
    "payment_timeout": "order_unpaid",
    "dispatch_failed": "order_no_worker",
    "reschedule": "order_rescheduled",
    "refund_no_worker": "order_refunded_no_worker",
}
# What the customer gets as an SMS too (the rest is inbox only, not to flood their phone).
SMS_PURPOSES = frozenset({
    "order_placed", "order_accepted", "order_en_route", "order_cancelled", "order_reminder", "order_no_worker",
    "order_refunded_no_worker", "order_unpaid",
})


def _texts(purpose: str, order: Order) -> tuple[str, str]:
    tenant = current_tenant()
    when = order.scheduled_start.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")
    title, body = MESSAGES[purpose]
    return translate_to(tenant.locale, title), translate_to(tenant.locale, body) % {"number": order.number, "when": when}


async def tell(order: Order, purpose: str, kind: RecipientKind, recipient_id: int, *, also: Iterable[JobRequest] = ()) -> None:
    """The inbox entry now, the SMS through a job; `also`: the caller's own jobs. All in one
    statement, with the jobs an enclosing `batched()` holds (dispatch's reaction to the move)."""
    title, body = _texts(purpose, order)
    link = f"/orders/{order.number}" if kind == "customer" else "/staff/"
    jobs = []
    if kind == "staff" or purpose in SMS_PURPOSES:
        jobs.append(JobRequest(kind=SMS_JOB, payload={"order_id": order.id, "purpose": purpose, "kind": kind, "recipient_id": recipient_id}))
    await add_notification(
        NotificationCreate(recipient_kind=kind, recipient_id=recipient_id, title=title, body=body, link=link), jobs=[*jobs, *also]
    )


async def order_placed(order: Order, hours: int, *, also: Iterable[JobRequest] = ()) -> None:
    """The customer's confirmation, and the reminder `hours` before the slot (0: none); `also` as
    in `tell`."""
    jobs = list(also)
    remind_at = order.scheduled_start - timedelta(hours=hours)
    if hours and not order.asap and remind_at > clock.now():
        jobs.append(JobRequest(kind=REMINDER_JOB, payload={"order_id": order.id}, run_at=remind_at, key=f"reminder:{order.id}"))
    await tell(order, "order_placed", "customer", order.customer_id, also=jobs)


async def order_moved(order: Order, event: str, staff_id: int | None) -> None:
    purpose = EVENT_PURPOSES.get(event)
    if purpose is None:
        return
    await tell(order, purpose, "customer", order.customer_id)
    if order.state == m.CANCELLED and staff_id is not None:
        await tell(order, purpose, "staff", staff_id)


async def _phone(order: Order, kind: str, recipient_id: int) -> str | None:
    """The customer is reached at the order's contact phone; a worker at theirs."""
    if kind != "customer":
        return await staff_phone_for_sending(recipient_id)
    cipher = await current_connection().fetchval(
        "select address->>'contact_phone_cipher' from core_order where id = $1", order.id
    )
    return decrypt_phone(current_runtime().keyring, cipher) if cipher else None


async def send_sms(ctx: JobContext, payload: dict[str, Any]) -> None:
    from .services import get_order

    try:
        order = await get_order(payload["order_id"])
    except NotFound:
        return
    phone = await _phone(order, payload["kind"], payload["recipient_id"])
    if phone:
        _, body = _texts(payload["purpose"], order)
        await send_message(OutboundMessage(
            tenant=ctx.tenant, channel="sms", to=phone, body=body, purpose=payload["purpose"],
        ))


async def send_reminder(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Sent only if the order is still on: a cancelled or finished order is reminded of nothing."""
    from .services import get_order

    try:
        order = await get_order(payload["order_id"])
    except NotFound:
        return
    if order.state in m.FINAL_STATES or order.state in m.EXCEPTION_STATES:
        return
    await tell(order, "order_reminder", "customer", order.customer_id)


JOB_HANDLERS = [JobHandler(kind=SMS_JOB, handler=send_sms), JobHandler(kind=REMINDER_JOB, handler=send_reminder)]
