"""The dev outbox page: what the dev channel "sent", on the tenant's own host (dev mode only)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.response import Template

from platform_core.errors import NotFound
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.pages import page

from .services import latest_outbox


@get("/dev/outbox", include_in_schema=False)
async def dev_outbox(request: Request) -> Template:
    # In production the page does not exist, as if it had never been built.
    if not current_runtime().settings.dev_mode:
        raise NotFound("page")
    tenant = current_tenant()
    entries = await latest_outbox()
    # htmx polls for the list alone every few seconds; a browser gets the whole page.
    template = "notifications/_outbox_list.html" if request.headers.get("hx-request") else "notifications/dev_outbox.html"
    return page(request, template, entries=entries, tz=ZoneInfo(tenant.timezone))
