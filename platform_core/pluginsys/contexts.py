"""The one-argument contexts hooks receive. Evolve them by adding fields with defaults."""

from __future__ import annotations

from datetime import datetime, time
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
    section: Literal["operations", "business", "marketing", "settings"] = "operations"
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
    # Addresses on the franchise's site that the franchise must give the provider (a sign-in
    # callback to register): English label -> path. Each franchise's settings show them in full
    # on its own host.
    site_urls: dict[str, str] = {}


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
    """Who a login provider vouched for. ``subject`` is the provider's stable id of the person
    in ``app_id`` (WeChat's openid; one provider may have several apps, each with its own ids);
    ``unionid`` the same person across the franchise's apps of that provider, when it says."""

    provider: str
    subject: str
    display_name: str = ""
    avatar_url: str = ""
    phone: str | None = None
    app_id: str = ""
    unionid: str = ""
    raw: dict[str, Any] = {}


class LoginStart(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in through a provider about to start, for ``LoginProvider.authorize``.

    ``device`` is where the browser is ("wechat": WeChat's own browser, "mobile", "desktop");
    ``share_profile``: the customer chose to share their nickname and avatar; ``silent``: only
    the identity is wanted, without a page to approve when the provider can (WeChat's
    ``snsapi_base``, for a payment that needs the payer's openid); ``app_id``: the identity is
    wanted in that app of the provider, and the provider refuses when it can't sign in there."""

    tenant: TenantContext
    state: str
    redirect_uri: str
    device: Literal["wechat", "mobile", "desktop"] = "desktop"
    share_profile: bool = False
    silent: bool = False
    # The provider app whose identity is wanted (WeChat Pay's official account), "" for any.
    app_id: str = ""


class LoginProvider(msgspec.Struct, frozen=True, kw_only=True):
    """A third-party sign-in (WeChat, QQ): where to send the user, and how to read the callback.

    ``authorize_url(tenant, state, redirect_uri)`` is the provider's page; ``authorize(start)``,
    when given, is used instead and also learns the device and the customer's choices
    (:class:`LoginStart`). ``complete(tenant, query, redirect_uri)`` turns the callback's query
    into a :class:`LoginIdentity`; the ``redirect_uri`` it gets is the one the core passed to
    authorize (a provider may add its own query to the address it sends on). ``profile_choice``:
    the sign-in page offers "share my nickname and avatar" for this provider."""

    name: str
    label: str
    authorize_url: Callable[[TenantContext, str, str], Awaitable[str]]  # (tenant, state, redirect_uri)
    complete: Callable[[TenantContext, dict[str, str], str], Awaitable[LoginIdentity]]  # (tenant, query, redirect_uri)
    authorize: Callable[[LoginStart], Awaitable[str]] | None = None
    profile_choice: bool = False


class CustomerEvent(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    customer_id: int
    occurred_at: datetime
    # How the customer arrived: an invite code, a campaign, a login provider.
    attribution: dict[str, str] = {}


class TenantFileEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant file was applied (`hearth tenants apply`, the demo): `data` is the plugin's own
    `[plugins.<plugin_name>.data]` table, as written."""

    tenant: TenantContext
    plugin_name: str
    data: dict[str, Any]
class CustomerProfileEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A customer changed their profile or address book: what the profile holds now, so a
    reaction (loyalty's "complete your profile" task) need not read it again."""

    tenant: TenantContext
    customer_id: int
    occurred_at: datetime
    # The parts of the profile that are filled in now: "display_name", "email", "preferences",
    # "address" (at least one saved address).
    filled: frozenset[str] = frozenset()


class ReviewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A customer reviewed their completed order."""

    tenant: TenantContext
    review_id: int
    order_id: int
    customer_id: int
    item_id: int
    occurred_at: datetime
    staff_id: int | None = None
    score: float = 0  # the mean of the three scores, 1 to 5


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


class PayoutEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A payout came to its end at the provider: paid, or failed (its money back in the earnings)."""

    tenant: TenantContext
    payout_id: int
    payout_no: str
    holder: Literal["customer", "staff"]
    holder_id: int
    source: Literal["withdrawal", "statement"]
    source_ref: str  # for a statement's payout, the statement's number
    state: Literal["paid", "failed"]
    amount: int  # what left the earnings, the fee included
    fee: int
    currency: str
    message: str  # the provider's reason, when it failed
    occurred_at: datetime


class PriceQuote(msgspec.Struct, frozen=True, kw_only=True):
    tenant: TenantContext
    customer_id: int | None
    category: str
    item_id: int
    base_amount: int
    currency: str
    lines: list[dict[str, Any]] = []
    # What the booking says so far, when it says it: the visit's start, the address's district
    # (an off-peak or district price), and the coupon the customer chose.
    slot_start: datetime | None = None
    district: str = ""
    coupon_id: int | None = None


class BookingWindowQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Whom the slot engine is about to answer: the customer (None for a visitor) booking an
    item of a category (compute_booking_window)."""

    tenant: TenantContext
    customer_id: int | None
    item_id: int
    category: str


class BookingWindow(msgspec.Struct, frozen=True, kw_only=True):
    """A contribution to a customer's booking window: days beyond the franchise's horizon they
    may book, and workers kept free for others (priority holders) that this customer may not
    take. The slot engine takes the largest of each among the answers."""

    extra_horizon_days: int = 0
    held_back_workers: int = 0
    # Why this customer may not book this item yet, shown as given (translate your own): elder
    # care's "take the care assessment first". No times are offered and placement refuses.
    closed: str = ""


class PriceAdjustment(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    amount: int  # minor units; negative for a discount
    code: str = ""
    # Who pays for a discount: the franchise (its expense) or the platform (a head-office
    # campaign, owed to the franchise). None on a discount is the franchise; ignored on a charge.
    funded_by: Literal["franchise", "platform"] | None = None


class CouponEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A coupon was redeemed: the order holding it was paid (or, paid after the service, done)."""

    tenant: TenantContext
    coupon_id: int
    template_id: int
    customer_id: int
    order_id: int
    occurred_at: datetime


class FeedbackEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's feedback (a problem or a suggestion) as it arrives, before it is stored."""

    tenant: TenantContext
    customer_id: int
    kind: str  # "problem" or "suggestion"
    order_id: int | None = None


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
    reason: str = ""  # shown as given in "why this worker" (translate your own)
    label: str = ""  # the score's name as "why this worker" shows it (translated); else `name`
    # The order's standing in a batch, the same for each of its workers (a member's order):
    # orders of a higher priority choose their workers first. 0 = none.
    priority: int = 0


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


class ServiceItemSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A service item a plugin's category starts with (elder care's companion care). Made once,
    with its category row; from then on the franchise's to edit, price and switch off. ``code``
    becomes the item's address (its slug); ``price`` is in minor units per ``unit``: an hourly
    item is booked by the hour, a visit is one fixed visit of ``duration_minutes``, a month is a
    live-in stay of ``duration_minutes`` (a day or more) priced by the month."""

    code: str
    title: str
    description: str = ""
    price: int
    unit: Literal["hour", "visit", "month"] = "visit"
    duration_minutes: int = 120
    min_quantity: int = 1
    max_quantity: int = 1
    required_skills: list[str] = []


class ServiceCategorySpec(msgspec.Struct, frozen=True, kw_only=True):
    """A service category a plugin contributes (elder care), with its own booking fields and the
    items it starts with."""

    code: str
    title: str
    icon: str = "home"
    booking_fields: list[BookingFieldSpec] = []
    items: list[ServiceItemSpec] = []


class CourseEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A worker passed a training course (on_course_passed). ``expires_at`` is set for a course
    that must be taken again (a yearly refresher); ``certificate_no`` is the completion
    certificate's number, unique within the franchise."""

    tenant: TenantContext
    staff_id: int
    course_code: str
    certificate_no: str
    passed_at: datetime
    expires_at: datetime | None = None


class RequirementQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Who may serve a piece of work (compute_order_requirements): asked while an order is
    dispatched (``order_id`` set) and while a customer chooses a time for an item (``order_id``
    None; ``customer_id`` None for a visitor)."""

    tenant: TenantContext
    category: str
    item_id: int
    customer_id: int | None = None
    order_id: int | None = None


class Requirement(msgspec.Struct, frozen=True, kw_only=True):
    """What a worker must hold to be offered the work: credential kind codes (valid, approved,
    not expired on the visit's day) and course codes (passed). ``reason`` is shown to the office
    as given (translate your own): "care level 3 needs a senior carer certificate"."""

    credentials: list[str] = []
    courses: list[str] = []
    reason: str = ""


class LessonSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One lesson of a course: paragraphs of text (blank lines between them), an optional picture
    and an optional video, each a URL the franchise's pages may load."""

    title: str
    body: str
    image_url: str = ""
    video_url: str = ""


class QuizQuestionSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A single-choice question: ``answer`` is the index of the right one of ``choices``."""

    prompt: str
    choices: list[str]
    answer: int


class CourseSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A training course a plugin ships (elder care's carer course). ``code`` is unique within a
    franchise and is what requirements name. ``pass_mark`` is the share of right answers, in
    percent; a failed quiz may be taken again after ``retake_after_hours``. ``categories`` are the
    service categories it is required for; ``onboarding`` makes it due for every new worker."""

    code: str
    title: str
    summary: str = ""
    lessons: list[LessonSpec] = []
    questions: list[QuizQuestionSpec] = []
    pass_mark: int = 80
    retake_after_hours: int = 24
    categories: list[str] = []
    onboarding: bool = False


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
    """A background job kind and the coroutine function that runs it (register_job_handlers).
    With `daily_at`, the workers also run it once a day at that wall-clock time of each active
    franchise's zone (for a plugin's job, each franchise that has the plugin on), with an empty
    payload: nightly expiry, tier evaluation, birthday coupons."""

    kind: str
    handler: Callable[[Any, dict[str, Any]], Awaitable[None]]
    daily_at: time | None = None


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
    customer_id: int | None = None  # the signed-in customer, on the customer site
    staff_id: int | None = None  # the signed-in worker, in the staff app


class PageNotice(msgspec.Struct, frozen=True, kw_only=True):
    """A banner at the top of a page (a holiday closure, a service change). Plain text: the
    layout escapes title and body."""

    title: str
    body: str = ""
    level: Literal["info", "warning", "success"] = "info"
    dismissible: bool = True
    # A link under the text, on the same site ("/p/elder_care/assess"), and its words.
    href: str = ""
    link_label: str = ""


class MemberContext(msgspec.Struct, frozen=True, kw_only=True):
    """A signed-in customer's member centre (/account/member) being put together."""

    tenant: TenantContext
    customer_id: int
    locale: str = "zh_CN"


class CustomerConsoleContext(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's page in the franchise console (/console/customers/{id}) being put together
    for an office user (compute_customer_console_panels)."""

    tenant: TenantContext
    customer_id: int
    console_user_id: int
    permissions: frozenset[str] = frozenset()  # the office user's (a panel may need more than customers.view)
    locale: str = "zh_CN"


class MemberPanel(msgspec.Struct, frozen=True, kw_only=True):
    """One panel of the member centre. `template` is a partial of the plugin's templates
    (`loyalty/_panel_points.html`) rendered with `panel` bound to `context`; the JSON API
    (`GET /api/v1/account/member`) answers `context` as the panel's `data`, so it holds plain
    values only: a msgspec Struct or a dict of str, int, bool, dates, lists of them."""

    key: str  # unique on the page: "<plugin>.<panel>", e.g. "loyalty.points"
    title: str  # an English msgid; translated when rendered and in the API
    template: str
    context: Any = None
    order: int = 100  # smaller first
    href: str | None = None  # the panel's own page ("See all"), if it has one
    # The plugin's stylesheets the partial needs (`/static/p/<plugin>/...`), linked once per page.
    stylesheets: list[str] = []


class EarningsContext(msgspec.Struct, frozen=True, kw_only=True):
    """A person's earnings page being put together (compute_earnings_panels): a customer's
    "my earnings" (/account/earnings) or a worker's (/staff/earnings)."""

    tenant: TenantContext
    holder: Literal["customer", "staff"]
    holder_id: int
    currency: str
    locale: str = "zh_CN"


class EarningsPanel(msgspec.Struct, frozen=True, kw_only=True):
    """Something shown beside the earnings balance: loyalty's "points worth ¥12.30", the worker's
    "withdraw" entry. ``title`` and ``note`` are English msgids (translated when rendered, in the
    contributor's catalogue); ``value`` is shown as it is (format money with the page's locale
    first); ``href`` an in-app page, if any."""

    key: str  # unique on the page: "<plugin>.<panel>", e.g. "loyalty.points"
    title: str
    value: str = ""
    note: str = ""
    href: str | None = None
    order: int = 100  # smaller first


class SegmentSql(msgspec.Struct, frozen=True, kw_only=True):
    """A subquery that selects customer ids (one bigint column, any name), written over the
    contributor's own tables only; its arguments are `$1`..`$n` in `sql`, numbered from 1
    (marketing renumbers them when it composes filters). `exclude`: the customers it selects are
    taken out of the segment instead of required."""

    sql: str
    args: tuple[Any, ...] = ()
    exclude: bool = False


class SegmentFilterSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A filter the console's segment builder offers ("dormant for N days", "member tier").

    `params` is a msgspec Struct of the filter's parameters (bounded types; a default for each
    field the builder may leave blank); the builder shows one input per field, with `options`
    for a field whose value is a choice. `members(params)` answers the customers that match as
    SegmentSql (or a list of them, all of which apply). `describe(params)` is a short English
    sentence for the segment list (translated by the caller when it is a msgid without values).
    """

    name: str  # snake_case, unique among filters; a plugin prefixes its own: "loyalty_tier"
    label: str  # an English msgid
    params: type[msgspec.Struct]
    members: Callable[[Any], SegmentSql | list[SegmentSql]]
    # Choices per parameter, read when the builder renders: {"category": [("cleaning", "Cleaning")]}.
    options: Callable[[], Awaitable[dict[str, list[tuple[str, str]]]]] | None = None
    # Labels of the parameters (English msgids), by field name.
    param_labels: dict[str, str] = {}
    order: int = 100
