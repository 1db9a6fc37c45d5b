"""The one-argument contexts hooks receive. Evolve them by adding fields with defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Awaitable, Callable, Literal

import msgspec

from platform_core.tenancy.schemas import TenantContext

# The badge colours of the design system (hearth.css `.badge--{tone}`); None is a plain badge.
BadgeTone = Literal["info", "brand", "success", "warning", "danger"]


class MenuEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A link in the franchise console's navigation (or the platform console's)."""

    label: str  # an English msgid; translated when rendered
    href: str
    icon: str = "puzzle"
    permission: str | None = None
    section: Literal["operations", "business", "settings"] = "operations"
    order: int = 100


class StaticDir(msgspec.Struct, frozen=True, kw_only=True):
    """A folder served at /static/p/{name}/."""

    name: str
    path: str


class PluginInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What a plugin says about itself: shown in both consoles; `config` is its frozen Struct."""

    title: str
    description: str = ""
    config: type[msgspec.Struct] | None = None
    category: Literal["payments", "marketing", "services", "dispatch", "notifications", "login", "other"] = "other"


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message for a person: an SMS text, a WeChat template message, ..."""

    tenant: TenantContext
    channel: str  # "sms", "wechat", ...
    to: str  # a phone number in E.164, an openid, ...
    body: str
    purpose: str  # "otp", "order_paid", ...
    template: str | None = None
    data: dict[str, str] = {}


class NotificationChannel(msgspec.Struct, frozen=True, kw_only=True):
    """A way out for messages. `send` raises on failure; the outbox retries."""

    name: str
    channel: str
    send: Callable[[OutboundMessage], Awaitable[None]]
    priority: int = 100


class LoginIdentity(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    subject: str  # the provider's stable id (unionid/openid)
    display_name: str = ""
    avatar_url: str = ""
    phone: str | None = None
    raw: dict[str, Any] = {}


class LoginProvider(msgspec.Struct, frozen=True, kw_only=True):
    """A third-party sign-in (WeChat, QQ): where to send the user, and how to read the callback."""

    name: str
    label: str
    authorize_url: Callable[[TenantContext, str, str], Awaitable[str]]  # (tenant, state, redirect_uri)
    complete: Callable[[TenantContext, dict[str, str], str], Awaitable[LoginIdentity]]  # (tenant, query, redirect_uri)


class CustomerEvent(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    customer_id: int
    occurred_at: datetime
    # How the customer arrived: an invite code, a campaign, a login provider.
    attribution: dict[str, str] = {}


class PluginToggleEvent(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    plugin_name: str
    enabled: bool
    actor: str


class OrderEvent(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    order_id: int
    customer_id: int
    category: str
    amount: int  # minor units
    currency: str
    occurred_at: datetime
    staff_id: int | None = None
    # When the visit is booked for, and whether "as soon as possible": what a reaction plans by
    # (dispatch's deadlines) without reading the order again.
    scheduled_start: datetime | None = None
    asap: bool = False


class RefundEvent(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    order_id: int
    refund_id: int
    amount: int
    currency: str
    occurred_at: datetime


class PriceQuote(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    customer_id: int | None
    category: str
    item_id: int
    base_amount: int
    currency: str
    lines: list[dict[str, Any]] = []


class PriceAdjustment(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    amount: int  # minor units; negative for a discount
    code: str = ""


class DispatchCandidate(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    order_id: int
    staff_id: int
    category: str
    distance_m: int | None = None
    customer_id: int | None = None


class DispatchScore(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    score: float  # 0..1, weighted by the tenant's weight for `name`
    eligible: bool = True
    reason: str = ""


class BookingFieldSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A field a plugin adds to a booking form. `label` is shown as given (translate your own).
    A number may have bounds (`min`, `max`); a photo's answer is the URL of the customer's upload."""

    name: str
    label: str
    type: Literal["text", "textarea", "number", "select", "checkbox", "date", "photo"] = "text"
    required: bool = False
    choices: list[str] = []
    help: str = ""
    min: float | None = None
    max: float | None = None


class BookingForm(msgspec.Struct, frozen=True, kw_only=True):
    """The booking form being built, for compute_booking_fields."""

    tenant: TenantContext
    category: str


class ServiceCategorySpec(msgspec.Struct, frozen=True, kw_only=True):
    """A service category a plugin contributes (elder care), with its own booking fields."""

    code: str
    title: str
    icon: str = "home"
    booking_fields: list[BookingFieldSpec] = []


class RouteQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A travel time wanted for live tracking: from the worker's position to the visit."""

    tenant: TenantContext
    origin: tuple[float, float]  # (lat, lng)
    destination: tuple[float, float]


class CallRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Someone on an order wants to call the other side (select_privacy_number): the worker the
    customer, or the customer the worker. Phones are E.164; neither is shown to the other."""

    tenant: TenantContext
    order_id: int
    order_number: str
    caller: Literal["customer", "staff"]
    caller_phone: str
    callee_phone: str
    # The binding should not outlive the visit by much.
    until: datetime


class MapQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which map service a franchise uses (select_map_provider)."""

    tenant: TenantContext


class JobHandler(msgspec.Struct, frozen=True, kw_only=True):
    """A background job kind and the coroutine function that runs it (register_job_handlers)."""

    kind: str
    handler: Callable[[Any, dict[str, Any]], Awaitable[None]]


class OrderStateSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Extra order states a category plugin declares (elder care's trial period). `label` (an
    English msgid, in the plugin's catalogue) and `tone` are how every page shows the state, as
    the core's own states are shown; without a label a page shows `state` itself."""

    category: str
    state: str
    after: str
    transitions: list[dict[str, Any]] = []
    label: str = ""
    tone: BadgeTone | None = None


class PageContext(msgspec.Struct, frozen=True, kw_only=True):
    """A page being rendered, for hooks that add to every page of a surface."""

    tenant: TenantContext
    surface: Literal["customer", "staff", "console"]
    path: str
    locale: str = "zh_CN"


class PageNotice(msgspec.Struct, frozen=True, kw_only=True):
    """A banner at the top of a page (a holiday closure, a service change). Plain text: the
    layout escapes title and body."""

    title: str
    body: str = ""
    level: Literal["info", "warning", "success"] = "info"
    dismissible: bool = True
