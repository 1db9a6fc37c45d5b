"""This domain's hook implementations (registered as a core plugin)."""

from __future__ import annotations

from platform_core.jobs.services import enqueue
from platform_core.ledger import services as ledger
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import api, console_views, controllers, jobs, ledger_views, services, views
from .cli import payments as payments_command


@hookimpl
def register_routes():
    return [*controllers.HANDLERS, *console_views.CONSOLE_HANDLERS, *ledger_views.CONSOLE_HANDLERS, *views.HANDLERS, *api.HANDLERS]


@hookimpl
def register_cli_commands(cli):
    cli.add_command(payments_command)


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Payments", href="/console/payments", icon="chart", section="business", permission="finance.view", order=40),
        MenuEntry(label="Ledger", href="/console/finance/ledger", icon="building", section="business", permission="finance.view", order=45),
    ]


@hookimpl
def register_job_handlers():
    return jobs.JOB_HANDLERS


@hookimpl
async def on_order_cancelled(event):
    # After commit, by the worker: the refund talks to the provider.
    if await services.paid_amount(event.order_id) > 0:
        await enqueue(services.CANCELLED_JOB, {"order_id": event.order_id}, key=f"cancelled:{event.order_id}")


@hookimpl
async def on_order_paid(event):
    # "Marked paid" by the office: the money came outside Hearth.
    await services.record_offline_payment(event.order_id, event.amount, event.staff_id)


@hookimpl
async def on_order_completed(event):
    # The money paid for the order is earned now: platform fee, the worker's share, revenue.
    paid = await services.paid_amount(event.order_id)
    # An order a discount made free is settled too: the discount is someone's expense.
    if paid > 0 or event.amount == 0:
        await ledger.settle_completed_order(event.order_id, event.currency, paid, event.staff_id)
