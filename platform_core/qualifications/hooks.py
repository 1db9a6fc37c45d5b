"""This domain's hook implementations (registered as a core plugin): its pages, its menu entries,
the daily expiry reminders, course passes recorded, and the office's banner of expiring credentials."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry, PageNotice
from platform_core.web.i18n import gettext as _

from . import console_views, eligibility, jobs, join_views, reminders, staff_views


@hookimpl
def register_routes():
    return [*console_views.CONSOLE_HANDLERS, *join_views.JOIN_HANDLERS, *staff_views.STAFF_HANDLERS]


@hookimpl
def register_job_handlers():
    return jobs.JOB_HANDLERS


@hookimpl
async def on_course_passed(event):
    await eligibility.record_course_pass(event)


@hookimpl
async def compute_page_notices(page):
    # The office's side of the expiry reminders, on the worker pages where it acts on them.
    if page.surface != "console" or not page.path.startswith(("/console/staff", "/console/workers")):
        return None
    due = await reminders.office_reminders()
    if not due:
        return None
    return [PageNotice(title=_("%(num)d workers' credentials expire within 30 days.", num=len(due)),
                       body=", ".join(f"{d['staff_name']} ({d['expires_on'].isoformat()})" for d in due[:5]),
                       level="warning", dismissible=True)]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Applications", href="/console/staff/applications", icon="inbox", section="business",
                  permission="staff.manage", order=21),
        MenuEntry(label="Credentials", href="/console/staff/credentials", icon="shield", section="business",
                  permission="staff.manage", order=22),
    ]
