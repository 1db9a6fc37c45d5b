"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.jobs.schemas import JobRequest
from platform_core.jobs.services import enqueue_many
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import JobHandler, MenuEntry

from . import controllers, deadlines, services, views
from .batch import run_batch
from .offers import (
    ASSIGN_JOB,
    BATCH_JOB,
    OFFER_SMS_JOB,
    TIMEOUT_JOB,
    expire_offer,
    route_ready_order,
    send_offer_sms,
)


@hookimpl
def register_routes():
    return [controllers.StaffJobsController, *views.HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Dispatch board", href="/console/dispatch", icon="map-pin", section="operations",
                  permission="dispatch.manage", order=30),
        MenuEntry(label="Dispatch settings", href="/console/dispatch/settings", icon="settings", section="settings",
                  permission="dispatch.manage", order=40),
    ]


async def _assign(ctx, payload) -> None:
    await route_ready_order(payload["order_id"])


async def _offer_timeout(ctx, payload) -> None:
    await expire_offer(payload["assignment_id"])


async def _deadline(ctx, payload) -> None:
    await deadlines.reach_deadline(payload["order_id"])


async def _office_alert(ctx, payload) -> None:
    await deadlines.alert_office(payload["order_id"])


async def _no_worker_refund(ctx, payload) -> None:
    await deadlines.refund_if_undecided(payload["order_id"])


async def _batch(ctx, payload) -> None:
    await run_batch()


async def _offer_sms(ctx, payload) -> None:
    await send_offer_sms(ctx.tenant, payload["assignment_id"])


@hookimpl
def register_job_handlers():
    return [
        JobHandler(kind=ASSIGN_JOB, handler=_assign), JobHandler(kind=TIMEOUT_JOB, handler=_offer_timeout),
        JobHandler(kind=BATCH_JOB, handler=_batch), JobHandler(kind=OFFER_SMS_JOB, handler=_offer_sms),
        JobHandler(kind=deadlines.DEADLINE_JOB, handler=_deadline), JobHandler(kind=deadlines.ALERT_JOB, handler=_office_alert),
        JobHandler(kind=deadlines.REFUND_JOB, handler=_no_worker_refund),
    ]


@hookimpl
async def on_order_ready_for_dispatch(event):
    # Through the outbox: dispatch runs after the payment (or the decline) has committed, and is
    # retried if it fails, rather than inside the transition that reported it. Part of the
    # change: the order's deadline and the office's alert are set with it, in the same insert.
    assign = JobRequest(kind=ASSIGN_JOB, payload={"order_id": event.order_id})
    await enqueue_many([assign, *await deadlines.deadline_jobs(event, await services.get_settings())])


@hookimpl
async def on_order_cancelled(event):
    await services.release_order(event.order_id)


@hookimpl
async def on_order_completed(event):
    await services.complete_order(event.order_id)
