"""The Piccolo apps of the core, in migration order, plus those plugins register."""

from __future__ import annotations

from importlib.metadata import entry_points

from platform_core.distribution import ENTRY_POINT_GROUP

CORE_APPS = [
    "migrations.piccolo_app",
    "platform_core.tenancy.piccolo_app",
    "platform_core.pluginsys.piccolo_app",
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
    "platform_core.promotions.piccolo_app",
    "platform_core.marketing.piccolo_app",
    "platform_core.staff_pay.piccolo_app",
    "platform_core.payouts.piccolo_app",
    "platform_core.training.piccolo_app",
    "platform_core.assessment.piccolo_app",
    "platform_core.qualifications.piccolo_app",
]


def all_piccolo_apps() -> list[str]:
    return CORE_APPS + plugin_piccolo_apps()


def plugin_piccolo_apps() -> list[str]:
    """The Piccolo apps that installed plugins register (for piccolo_conf, before any app exists).

    Read from the entry points on every call, so a plugin installed while the process runs is
    seen; each app once (Piccolo refuses an app registered twice)."""
    apps: list[str] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        register = getattr(ep.load(), "register_piccolo_apps", None)
        if register is not None:
            apps.extend(app for app in register() or [] if app not in apps)
    return apps
