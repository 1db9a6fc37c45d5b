"""This domain's hook implementations (registered as a core plugin): its routes, jobs, console
menu, the customer's "My earnings" tab and the worker's "withdraw" entry beside the balance."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import EarningsPanel, MenuEntry

from . import console_views, controllers, jobs, services, staff_views, views


@hookimpl
def register_routes():
    return [*controllers.HANDLERS, *views.PAGE_HANDLERS, *staff_views.STAFF_HANDLERS, *console_views.CONSOLE_HANDLERS]


@hookimpl
def register_job_handlers():
    return jobs.JOB_HANDLERS


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Withdrawals", href="/console/finance/withdrawals", icon="inbox", section="business", permission="finance.view", order=46),
        MenuEntry(label="Payouts", href="/console/finance/payouts", icon="chart", section="business", permission="finance.view", order=47),
    ]


@hookimpl
def provide_account_menu():
    return [MenuEntry(label="My earnings", href=views.HOME, icon="chart", order=35)]


@hookimpl
async def compute_earnings_panels(earnings):
    # The worker's way to their money, when the franchise lets workers withdraw on demand.
    if earnings.holder == "staff" and (await services.settings()).staff_on_demand:
        return [EarningsPanel(key="payouts.withdraw", title="Withdraw", note="To your Alipay account, after the office's review.",
                              href=staff_views.HOME, order=10)]
    return None
