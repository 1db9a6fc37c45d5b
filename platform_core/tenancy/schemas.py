from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec

from platform_core.bounds import Code, text

SLUG_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
COLOR = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
Slug = Annotated[str, msgspec.Meta(min_length=2, max_length=63, pattern=SLUG_PATTERN)]
Locale = Literal["zh_CN", "en"]


class Branding(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    display_name: str = ""
    tagline: str = ""
    logo_url: str = ""
    primary_color: COLOR = "#0f766e"
    accent_color: COLOR = "#f59e0b"


HHMM = r"^(([01][0-9]|2[0-3]):[0-5][0-9])?$"


class ServiceContact(msgspec.Struct, frozen=True, kw_only=True):
    """How customers and workers reach the franchise: its service line and opening hours
    ('HH:MM' in the franchise's time zone; both empty when not given)."""

    phone: text(32) = ""  # type: ignore[valid-type]
    opens: Annotated[str, msgspec.Meta(pattern=HHMM)] = ""
    closes: Annotated[str, msgspec.Meta(pattern=HHMM)] = ""

    @property
    def hours(self) -> str:
        return f"{self.opens}–{self.closes}" if self.opens and self.closes else ""


class _TenantFields(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    slug: str
    name: str
    status: str
    locale: str
    timezone: str
    currency: str
    branding: Branding
    contact: ServiceContact = ServiceContact()

    @property
    def display_name(self) -> str:
        return self.branding.display_name or self.name

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


class TenantContext(_TenantFields, frozen=True, kw_only=True):
    """The tenant a request or a job runs for."""

    enabled_plugins: frozenset[str] = frozenset()
    # The tenant's stamp when this was read (tenancy_0003): equal stamps, equal tenant, domains,
    # plugins and plugin config.
    version: int = 0

    def key(self, *parts: str | int) -> str:
        """The one way to build a redis (or store) key for this tenant."""
        return ":".join(["t", str(self.id), *(str(p) for p in parts)])


class Tenant(_TenantFields, frozen=True, kw_only=True):
    """A tenant as the platform console and the CLI show it."""

    hosts: list[str] = []
    suspended_reason: str = ""


class TenantCreate(msgspec.Struct, frozen=True, kw_only=True):
    slug: Slug
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    locale: Locale = "zh_CN"
    timezone: Code = "Asia/Shanghai"
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] = "CNY"
    branding: Branding = Branding()
    hosts: list[str] = []


class TenantPluginSpec(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = True
    config: dict[str, object] = {}
    # [plugins.<name>.data]: records the plugin keeps in its own tables (loyalty's rewards shop),
    # handed to its on_tenant_file_applied hook; the plugin validates and applies them.
    data: dict[str, Any] = {}


class TenantFile(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant as written in tenants/*.toml."""

    tenant: TenantCreate
    plugins: dict[str, TenantPluginSpec] = {}
    owner: dict[str, str] = {}
    customers: list[dict[str, str]] = []
    # [[staff]]: name and phone of each worker (applied by accounts.services.apply_staff_entries).
    staff: list[dict[str, str]] = []
    # [legal] defaults = true: publish the built-in user agreement and privacy policy where the
    # franchise has none yet (accounts.legal.publish_default_documents).
    legal: dict[str, bool] = {}
    # [[promotions.coupons]], [[promotions.rules]], [[promotions.channels]]: coupon templates,
    # discount rules and partner channels (demo.promotions.apply_promotions), matched by name.
    promotions: dict[str, list[dict[str, Any]]] = {}
    # [[campaigns]]: marketing campaigns with their coupons (marketing.seeding.apply_campaigns).
    campaigns: list[dict[str, Any]] = []
    # [[training.courses]] and [[training.progress]]: courses and workers' progress (training.seeding).
    training: dict[str, list[dict[str, Any]]] = {}
    # [assessment]: the formula and rules, last month's scorecards, watch list and coaching notes
    # (assessment.seeding.apply_assessment).
    assessment: dict[str, Any] = {}


def is_valid_slug(slug: str) -> bool:
    return bool(re.match(SLUG_PATTERN, slug))
