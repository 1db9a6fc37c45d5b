"""Build the plugin manager: hookspecs, the core's own hook modules, then installed plugins.

Nothing global at import: each app (and each CLI run) builds its own manager.
"""

from __future__ import annotations

import importlib

import pluggy

from . import hookspecs
from .markers import ENTRY_POINT_GROUP, PROJECT

# The core registers its features through the same hooks as third-party plugins.
CORE_HOOK_MODULES = (
    "platform_core.shell.hooks",
    "platform_core.tenancy.hooks",
    "platform_core.accounts.hooks",
    "platform_core.notifications.hooks",
    "platform_core.jobs.hooks",
    "platform_core.catalog.hooks",
    "platform_core.staff.hooks",
    "platform_core.scheduling.hooks",
    "platform_core.orders.hooks",
    "platform_core.booking.hooks",
    "platform_core.dispatch.hooks",
    "platform_core.reviews.hooks",
    "platform_core.support.hooks",
    "platform_core.tracking.hooks",
    "platform_core.marketing.hooks",
    "platform_core.payments.hooks",
    "platform_core.promotions.hooks",
    "platform_core.ledger.hooks",
    "platform_core.payouts.hooks",
    "platform_core.plugin_admin.hooks",
    "platform_core.customer_desk.hooks",
    "platform_core.staff_pay.hooks",
    "platform_core.training.hooks",
    "platform_core.assessment.hooks",
    "platform_core.qualifications.hooks",
)
# Tools for development and the demo, never registered in production (HEARTH_ENV=prod).
DEV_HOOK_MODULES = ("platform_core.sandbox.hooks",)
CORE_PREFIX = "core."


def build_plugin_manager(
    *, load_entrypoints: bool = True, blocked: tuple[str, ...] = (), dev_tools: bool = True,
) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in CORE_HOOK_MODULES + (DEV_HOOK_MODULES if dev_tools else ()):
        pm.register(importlib.import_module(module_name), name=CORE_PREFIX + module_name.split(".")[1])
    for name in blocked:
        pm.set_blocked(name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return pm


def is_core(name: str) -> bool:
    return name.startswith(CORE_PREFIX)


def plugin_names(pm: pluggy.PluginManager) -> list[str]:
    """Installed plugins (not the core's own modules), by entry-point name."""
    return sorted(name for name, _ in pm.list_name_plugin() if name and not is_core(name))
