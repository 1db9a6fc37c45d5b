"""Hook implementations of the announcements plugin (thin: the rule is in notices.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import PageContext, PluginInfo
from platform_core.pluginsys.services import get_plugin_config

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


@hookimpl
async def compute_page_notices(page: PageContext):
    if page.surface == "console":
        return None
    config = await get_plugin_config(page.rt, page.tenant, NAME)
    notice = notice_for(config, page.surface, datetime.now(ZoneInfo(page.tenant.timezone)).date())
    return [notice] if notice else None
