"""Hook implementations of the announcements plugin (thin: the rule is in notices.py)."""

from __future__ import annotations

from pathlib import Path

from litestar import Request, get
from litestar.response import Template

from platform_core.plugin_api import (
    PageContext,
    PluginInfo,
    clock,
    current_tenant,
    hookimpl,
    page,
    plugin_config,
)

from .config import AnnouncementsConfig
from .notices import notice_for

NAME = "announcements"


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Announcements",
        description="Post a notice, such as a holiday closure, shown as a banner on your booking site and staff app while its dates hold.",
        config=AnnouncementsConfig,
        category="marketing",
    )


@hookimpl
def register_template_dirs() -> list[Path]:
    return [Path(__file__).parent / "templates"]


def _today(timezone: str):
    return clock.today(timezone)


@get("/", include_in_schema=False, name="announcements-notice")
async def notice_page(request: Request) -> Template:
    """The current notice in full, at /p/announcements/: a link to share in a WeChat post."""
    tenant = current_tenant()
    config = await plugin_config(AnnouncementsConfig)
    return page(request, "announcements/notice.html", current=notice_for(config, "customer", _today(tenant.timezone)))


@hookimpl
def register_routes():
    return [notice_page]


@hookimpl
async def compute_page_notices(page: PageContext):
    if page.surface == "console":
        return None
    config = await plugin_config(AnnouncementsConfig, page.tenant)
    notice = notice_for(config, page.surface, _today(page.tenant.timezone))
    return [notice] if notice else None
