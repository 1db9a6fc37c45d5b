"""This domain's hook implementations (registered as a core plugin): its pages, its menu entries,
the daily job that draws up statements, and a statement's transfer coming to its end."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, jobs, services, staff_views


@hookimpl
def register_routes():
    return [*console_views.CONSOLE_HANDLERS, *staff_views.STAFF_HANDLERS]


@hookimpl
async def on_payout_finished(event):
    await services.payout_finished(event)


@hookimpl
def register_job_handlers():
    return jobs.JOB_HANDLERS


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Pay statements", href="/console/finance/statements", icon="inbox", section="business",
                  permission="finance.view", order=46),
    ]
