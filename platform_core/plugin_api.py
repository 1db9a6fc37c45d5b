"""Everything a plugin author needs, in one import. What is not here is the core's own business
and may change; what is here changes only by adding (docs/plugins.md).

    from platform_core.plugin_api import MenuEntry, PluginInfo, hookimpl, page, plugin_config

Hooks and their contracts: platform_core.pluginsys.hookspecs. Testing a plugin:
platform_core.testing (a pytest plugin, loaded by installing Hearth)."""

from platform_core import clock
from platform_core.db import current_connection
from platform_core.db.citus import coordinator, reference
from platform_core.db.migration import sql_migration
from platform_core.errors import (
    Conflict,
    Forbidden,
    HearthError,
    NotFound,
    ValidationFailed,
)
from platform_core.geo import MapProvider, PlaceTip, TileLayer
from platform_core.jobs.schemas import JobContext
from platform_core.jobs.services import enqueue
from platform_core.lazy import lazy_module
from platform_core.money import from_minor, to_minor
from platform_core.payments.provider import (
    CheckoutAction,
    CheckoutPage,
    CheckoutRequest,
    Device,
    NotificationRefused,
    PaymentNotice,
    PaymentProvider,
    PaymentStatus,
    PaymentUnavailable,
    ProviderError,
    ProviderReply,
    RefundRequest,
    RefundResult,
    TenantClients,
)
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import (
    BookingFieldSpec,
    BookingForm,
    CallRequest,
    CustomerEvent,
    DispatchCandidate,
    DispatchScore,
    JobHandler,
    LoginIdentity,
    LoginProvider,
    MapQuery,
    MenuEntry,
    NotificationChannel,
    OrderEvent,
    OrderStateSpec,
    OutboundMessage,
    PageContext,
    PageNotice,
    PluginInfo,
    PluginToggleEvent,
    PriceAdjustment,
    PriceQuote,
    RefundEvent,
    RouteQuery,
    ServiceCategorySpec,
    StaticDir,
)
from platform_core.pluginsys.services import plugin_config
from platform_core.sandbox.config import SandboxConfig
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.tenancy.tables import Tenant
from platform_core.web.i18n import gettext, lazy_gettext
from platform_core.web.pages import page

__all__ = [
    "BookingFieldSpec",
    "BookingForm",
    "CallRequest",
    "CheckoutAction",
    "CheckoutPage",
    "CheckoutRequest",
    "Conflict",
    "CustomerEvent",
    "Device",
    "DispatchCandidate",
    "DispatchScore",
    "Forbidden",
    "HearthError",
    "JobContext",
    "JobHandler",
    "LoginIdentity",
    "LoginProvider",
    "MapProvider",
    "MapQuery",
    "MenuEntry",
    "NotFound",
    "NotificationChannel",
    "NotificationRefused",
    "OrderEvent",
    "OrderStateSpec",
    "OutboundMessage",
    "PageContext",
    "PageNotice",
    "PaymentNotice",
    "PaymentProvider",
    "PaymentStatus",
    "PaymentUnavailable",
    "PlaceTip",
    "PluginInfo",
    "PluginToggleEvent",
    "PriceAdjustment",
    "PriceQuote",
    "ProviderError",
    "ProviderReply",
    "RefundEvent",
    "RefundRequest",
    "RefundResult",
    "RouteQuery",
    "SandboxConfig",
    "ServiceCategorySpec",
    "StaticDir",
    "Tenant",
    "TileLayer",
    "TenantClients",
    "TenantContext",
    "ValidationFailed",
    "clock",
    "coordinator",
    "current_connection",
    "current_tenant",
    "enqueue",
    "from_minor",
    "gettext",
    "hookimpl",
    "lazy_gettext",
    "lazy_module",
    "page",
    "plugin_config",
    "reference",
    "sql_migration",
    "to_minor",
]
