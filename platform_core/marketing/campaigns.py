"""Campaigns: an audience (a saved segment, or a trigger: registration, N days after the last
order), an offer (a coupon template, or only the message), channels (inbox, SMS, a banner on the
site), timing (now, at a local date and time, or triggered) and a cap on coupons.

draft ──schedule──▶ scheduled ──its time (job)──▶ running ──segment sent──▶ finished
  └──────────────┴────────────── cancel ─────────────┴──▶ cancelled

Sending happens in jobs (campaign_sending.py), a batch per transaction; this module holds the
records, their states and the results.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.jobs.services import enqueue
from platform_core.notifications.services import read_count
from platform_core.orders.audience import coupon_orders
from platform_core.promotions.services import coupon_uses, get_template
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from . import segments
from .schemas import (
    Campaign,
    CampaignCreate,
    CampaignDay,
    CampaignResults,
    CampaignSummary,
)

START_JOB = "marketing.campaign_start"
COLUMNS = (
    "id, name, audience, segment_id, trigger_days, template_id, coupon_cap, title, body, via_inbox, via_sms, via_banner, "
    "banner_days, state, send_at, started_at, finished_at, created_at, updated_at"
)
# The results chart covers at most this many local days from the start.
CHART_DAYS = 90
STATE_LABELS = {
    "draft": N_("Draft"), "scheduled": N_("Scheduled"), "running": N_("Running"), "finished": N_("Finished"),
    "cancelled": N_("Cancelled"),
}
STATE_TONES = {"draft": "neutral", "scheduled": "info", "running": "success", "finished": "neutral", "cancelled": "warning"}


def as_campaign(row) -> Campaign:
    return msgspec.convert(dict(row), Campaign)


async def check_campaign(data: CampaignCreate) -> CampaignCreate:
    """The campaign as stored (the audience's other fields cleared); every wrong field named."""
    errors: dict[str, str] = {}
    if data.audience == "segment":
        if data.segment_id is None:
            errors["segment_id"] = N_("Choose a segment.")
        else:
            try:
                await segments.get_segment(data.segment_id)
            except NotFound:
                errors["segment_id"] = N_("Choose a segment from the list.")
    if data.audience == "last_order" and data.trigger_days is None:
        errors["trigger_days"] = N_("Say after how many days.")
    if not (data.via_inbox or data.via_sms or data.via_banner):
        errors["channels"] = N_("Choose at least one channel.")
    if data.template_id is not None:
        try:
            template = await get_template(data.template_id)
        except NotFound:
            errors["template_id"] = N_("Choose a coupon template from the list.")
        else:
            if template.status != "active":
                errors["template_id"] = N_("This coupon template is archived.")
    elif data.coupon_cap is not None:
        errors["coupon_cap"] = N_("A cap needs a coupon to give.")
    if errors:
        raise ValidationFailed(errors)
    return msgspec.structs.replace(
        data,
        segment_id=data.segment_id if data.audience == "segment" else None,
        trigger_days=data.trigger_days if data.audience == "last_order" else None,
    )


def _args(data: CampaignCreate) -> list:
    return [data.name.strip(), data.audience, data.segment_id, data.trigger_days, data.template_id, data.coupon_cap,
            data.title.strip(), data.body.strip(), data.via_inbox, data.via_sms, data.via_banner, data.banner_days]


_TAKEN = N_("A campaign with this name exists.")


async def create_campaign(data: CampaignCreate) -> Campaign:
    data = await check_campaign(data)
    try:
        row = await current_connection().fetchrow(
            "insert into core_marketing_campaign (tenant_id, name, audience, segment_id, trigger_days, template_id, coupon_cap, "
            "title, body, via_inbox, via_sms, via_banner, banner_days) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
            f"returning {COLUMNS}", current_tenant().id, *_args(data))
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"name": _TAKEN}) from None
    return as_campaign(row)


async def update_campaign(campaign_id: int, data: CampaignCreate) -> Campaign:
    """Only a draft is edited: what was scheduled or sent stays as it was."""
    data = await check_campaign(data)
    try:
        row = await current_connection().fetchrow(
            "update core_marketing_campaign set name = $2, audience = $3, segment_id = $4, trigger_days = $5, template_id = $6, "
            "coupon_cap = $7, title = $8, body = $9, via_inbox = $10, via_sms = $11, via_banner = $12, banner_days = $13, "
            f"updated_at = now() where id = $1 and state = 'draft' returning {COLUMNS}", campaign_id, *_args(data))
    except asyncpg.UniqueViolationError:
        raise ValidationFailed({"name": _TAKEN}) from None
    if row is None:
        await get_campaign(campaign_id)
        raise Conflict(N_("Only a draft campaign can be edited."))
    return as_campaign(row)


async def get_campaign(campaign_id: int) -> Campaign:
    """A campaign of this franchise (RLS keeps the others' out: theirs are NotFound here)."""
    row = await current_connection().fetchrow(f"select {COLUMNS} from core_marketing_campaign where id = $1", campaign_id)
    if row is None:
        raise NotFound("campaign")
    return as_campaign(row)


async def list_campaigns() -> list[CampaignSummary]:
    rows = await current_connection().fetch(
        f"select {', '.join('c.' + c.strip() for c in COLUMNS.split(','))}, coalesce(r.n, 0) as recipients, "
        "coalesce(r.coupons, 0) as coupons from core_marketing_campaign c left join "
        "(select campaign_id, count(*) as n, count(coupon_id) as coupons from core_marketing_campaign_recipient group by campaign_id) r "
        "on r.campaign_id = c.id order by c.id desc limit 500")
    found = []
    for row in rows:
        data = dict(row)
        recipients, coupons = data.pop("recipients"), data.pop("coupons")
        found.append(CampaignSummary(campaign=as_campaign(data), recipients=recipients, coupons_issued=coupons))
    return found


async def schedule_campaign(campaign_id: int, at: datetime | None = None) -> Campaign:
    """Send a draft now (`at` None) or at a moment (the console takes the franchise's local
    time); a job starts it then. Of two clicks, the second gets a 409."""
    now = clock.now()
    if at is not None and at <= now:
        raise ValidationFailed({"send_at": N_("Choose a time in the future.")})
    campaign = await get_campaign(campaign_id)
    if campaign.audience == "segment" and campaign.segment_id is not None:
        # A segment whose filters no longer check would fail in the job: say so now.
        segment = await segments.get_segment(campaign.segment_id)
        segments.check_filters(segment.filters, segments.segment_filters())
    send_at = at or now
    row = await current_connection().fetchrow(
        f"update core_marketing_campaign set state = 'scheduled', send_at = $2, updated_at = now() "
        f"where id = $1 and state = 'draft' returning {COLUMNS}", campaign_id, send_at)
    if row is None:
        raise Conflict(N_("This campaign is no longer a draft."))
    await enqueue(START_JOB, {"campaign_id": campaign_id}, run_at=send_at, key=f"start:{campaign_id}")
    return as_campaign(row)


async def cancel_campaign(campaign_id: int) -> Campaign:
    """Stop a campaign: a scheduled one never starts, a running one sends no further batch and
    answers no further trigger. What was sent stays sent."""
    row = await current_connection().fetchrow(
        "update core_marketing_campaign set state = 'cancelled', finished_at = now(), updated_at = now() "
        f"where id = $1 and state in ('draft', 'scheduled', 'running') returning {COLUMNS}", campaign_id)
    if row is None:
        await get_campaign(campaign_id)
        raise Conflict(N_("This campaign has already ended."))
    return as_campaign(row)


def local_datetime(day: str, time: str, timezone: str) -> datetime:
    """A date and time typed in the console, on the franchise's clock; ValidationFailed on `send_at`."""
    try:
        naive = datetime.fromisoformat(f"{day.strip()}T{time.strip()}")
    except ValueError:
        raise ValidationFailed({"send_at": N_("Enter a date and a time.")}) from None
    if naive.tzinfo is not None or not 2000 <= naive.year <= 2100:
        raise ValidationFailed({"send_at": N_("Enter a date and a time.")})
    return naive.replace(tzinfo=ZoneInfo(timezone))


# --------------------------------------------------------------------------- results


async def campaign_results(campaign_id: int) -> CampaignResults:
    """Sent by channel, read (inbox), coupons issued and redeemed, and the orders that used the
    campaign's coupons: their number, what they paid (revenue) and what the coupons took off
    (cost), with redemptions and revenue by the franchise's local day."""
    campaign = await get_campaign(campaign_id)
    row = await current_connection().fetchrow(
        "select count(*) as n, count(*) filter (where via_inbox) as inbox, count(*) filter (where via_sms) as sms, "
        "count(*) filter (where via_banner) as banner, coalesce(array_remove(array_agg(coupon_id), null), '{}') as coupons, "
        "coalesce(array_remove(array_agg(notification_id), null), '{}') as notes from core_marketing_campaign_recipient where campaign_id = $1",
        campaign_id)
    uses = await coupon_uses(row["coupons"]) if row["coupons"] else []
    orders = {o.order_id: o for o in await coupon_orders(u.order_id for u in uses)} if uses else {}
    tz = ZoneInfo(current_tenant().timezone)
    days: dict = {}
    if campaign.started_at is not None:
        first = campaign.started_at.astimezone(tz).date()
        last = min(clock.today(tz), first + timedelta(days=CHART_DAYS - 1))
        days = {first + timedelta(days=i): [0, 0] for i in range((last - first).days + 1)}
    for use in uses:
        order = orders.get(use.order_id)
        bucket = days.get(use.used_at.astimezone(tz).date())
        if order is not None and bucket is not None:
            bucket[0] += 1
            bucket[1] += order.total
    return CampaignResults(
        recipients=row["n"], sent_inbox=row["inbox"], sent_sms=row["sms"], sent_banner=row["banner"],
        read=await read_count(row["notes"]) if row["notes"] else 0, coupons_issued=len(row["coupons"]),
        coupons_redeemed=len(uses), orders=len(orders), revenue=sum(o.total for o in orders.values()),
        cost=sum(o.discount for o in orders.values()),
        by_day=[CampaignDay(day=d, redemptions=n, revenue=r) for d, (n, r) in days.items()],
    )
