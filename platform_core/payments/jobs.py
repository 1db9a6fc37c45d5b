"""Payment jobs: reconciliation of pending payments, refunds after a cancellation or a payment
that arrived twice, and refunds the provider has not answered yet."""

from __future__ import annotations

from typing import Any

from platform_core import clock
from platform_core.jobs.schemas import JobContext
from platform_core.jobs.services import enqueue
from platform_core.pluginsys.contexts import JobHandler

from . import services


async def reconcile(ctx: JobContext, payload: dict[str, Any]) -> None:
    status = await services.reconcile_payment(payload["payment_id"])
    if status == "pending":
        payment = await services.get_payment(payload["payment_id"])
        when = min(payment.expires_at, clock.now() + services.RECONCILE_EVERY)
        await enqueue(services.RECONCILE_JOB, {"payment_id": payment.id}, run_at=when, key=f"{payment.payment_no}:{ctx.job_id}")


async def refund_payment(ctx: JobContext, payload: dict[str, Any]) -> None:
    payment = await services.get_payment(payload["payment_id"])
    if payment.refundable > 0:
        reason = services.REFUND_REASONS.get(payload.get("reason") or "", "")
        await services.refund_payment(payment.id, payment.refundable, reason, "system")


async def refund_cancelled_order(ctx: JobContext, payload: dict[str, Any]) -> None:
    await services.refund_cancelled_order(payload["order_id"])


async def retry_refund(ctx: JobContext, payload: dict[str, Any]) -> None:
    await services.retry_refund(payload["refund_id"])


JOB_HANDLERS = [
    JobHandler(kind=services.RECONCILE_JOB, handler=reconcile),
    JobHandler(kind=services.REFUND_JOB, handler=refund_payment),
    JobHandler(kind=services.CANCELLED_JOB, handler=refund_cancelled_order),
    JobHandler(kind=services.RETRY_REFUND_JOB, handler=retry_refund),
]
