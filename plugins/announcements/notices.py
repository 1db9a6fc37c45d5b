"""Which notice a page shows: the rule, kept apart from the hooks so it is easy to test."""

from __future__ import annotations

from datetime import date

from platform_core.plugin_api import PageNotice

from .config import AnnouncementsConfig

SURFACES = {"customer": {"customer"}, "staff": {"staff"}, "both": {"customer", "staff"}}


def notice_for(config: AnnouncementsConfig, surface: str, today: date) -> PageNotice | None:
    if not (config.title or config.body) or surface not in SURFACES[config.show_on]:
        return None
    if config.starts_on and today < config.starts_on or config.ends_on and today > config.ends_on:
        return None
    return PageNotice(title=config.title, body=config.body, level=config.level, dismissible=config.level != "warning")
