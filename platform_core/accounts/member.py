"""The member centre (/account/member and GET /api/v1/account/member): a page of the customer's
account made of the panels the franchise's enabled plugins contribute (compute_member_panels),
and the account tabs, which plugins extend (provide_account_menu). The core has no panel of its
own: with no plugin answering, the page is a 404 and its tab is not shown."""

from __future__ import annotations

from typing import Any

import msgspec

from platform_core.pluginsys.calls import collect, collect_now
from platform_core.pluginsys.contexts import MemberContext, MemberPanel, MenuEntry
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant_or_none
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import gettext, lazy_gettext

MEMBER_HREF = "/account/member"

# The core's account tabs; plugins add theirs with provide_account_menu (order between these).
CORE_TABS = (
    MenuEntry(label="Profile", href="/account", icon="user", order=10),
    MenuEntry(label="Addresses", href="/account/addresses", icon="map-pin", order=20),
    MenuEntry(label="Wallet", href="/account/wallet", icon="key", order=30),
    MenuEntry(label="My coupons", href="/account/coupons", icon="star", order=40),
    MenuEntry(label="Messages", href="/account/inbox", icon="mail", order=50),
    MenuEntry(label="Feedback", href="/account/feedback", icon="inbox", order=60),
    MenuEntry(label="Sign-in methods", href="/account/sign-in-methods", icon="key", order=63),
    MenuEntry(label="Verification", href="/account/verification", icon="check", order=65),
    MenuEntry(label="Security", href="/account/security", icon="shield", order=70),
)
MEMBER_TAB = MenuEntry(label=lazy_gettext("Member centre"), href=MEMBER_HREF, icon="chart", order=15)


class PanelData(msgspec.Struct, frozen=True, kw_only=True):
    """One panel as the API sends it: its title translated, its data as plain JSON values."""

    key: str
    title: str
    order: int
    href: str | None
    data: Any


class MemberCentre(msgspec.Struct, frozen=True, kw_only=True):
    panels: list[PanelData]


def member_centre_offered(tenant: TenantContext) -> bool:
    """Whether one of the tenant's enabled plugins contributes to the member centre (no call: the
    relay's caller for the tenant lists only the impls of its enabled plugins)."""
    return bool(current_runtime().hooks(tenant).compute_member_panels.get_hookimpls())


def account_tabs() -> list[MenuEntry]:
    """The tabs of the customer's account pages: the core's, "Member centre" when a plugin
    contributes to it, and the entries of the tenant's enabled plugins (provide_account_menu),
    by order. A template global (accounts/_account_tabs.html)."""
    tenant = current_tenant_or_none()
    if tenant is None:
        return list(CORE_TABS)
    tabs = [*CORE_TABS, *(entry for _, entry in collect_now(current_runtime().hooks(tenant).provide_account_menu))]
    if member_centre_offered(tenant):
        tabs.append(MEMBER_TAB)
    return sorted(tabs, key=lambda e: e.order)


async def member_panels(tenant: TenantContext, customer_id: int, locale: str) -> list[MemberPanel]:
    """The panels of the customer's member centre, by order then key (a failing plugin is left
    out, pluginsys.calls). Empty when no enabled plugin contributes."""
    member = MemberContext(tenant=tenant, customer_id=customer_id, locale=locale)
    found = [panel for _, panel in await collect(current_runtime().hooks(tenant).compute_member_panels, member=member)
             if isinstance(panel, MemberPanel)]
    return sorted(found, key=lambda p: (p.order, p.key))


def as_data(panels: list[MemberPanel]) -> MemberCentre:
    return MemberCentre(panels=[
        PanelData(key=p.key, title=gettext(p.title), order=p.order, href=p.href, data=msgspec.to_builtins(p.context))
        for p in panels
    ])
