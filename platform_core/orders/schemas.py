"""Orders at the boundary: what the services return and what the API and the forms take."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from platform_core.bounds import Code, Id, Ids, Name, Text, Urls, text
from platform_core.geo import place_line

from .machine import Actor

LineKind = Literal["base", "addon", "adjustment", "fee"]


class ActorRef(msgspec.Struct, frozen=True, kw_only=True):
    """Who fires a transition: a customer, a worker, a console user (with the permissions of
    their role), the system (jobs, dispatch) or a plugin."""

    kind: Actor
    id: int | None = None
    permissions: frozenset[str] = frozenset()


SYSTEM = ActorRef(kind="system")


class OrderLine(msgspec.Struct, frozen=True, kw_only=True):
    kind: LineKind
    label: str
    amount: int  # minor units; negative for a discount
    quantity: int = 1
    unit_amount: int = 0
    code: str = ""
    source: str = "core"  # 'core' or the plugin that contributed the line
    # Who pays for a discount line: 'franchise' or 'platform' (read at settlement); None otherwise.
    funded_by: str | None = None


class OrderEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One row of an order's timeline."""

    id: int
    event: str
    from_state: str | None
    to_state: str
    actor_kind: str
    actor_id: int | None
    note: str
    data: dict[str, Any]
    created_at: datetime


class NewAddress(msgspec.Struct, frozen=True, kw_only=True):
    """An address given with a booking (not from the address book)."""

    contact_name: Name
    contact_phone: Code
    city: Name
    street: Text
    region: Name = ""
    district: Name = ""
    detail: Text = ""
    # The district's code from the 省/市/区 picker (the address book places the address by it).
    area_code: Code = ""
    lat: float | None = None
    lng: float | None = None


class OrderAddress(NewAddress, frozen=True, kw_only=True):
    """The address as it was when the order was placed; the phone is masked here."""

    @property
    def one_line(self) -> str:
        # place_line: "上海市 徐汇区 …", a municipality said once.
        return place_line(self.region, self.city, self.district, self.street, self.detail)


class Order(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    customer_id: int
    item_id: int
    category_code: str
    state: str
    state_changed_at: datetime
    address: OrderAddress
    district: str
    requirements: str
    fields: dict[str, Any]
    photos: list[str]
    asap: bool
    scheduled_start: datetime
    scheduled_end: datetime
    requested_staff_id: int | None
    quantity: int
    currency: str
    subtotal: int
    adjustments: int
    total: int
    payment_method: str
    paid_at: datetime | None
    cancellation_fee: int
    cancel_reason: str
    created_at: datetime
    lines: list[OrderLine] = []


class BookingSettings(msgspec.Struct, frozen=True, kw_only=True):
    slot_minutes: int = 30
    lead_minutes: int = 120
    horizon_days: int = 14
    free_cancel_hours: int = 24
    late_cancel_fee_percent: int = 20
    reminder_hours: int = 2
    # A number that connects the customer to the worker without either seeing the other's.
    relay_phone: str = ""


class CancellationTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What cancelling now would cost, shown before the customer confirms."""

    fee: int
    currency: str
    free_until: datetime
    percent: int


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    lines: list[OrderLine]
    subtotal: int  # base and add-ons
    adjustments: int  # the sum of the plugins' lines
    total: int
    currency: str


class OrderPlace(msgspec.Struct, frozen=True, kw_only=True):
    """A booking. Either `address_id` (from the address book) or `address` (a new one); either
    `asap` or `slot_start` (an offered slot, re-checked at placement), or for a long stay
    `start_date`. `quantity` (units, hours, m²) must be within the item's limits; left out, it is
    the item's minimum."""

    item_id: Id
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    addon_ids: Ids = []
    address_id: Id | None = None
    address: NewAddress | None = None
    asap: bool = False
    slot_start: datetime | None = None
    start_date: date | None = None
    staff_id: Id | None = None
    requirements: Text = ""
    fields: dict[str, Any] = {}
    photos: Urls = []
    # Pay now (online, at the checkout) or after the service; left out: online when the franchise
    # takes payments online, else after the service.
    payment_method: Literal["online", "after_service"] | None = None
    # One of the customer's coupons (GET /api/v1/coupons); held by the order until it is paid.
    coupon_id: Id | None = None


class NewOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A booking as placement hands it to orders to write: checked, priced and on a free slot."""

    customer_id: int
    item_id: int
    category_code: str
    address: dict[str, Any]  # accounts.address_snapshot: the contact phone still encrypted
    requirements: str
    fields: dict[str, Any]
    photos: list[str]
    asap: bool
    scheduled_start: datetime
    scheduled_end: datetime
    requested_staff_id: int | None
    quantity: int
    price: Quote
    payment_method: str
    idempotency_key: str
    request_hash: str


class OrderCharge(msgspec.Struct, frozen=True, kw_only=True):
    """What payments needs to record money for an order."""

    customer_id: int
    total: int
    currency: str
    state: str


class QuoteRequest(msgspec.Struct, frozen=True, kw_only=True):
    item_id: Id
    # Units, hours or m² within the item's limits; left out, the item's minimum.
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    addon_ids: Ids = []
    slot_start: datetime | None = None
    # The address (its district may have a launch price) and a coupon of the customer's.
    address_id: Id | None = None
    coupon_id: Id | None = None


class CancelRequest(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class OrderSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A row of an order list."""

    id: int
    number: str
    item_id: int
    item_title: str
    category_code: str
    state: str
    scheduled_start: datetime
    asap: bool
    total: int
    currency: str
    district: str
    created_at: datetime


class OrderPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[OrderSummary]
    total: int
    page: int
    per_page: int


class OrderCounts(msgspec.Struct, frozen=True, kw_only=True):
    """What the console's dashboard counts: visits on one day (cancelled ones aside), orders
    paid and waiting for a worker, and orders in an exception state."""

    visits: int
    waiting: int
    exceptions: int


class OrderFilter(msgspec.Struct, frozen=True, kw_only=True):
    """The console's order list filters; empty means any."""

    state: str = ""
    date_from: str = ""  # YYYY-MM-DD in the tenant's time zone
    date_to: str = ""
    category: str = ""
    staff_id: int | None = None
    district: str = ""
    q: str = ""  # an order number or a customer's phone
    exceptions: bool = False
    page: Annotated[int, msgspec.Meta(ge=1)] = 1
    per_page: Annotated[int, msgspec.Meta(ge=1, le=100)] = 25


class OrderDetail(msgspec.Struct, frozen=True, kw_only=True):
    """An order with its timeline, and what cancelling it now would cost (None: it can't be)."""

    order: Order
    timeline: list[OrderEvent]
    cancellation: CancellationTerms | None = None


class Uploaded(msgspec.Struct, frozen=True, kw_only=True):
    url: str


MessageAuthor = Literal["customer", "staff", "console"]
MESSAGE_MAX = 1000


class OrderMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message of an order's thread."""

    id: int
    author_kind: MessageAuthor
    author_id: int
    body: str
    created_at: datetime


class OrderMessageCreate(msgspec.Struct, frozen=True, kw_only=True):
    body: text(MESSAGE_MAX, min_length=1)  # type: ignore[valid-type]


PhotoStage = Literal["before", "after"]


class VisitRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The worker's record of a visit: the item's steps they ticked (by index) and their photos."""

    checklist_done: list[int] = []
    before: list[str] = []
    after: list[str] = []
    # When the customer confirmed the service was done (None: not yet).
    confirmed_at: datetime | None = None


class WorkerMonthFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What a worker's orders say about a span (assessment's scorecard), from the orders and their
    timelines: jobs completed whose visit was scheduled in it, how many of those had an arrival on
    the timeline and how many of them within the grace, offers the worker declined, no-shows
    reported against them, and customers served who had been served by them before."""

    staff_id: int
    completed: int = 0
    arrivals_known: int = 0
    on_time: int = 0
    declined: int = 0
    no_shows: int = 0
    customers: int = 0
    repeat_customers: int = 0
