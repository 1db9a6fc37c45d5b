"""This flow's hook implementations (registered as a core plugin): its pages, its menu entries
and the daily job that computes last month's scorecards."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, jobs, staff_views


@hookimpl
def register_routes():
    return [*console_views.CONSOLE_HANDLERS, *staff_views.STAFF_HANDLERS]


@hookimpl
def register_job_handlers():
    return jobs.JOB_HANDLERS


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Service quality", href="/console/quality", icon="star", section="operations", permission="staff.manage", order=72),
        MenuEntry(label="Scorecards", href="/console/quality/scorecards", icon="chart", section="operations", permission="staff.manage",
                  order=73),
    ]
