"""The in-app inbox of customers (/account/inbox) and workers (/staff/inbox)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from platform_core.notifications.schemas import RecipientKind
from platform_core.notifications.services import (
    get_notification,
    list_notifications,
    mark_read,
)
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.pages import page

from .guards import require_customer, require_staff
from .services import active_customer, active_staff
from .sessions import Principal

# Where each kind of recipient reads its inbox, and the layout it sees it in.
INBOXES: dict[str, tuple[str, str]] = {"customer": ("/account/inbox", "layouts/customer.html"), "staff": ("/staff/inbox", "layouts/staff.html")}


async def _recipient(principal: Principal) -> tuple[RecipientKind, int]:
    # A frozen customer or a deactivated worker is signed out here, like on their other pages.
    if principal.kind == "customer":
        return "customer", (await active_customer(principal)).id
    return "staff", (await active_staff(principal)).id


async def _inbox(request: Request, principal: Principal) -> Template:
    kind, me = await _recipient(principal)
    base, layout = INBOXES[kind]
    entries = await list_notifications(kind, me)
    return page(request, "accounts/inbox.html", layout=layout, base=base, entries=entries,
                tz=ZoneInfo(current_tenant().timezone))


async def _open(principal: Principal, notification_id: int) -> Redirect:
    """Mark one entry read and follow its link (only a local path; else back to the inbox)."""
    kind, me = await _recipient(principal)
    base = INBOXES[kind][0]
    await mark_read(kind, me, [notification_id])
    entry = await get_notification(kind, me, notification_id)
    link = entry.link if entry and entry.link.startswith("/") and not entry.link.startswith("//") else base
    return Redirect(link, status_code=303)


async def _read_all(principal: Principal) -> Redirect:
    kind, me = await _recipient(principal)
    await mark_read(kind, me)
    return Redirect(INBOXES[kind][0], status_code=303)


@get("/account/inbox", guards=[require_customer], include_in_schema=False, name="customer-inbox")
async def customer_inbox(request: Request, principal: NamedDependency[Principal]) -> Template:
    return await _inbox(request, principal)


@post("/account/inbox/{notification_id:int}/open", guards=[require_customer], include_in_schema=False)
async def customer_open(principal: NamedDependency[Principal], notification_id: PathId) -> Redirect:
    return await _open(principal, notification_id)


@post("/account/inbox/read", guards=[require_customer], include_in_schema=False)
async def customer_read_all(principal: NamedDependency[Principal]) -> Redirect:
    return await _read_all(principal)


@get("/staff/inbox", guards=[require_staff], include_in_schema=False, name="staff-inbox")
async def staff_inbox(request: Request, principal: NamedDependency[Principal]) -> Template:
    return await _inbox(request, principal)


@post("/staff/inbox/{notification_id:int}/open", guards=[require_staff], include_in_schema=False)
async def staff_open(principal: NamedDependency[Principal], notification_id: PathId) -> Redirect:
    return await _open(principal, notification_id)


@post("/staff/inbox/read", guards=[require_staff], include_in_schema=False)
async def staff_read_all(principal: NamedDependency[Principal]) -> Redirect:
    return await _read_all(principal)


INBOX_HANDLERS = [customer_inbox, customer_open, customer_read_all, staff_inbox, staff_open, staff_read_all]
