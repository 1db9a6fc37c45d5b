"""The Piccolo apps of the core, in migration order, plus those plugins register."""

from __future__ import annotations

CORE_APPS = [
    "migrations.piccolo_app",
    "platform_core.tenancy.piccolo_app",
    "platform_core.accounts.piccolo_app",
    "platform_core.notifications.piccolo_app",
    "platform_core.jobs.piccolo_app",
    "platform_core.catalog.piccolo_app",
    "platform_core.staff.piccolo_app",
    "platform_core.orders.piccolo_app",
    "platform_core.dispatch.piccolo_app",
    "platform_core.reviews.piccolo_app",
    "platform_core.support.piccolo_app",
    "platform_core.ledger.piccolo_app",
    "platform_core.payments.piccolo_app",
]


def all_piccolo_apps() -> list[str]:
    from platform_core.pluginsys.manager import plugin_piccolo_apps

    return CORE_APPS + plugin_piccolo_apps()
