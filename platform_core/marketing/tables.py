"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Channel(Table, tablename="core_marketing_channel"):
    """A partner channel (a property agency, a WeChat group, a flyer) with its tracked link's code."""

    class Kind(str, Enum):
        agency = "agency"
        wechat_group = "wechat_group"
        flyer = "flyer"
        other = "other"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    name = Varchar(length=80, default=None)
    kind = Varchar(length=16, choices=Kind, default=None)
    notes = Varchar(length=1000, default="")
    code = Varchar(length=16, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ChannelVisit(Table, tablename="core_marketing_channel_visit"):
    """Visits of a channel's link on one local day (bots and repeats from a browser left out)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    channel_id = BigInt(default=None)
    day = Date(default=None)
    visits = Integer(default=0)


class Attribution(Table, tablename="core_marketing_attribution"):
    """The channel a customer registered through (first touch, once)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    channel_id = BigInt(default=None)
    registered_at = Timestamptz(default=None)


class Segment(Table, tablename="core_marketing_segment"):
    """A saved group of customers: filters (by name, with their parameters) combined with AND."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    name = Varchar(length=80, default=None)
    filters = JSONB(default="[]")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Campaign(Table, tablename="core_marketing_campaign"):
    """A campaign: an audience (a segment or a trigger), an offer, channels, timing and a state."""

    class Audience(str, Enum):
        segment = "segment"
        registration = "registration"
        last_order = "last_order"

    class State(str, Enum):
        draft = "draft"
        scheduled = "scheduled"
        running = "running"
        finished = "finished"
        cancelled = "cancelled"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    name = Varchar(length=80, default=None)
    audience = Varchar(length=16, choices=Audience, default=None)
    segment_id = BigInt(null=True, default=None)
    trigger_days = Integer(null=True, default=None)
    template_id = BigInt(null=True, default=None)
    coupon_cap = Integer(null=True, default=None)
    title = Varchar(length=100, default=None)
    body = Varchar(length=1000, default="")
    via_inbox = Boolean(default=True)
    via_sms = Boolean(default=False)
    via_banner = Boolean(default=False)
    banner_days = Integer(default=7)
    state = Varchar(length=16, choices=State, default=State.draft)
    send_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    send_cursor = BigInt(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CampaignRecipient(Table, tablename="core_marketing_campaign_recipient"):
    """A customer a campaign reached, once: on which channels, with which coupon and inbox entry."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    campaign_id = BigInt(default=None)
    customer_id = BigInt(default=None)
    via_inbox = Boolean(default=False)
    via_sms = Boolean(default=False)
    via_banner = Boolean(default=False)
    coupon_id = BigInt(null=True, default=None)
    notification_id = BigInt(null=True, default=None)
    sent_at = Timestamptz()


TABLES: list[type[Table]] = [Channel, ChannelVisit, Attribution, Segment, Campaign, CampaignRecipient]
