"""The marketing domain's boundary types: partner channels and their report, segments and their
members."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from platform_core.bounds import Id, text

ChannelKind = Literal["agency", "wechat_group", "flyer", "other"]
CHANNEL_KINDS: tuple[str, ...] = ("agency", "wechat_group", "flyer", "other")
# The periods of the channel report, in days back from today (the franchise's today).
REPORT_PERIODS: tuple[int, ...] = (7, 30, 90)


class ChannelCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: text(80, min_length=1)  # type: ignore[valid-type]
    kind: ChannelKind
    notes: text(1000) = ""  # type: ignore[valid-type]


class Channel(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    kind: ChannelKind
    notes: str
    code: str  # the tracked link is /c/{code} on the franchise's host
    created_at: datetime


class ChannelDay(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    visits: int
    sign_ups: int


class ChannelReport(msgspec.Struct, frozen=True, kw_only=True):
    """A channel's results over the last `days` days, in the franchise's time zone."""

    channel_id: int
    days: int
    since: date
    visits: int
    sign_ups: int
    first_orders: int
    paid_orders: int
    revenue: int  # minor units of the franchise's currency
    by_day: list[ChannelDay] = []


class ChannelSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A channel in the list, with its results of the last 30 days."""

    channel: Channel
    visits: int
    sign_ups: int


class SegmentFilter(msgspec.Struct, frozen=True, kw_only=True):
    """One filter of a segment: the filter's name and its parameters (checked against the
    filter's own Struct when saved, and again when applied)."""

    name: text(63, min_length=1)  # type: ignore[valid-type]
    params: dict[text(63), Any] = {}  # type: ignore[valid-type]


class SegmentCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: text(80, min_length=1)  # type: ignore[valid-type]
    filters: list[SegmentFilter] = []


class Segment(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    filters: list[SegmentFilter]
    created_at: datetime
    updated_at: datetime


class SegmentMember(msgspec.Struct, frozen=True, kw_only=True):
    """A member as the console shows them before anything is sent."""

    customer_id: int
    display_name: str
    phone: str  # masked
    registered_at: datetime
    last_order_at: datetime | None
    spend_12_months: int  # minor units


class SegmentPage(msgspec.Struct, frozen=True, kw_only=True):
    size: int
    page: int
    per_page: int
    members: list[SegmentMember]
    # Filters the segment names that no enabled plugin offers now (left out of the count).
    unavailable: list[str] = []


CampaignAudience = Literal["segment", "registration", "last_order"]
CAMPAIGN_AUDIENCES: tuple[str, ...] = ("segment", "registration", "last_order")
CampaignState = Literal["draft", "scheduled", "running", "finished", "cancelled"]
CAMPAIGN_CHANNELS: tuple[str, ...] = ("inbox", "sms", "banner")
TriggerDays = Annotated[int, msgspec.Meta(ge=1, le=3650)]
BannerDays = Annotated[int, msgspec.Meta(ge=1, le=90)]
CouponCap = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class CampaignCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A draft campaign: who (a segment, or a trigger), what (a coupon template or only the
    message), where (inbox, SMS, a banner on the site)."""

    name: text(80, min_length=1)  # type: ignore[valid-type]
    audience: CampaignAudience
    segment_id: Id | None = None  # audience "segment"
    trigger_days: TriggerDays | None = None  # audience "last_order": days after the last order
    template_id: Id | None = None  # the coupon it gives; None: only the message
    coupon_cap: CouponCap | None = None  # at most this many coupons; None: no cap of its own
    title: text(100, min_length=1)  # type: ignore[valid-type]
    body: text(1000) = ""  # type: ignore[valid-type]
    via_inbox: bool = True
    via_sms: bool = False
    via_banner: bool = False
    banner_days: BannerDays = 7  # the banner shows this many days after the start


class Campaign(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    audience: CampaignAudience
    segment_id: int | None
    trigger_days: int | None
    template_id: int | None
    coupon_cap: int | None
    title: str
    body: str
    via_inbox: bool
    via_sms: bool
    via_banner: bool
    banner_days: int
    state: CampaignState
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def channels(self) -> list[str]:
        return [c for c, on in (("inbox", self.via_inbox), ("sms", self.via_sms), ("banner", self.via_banner)) if on]


class CampaignSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A campaign in the list, with its headline results."""

    campaign: Campaign
    recipients: int
    coupons_issued: int


class CampaignDay(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    redemptions: int
    revenue: int  # minor units


class CampaignResults(msgspec.Struct, frozen=True, kw_only=True):
    """What a campaign did. Orders and revenue are attributed by its coupon: the orders that used
    a coupon the campaign issued (docs/promotions.md, Campaigns); cost is those coupons' discounts."""

    recipients: int
    sent_inbox: int
    sent_sms: int
    sent_banner: int
    read: int
    coupons_issued: int
    coupons_redeemed: int
    orders: int
    revenue: int
    cost: int
    by_day: list[CampaignDay] = []
