"""Console roles and what each may do. docs/console-roles.md explains the choices.

Permissions are dotted strings so plugins can name them in guards and menu entries without
importing anything but this module. Labels are English msgids, translated where shown.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, Mapping

from platform_core.web.i18n import lazy_gettext as N_

Role = Literal["owner", "manager", "dispatcher", "finance", "support"]
ROLES: tuple[Role, ...] = ("owner", "manager", "dispatcher", "finance", "support")

ROLE_LABELS: Mapping[str, str] = MappingProxyType({
    "owner": N_("Owner"),
    "manager": N_("Manager"),
    "dispatcher": N_("Dispatcher"),
    "finance": N_("Finance"),
    "support": N_("Support"),
})

ROLE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({
    "owner": N_("Runs the franchise: everything, including who has access."),
    "manager": N_("Runs day-to-day business; cannot manage console users or pay money out."),
    "dispatcher": N_("Assigns workers to orders and keeps the schedule."),
    "finance": N_("Sees and settles the money: payments, refunds, payouts."),
    "support": N_("Answers customers: orders, customers and tickets."),
})

# In display order; each label is a msgid. Only permissions a page, an action or a menu entry
# checks: the Roles page lists these, and a permission nothing checks would promise a door that
# does not exist (add one with the pages it guards).
PERMISSIONS: Mapping[str, str] = MappingProxyType({
    "console.view": N_("Open the console and its dashboard"),
    "users.manage": N_("Invite console users and change their roles"),
    "settings.manage": N_("Change the franchise's settings"),
    "plugins.manage": N_("Turn plugins on and off and configure them"),
    "catalog.manage": N_("Edit services and prices"),
    "marketing.manage": N_("Run promotions: coupons, discount rules, campaigns, channels"),
    "staff.manage": N_("Review and manage workers"),
    "customers.view": N_("See customers"),
    "customers.manage": N_("Freeze, unfreeze and close customers' accounts"),
    "kyc": N_("Review real-name verifications and see ID photos"),
    "orders.view": N_("See orders"),
    "orders.manage": N_("Change, cancel and refund orders"),
    "dispatch.manage": N_("Assign workers to orders"),
    "finance.view": N_("See payments, ledgers and reports"),
    "finance.manage": N_("Approve payouts and withdrawals"),
    "support.manage": N_("Answer support tickets"),
})

ALL_PERMISSIONS = frozenset(PERMISSIONS)

ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    "owner": ALL_PERMISSIONS,
    # Who may sign in, and money leaving the business, stay with the owner.
    "manager": ALL_PERMISSIONS - {"users.manage", "finance.manage"},
    "dispatcher": frozenset({"console.view", "customers.view", "orders.view", "orders.manage", "dispatch.manage"}),
    "finance": frozenset({"console.view", "orders.view", "finance.view", "finance.manage"}),
    "support": frozenset({"console.view", "customers.view", "customers.manage", "orders.view", "support.manage"}),
})


def permissions_for(role: str) -> frozenset[str]:
    """A role's permissions; an unknown role (from a newer release) gets none."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def is_role(value: str) -> bool:
    return value in ROLE_PERMISSIONS
