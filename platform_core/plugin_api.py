"""Everything a plugin author needs, in one import. What is not here is the core's own business
and may change; what is here changes only by adding (docs/plugins.md).

    from platform_core.plugin_api import MenuEntry, PluginInfo, hookimpl, page, plugin_config

Hooks and their contracts: platform_core.pluginsys.hookspecs. Testing a plugin:
platform_core.testing (a pytest plugin, loaded by installing Hearth)."""

from platform_core import clock
from platform_core.accounts.addresses import address_copy, address_snapshot
from platform_core.accounts.addresses import list_addresses as customer_addresses
from platform_core.accounts.console_services import (
    console_user_names,
    list_console_users,
)
from platform_core.accounts.fingerprints import (
    CustomerFingerprint,
    customer_fingerprints,
)
from platform_core.accounts.guards import (
    require_console,
    require_customer,
    require_staff,
    signed_in_customer,
    signed_in_staff,
)
from platform_core.accounts.identities import LinkedIdentity, customer_login_identity
from platform_core.accounts.provider_tokens import (
    LoginToken,
    count_provider_sign_in,
    hold_for_phone,
    token_for_identity,
    token_linking_phone,
)
from platform_core.accounts.ratelimit import Limit as RateLimit
from platform_core.accounts.ratelimit import limit_attempts
from platform_core.accounts.schemas import Address, CustomerCard
from platform_core.accounts.second_factor import (
    SecondFactorRequired,
    require_recent_second_factor,
)
from platform_core.accounts.services import (
    active_customer,
    customer_cards,
    customer_id_for_phone,
    customers_born_on,
)
from platform_core.accounts.sessions import Principal
from platform_core.accounts.sign_in_methods import link_path as login_link_path
from platform_core.booking.for_plugins import (
    PlacedOrder,
    cancel_order_as_customer,
    cancel_order_for_franchise,
    order_for_plugin,
    order_numbers,
    order_workers,
    place_order_for,
)
from platform_core.bounds import Code, Count, Id, Line, Name, Text, is_digits, text
from platform_core.catalog.schemas import CategoryRef, ItemRef
from platform_core.catalog.services import category_refs as service_categories
from platform_core.catalog.services import item_refs as service_items
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
from platform_core.ledger.services import balance as ledger_balance
from platform_core.ledger.services import (
    credit_earnings,
    debit_earnings,
    earnings_account,
)
from platform_core.money import from_minor, to_minor
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notifications
from platform_core.orders.audience import (
    CustomerActivity,
    MonthSpend,
    customer_activity,
    monthly_spending,
)
from platform_core.payments.order_facts import OrderFacts, order_facts
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
    TransferNotice,
    TransferProvider,
    TransferRequest,
    TransferResult,
)
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import (
    BookingFieldSpec,
    BookingForm,
    BookingWindow,
    BookingWindowQuery,
    CallRequest,
    CouponEvent,
    CourseEvent,
    CourseSpec,
    CustomerConsoleContext,
    CustomerEvent,
    CustomerProfileEvent,
    DispatchCandidate,
    DispatchScore,
    EarningsContext,
    EarningsPanel,
    FeedbackEvent,
    JobHandler,
    LessonSpec,
    LoginIdentity,
    LoginProvider,
    LoginStart,
    MapQuery,
    MemberContext,
    MemberPanel,
    MenuEntry,
    NotificationChannel,
    OrderEvent,
    OrderStateSpec,
    OutboundMessage,
    PageContext,
    PageNotice,
    PayoutEvent,
    PluginInfo,
    PluginToggleEvent,
    PriceAdjustment,
    PriceQuote,
    QuizQuestionSpec,
    RefundEvent,
    Requirement,
    RequirementQuery,
    ReviewEvent,
    RouteQuery,
    SegmentFilterSpec,
    SegmentSql,
    ServiceCategorySpec,
    ServiceItemSpec,
    StaticDir,
    TenantFileEvent,
)
from platform_core.pluginsys.services import plugin_config, update_own_config
from platform_core.promotions.schemas import Coupon, CouponTemplate
from platform_core.promotions.services import get_template as get_coupon_template
from platform_core.promotions.services import issue_plugin_coupon as issue_coupon
from platform_core.promotions.services import list_templates as coupon_templates
from platform_core.promotions.views import terms as coupon_terms
from platform_core.reviews.services import customer_review_counts
from platform_core.runtime import decrypt_text, encrypt_text
from platform_core.sandbox.config import SandboxConfig
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.tenancy.tables import Tenant
from platform_core.web.acquisition import is_bot, referrer_cookie
from platform_core.web.bounds import PathId
from platform_core.web.csrf import CSRF_FIELD
from platform_core.web.device import current_device
from platform_core.web.forms import (
    as_struct,
    client_address,
    error_context,
    form_data,
    parse_form,
    redirect_after_post,
)
from platform_core.web.i18n import gettext, lazy_gettext, ngettext
from platform_core.web.logging import hide_query_secrets
from platform_core.web.pages import page
from platform_core.web.templating import money, translate_to
from platform_core.web.uploads import MAX_BYTES as MAX_IMAGE_BYTES
from platform_core.web.uploads import photo_exists, save_image

__all__ = [
    "ngettext",
    "order_numbers",
    "order_workers",
    "decrypt_text",
    "encrypt_text",
    "signed_in_staff",
    "require_staff",
    "place_order_for",
    "order_for_plugin",
    "cancel_order_for_franchise",
    "cancel_order_as_customer",
    "ServiceItemSpec",
    "PlacedOrder",
    "Address",
    "BookingFieldSpec",
    "BookingForm",
    "BookingWindow",
    "BookingWindowQuery",
    "CSRF_FIELD",
    "CallRequest",
    "CategoryRef",
    "CheckoutAction",
    "CheckoutPage",
    "CheckoutRequest",
    "Code",
    "Conflict",
    "Count",
    "Coupon",
    "CouponEvent",
    "CourseEvent",
    "CouponTemplate",
    "CourseSpec",
    "CustomerActivity",
    "CustomerCard",
    "CustomerConsoleContext",
    "CustomerEvent",
    "CustomerFingerprint",
    "CustomerProfileEvent",
    "Device",
    "DispatchCandidate",
    "DispatchScore",
    "EarningsContext",
    "EarningsPanel",
    "FeedbackEvent",
    "Forbidden",
    "HearthError",
    "Id",
    "ItemRef",
    "JobContext",
    "JobHandler",
    "LessonSpec",
    "Line",
    "LinkedIdentity",
    "LoginIdentity",
    "LoginProvider",
    "LoginStart",
    "LoginToken",
    "MAX_IMAGE_BYTES",
    "MapProvider",
    "MapQuery",
    "MemberContext",
    "MemberPanel",
    "MenuEntry",
    "MonthSpend",
    "Name",
    "NotFound",
    "NotificationChannel",
    "NotificationCreate",
    "NotificationRefused",
    "OrderEvent",
    "OrderFacts",
    "OrderStateSpec",
    "OutboundMessage",
    "PageContext",
    "PageNotice",
    "PathId",
    "PaymentNotice",
    "PaymentProvider",
    "PaymentStatus",
    "PaymentUnavailable",
    "PayoutEvent",
    "PlaceTip",
    "PluginInfo",
    "PluginToggleEvent",
    "PriceAdjustment",
    "PriceQuote",
    "Principal",
    "ProviderError",
    "ProviderReply",
    "QuizQuestionSpec",
    "RateLimit",
    "RefundEvent",
    "RefundRequest",
    "RefundResult",
    "Requirement",
    "RequirementQuery",
    "ReviewEvent",
    "RouteQuery",
    "SandboxConfig",
    "SecondFactorRequired",
    "SegmentFilterSpec",
    "SegmentSql",
    "ServiceCategorySpec",
    "StaticDir",
    "Tenant",
    "TenantClients",
    "TenantContext",
    "TenantFileEvent",
    "Text",
    "TileLayer",
    "TransferNotice",
    "TransferProvider",
    "TransferRequest",
    "TransferResult",
    "ValidationFailed",
    "active_customer",
    "add_notifications",
    "address_copy",
    "address_snapshot",
    "as_struct",
    "client_address",
    "clock",
    "console_user_names",
    "coordinator",
    "count_provider_sign_in",
    "coupon_templates",
    "coupon_terms",
    "credit_earnings",
    "current_connection",
    "current_device",
    "current_tenant",
    "customer_activity",
    "customer_addresses",
    "customer_cards",
    "customer_fingerprints",
    "customer_id_for_phone",
    "customer_login_identity",
    "customer_review_counts",
    "customers_born_on",
    "debit_earnings",
    "earnings_account",
    "enqueue",
    "error_context",
    "form_data",
    "from_minor",
    "get_coupon_template",
    "gettext",
    "hide_query_secrets",
    "hold_for_phone",
    "hookimpl",
    "is_digits",
    "is_bot",
    "issue_coupon",
    "lazy_gettext",
    "lazy_module",
    "ledger_balance",
    "limit_attempts",
    "list_console_users",
    "login_link_path",
    "money",
    "monthly_spending",
    "order_facts",
    "page",
    "parse_form",
    "photo_exists",
    "plugin_config",
    "redirect_after_post",
    "reference",
    "referrer_cookie",
    "require_console",
    "require_customer",
    "require_recent_second_factor",
    "save_image",
    "service_categories",
    "service_items",
    "signed_in_customer",
    "sql_migration",
    "text",
    "to_minor",
    "token_for_identity",
    "token_linking_phone",
    "translate_to",
    "update_own_config",
]
