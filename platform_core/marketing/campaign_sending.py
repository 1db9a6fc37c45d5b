"""Sending campaigns: jobs, a batch of customers per transaction, nobody twice.

- A segment is sent in batches of `BATCH` customers by ascending id, each batch its own job and
  transaction, the next one asked for by the one before (a segment of 100k is a hundred short
  transactions, never one long one).
- "N days after the last order" looks once a day (at `SWEEP_HOUR` on the franchise's clock) for
  the customers whose N days ran out since it last looked.
- "On registration" gets a job per new customer from the registration's own transaction.

Every delivery takes the campaign's row lock first, so two runs of one campaign (a retried job
beside its first try, two workers) deliver one after the other; the recipients table's unique
(campaign, customer) then lets each customer in once, and what was already delivered is left
alone. Under the same lock the cap counts the coupons given so far. Consent is asked per channel
for each batch (accounts' rule, in SQL); a customer who may get marketing on none of the
campaign's channels is not a recipient and gets no coupon. Order messages never come here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.accounts.services import (
    customer_phone_for_sending,
    marketing_audience_sql,
    may_get_marketing,
)
from platform_core.db import current_connection
from platform_core.jobs.schemas import JobContext, JobRequest
from platform_core.jobs.services import enqueue, enqueue_many
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notifications, send_message
from platform_core.orders.audience import last_ordered_between_sql
from platform_core.pluginsys.contexts import (
    CustomerEvent,
    JobHandler,
    OutboundMessage,
    SegmentSql,
)
from platform_core.promotions.schemas import Coupon
from platform_core.promotions.services import issue_to_many
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from . import campaigns, segments
from .schemas import Campaign

SEND_JOB = "marketing.campaign_send"
SWEEP_JOB = "marketing.campaign_sweep"
TRIGGER_JOB = "marketing.campaign_trigger"
SMS_JOB = "marketing.campaign_sms"
BATCH = 500
SWEEP_HOUR = time(10, 0)
COUPON_LINK = "/account/coupons"
BOOK_LINK = "/"
WITH_COUPON = N_("Your coupon \u201c%(coupon)s\u201d is in My coupons; it is picked for you when you book.")
SMS_TEXT = N_("[%(franchise)s] %(title)s %(body)s You can turn offers off in your profile.")


async def _locked(campaign_id: int) -> tuple[Campaign | None, int]:
    """The campaign with its row locked for this transaction, if it is running, and its cursor
    (a waiting run reads the row as the run before it left it)."""
    row = await current_connection().fetchrow(
        f"select {campaigns.COLUMNS}, send_cursor from core_marketing_campaign where id = $1 for update", campaign_id)
    if row is None or row["state"] != "running":
        return None, 0
    data = dict(row)
    cursor = data.pop("send_cursor")
    return campaigns.as_campaign(data), cursor


async def _allowed(customer_ids: list[int], channel: str) -> set[int]:
    sql, args = segments.compose([SegmentSql(sql="select unnest($1::bigint[])", args=(customer_ids,)), marketing_audience_sql(channel)])
    return {r[0] for r in await current_connection().fetch(sql, *args)}


async def deliver(campaign: Campaign, customer_ids: list[int]) -> list[int]:
    """Reach these customers (the caller holds the campaign's lock): the recipients' rows, the
    coupons within the cap, the inbox entries and the SMS jobs. Returns the customers reached now."""
    if not customer_ids:
        return []
    reach = {ch: await _allowed(customer_ids, ch) for ch in campaign.channels}
    wanted = sorted(set().union(*reach.values()))
    if not wanted:
        return []
    conn = current_connection()
    rows = await conn.fetch(
        "insert into core_marketing_campaign_recipient (tenant_id, campaign_id, customer_id, via_inbox, via_sms, via_banner) "
        "select $1, $2, c, c = any($4::bigint[]), c = any($5::bigint[]), c = any($6::bigint[]) from unnest($3::bigint[]) c "
        "on conflict (tenant_id, campaign_id, customer_id) do nothing returning customer_id",
        current_tenant().id, campaign.id, wanted, sorted(reach.get("inbox", ())), sorted(reach.get("sms", ())),
        sorted(reach.get("banner", ())))
    new = sorted(r["customer_id"] for r in rows)
    if not new:
        return []
    coupons: dict[int, Coupon] = {}
    if campaign.template_id is not None:
        given = await conn.fetchval(
            "select count(coupon_id) from core_marketing_campaign_recipient where campaign_id = $1", campaign.id)
        room = len(new) if campaign.coupon_cap is None else max(campaign.coupon_cap - given, 0)
        if room:
            issued = await issue_to_many(campaign.template_id, new[:room], source="campaign", ref=str(campaign.id))
            coupons = {cid: c for cid, c in issued.items() if isinstance(c, Coupon)}
    locale = current_tenant().locale
    notes = await add_notifications([
        NotificationCreate(recipient_kind="customer", recipient_id=cid, title=campaign.title,
                           body=_inbox_body(campaign, coupons.get(cid), locale), link=COUPON_LINK if cid in coupons else BOOK_LINK)
        for cid in new if cid in reach.get("inbox", ())
    ])
    by_customer = {n.recipient_id: n.id for n in notes}
    await enqueue_many(JobRequest(kind=SMS_JOB, payload={"campaign_id": campaign.id, "customer_id": cid}, key=f"sms:{campaign.id}:{cid}")
                       for cid in new if cid in reach.get("sms", ()))
    await conn.execute(
        "update core_marketing_campaign_recipient r set coupon_id = u.coupon_id, notification_id = u.notification_id "
        "from unnest($2::bigint[], $3::bigint[], $4::bigint[]) u(customer_id, coupon_id, notification_id) "
        "where r.campaign_id = $1 and r.customer_id = u.customer_id",
        campaign.id, new, [coupons[c].id if c in coupons else None for c in new], [by_customer.get(c) for c in new])
    return new


def _inbox_body(campaign: Campaign, coupon: Coupon | None, locale: str) -> str:
    """The franchise's own text, and the platform's line about the coupon in the franchise's language."""
    if coupon is None:
        return campaign.body
    line = translate_to(locale, WITH_COUPON) % {"coupon": coupon.template.name}
    return f"{campaign.body}\n\n{line}" if campaign.body else line


def next_sweep(after: datetime, timezone: str) -> datetime:
    """The next SWEEP_HOUR on the franchise's clock after `after`."""
    tz = ZoneInfo(timezone)
    local = after.astimezone(tz)
    at = datetime.combine(local.date(), SWEEP_HOUR, tz)
    return at if at > local else datetime.combine(local.date() + timedelta(days=1), SWEEP_HOUR, tz)


# --------------------------------------------------------------------------- jobs


async def start(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A scheduled campaign's time has come: it runs, and its first batch or sweep is asked for."""
    now = clock.now()
    started = await current_connection().fetchrow(
        "update core_marketing_campaign set state = 'running', started_at = $2, updated_at = now() "
        "where id = $1 and state = 'scheduled' returning audience", payload["campaign_id"], now)
    if started is None:
        return  # cancelled meanwhile, or already started by an earlier try
    campaign_id = payload["campaign_id"]
    if started["audience"] == "segment":
        await enqueue(SEND_JOB, {"campaign_id": campaign_id}, key=f"send:{campaign_id}:0")
    elif started["audience"] == "last_order":
        await enqueue(SWEEP_JOB, {"campaign_id": campaign_id, "since": int(now.timestamp())}, key=f"sweep:{campaign_id}:start")


async def send_batch(ctx: JobContext, payload: dict[str, Any]) -> None:
    """One batch of a segment's members after the cursor, then the next batch's job; none left:
    the campaign is finished."""
    campaign, after = await _locked(payload["campaign_id"])
    if campaign is None or campaign.segment_id is None:
        return
    conn = current_connection()
    batch = await segments.segment_batch(campaign.segment_id, after=after, limit=BATCH)
    if not batch:
        await conn.execute(
            "update core_marketing_campaign set state = 'finished', finished_at = now(), updated_at = now() where id = $1", campaign.id)
        return
    await deliver(campaign, batch)
    await conn.execute("update core_marketing_campaign set send_cursor = $2 where id = $1", campaign.id, batch[-1])
    await enqueue(SEND_JOB, {"campaign_id": campaign.id}, key=f"send:{campaign.id}:{batch[-1]}")


async def sweep(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The customers whose last order is now N days old, counted from the previous look (the
    first looks back to the campaign's start); then the next look is asked for."""
    campaign, _ = await _locked(payload["campaign_id"])
    if campaign is None or campaign.trigger_days is None:
        return
    now = clock.now()
    days = timedelta(days=campaign.trigger_days)
    since = datetime.fromtimestamp(payload["since"], tz=now.tzinfo)
    due = last_ordered_between_sql(since - days, now - days)
    customers = sorted(r[0] for r in await current_connection().fetch(due.sql, *due.args))
    # Who is due in a day is a day's worth of customers: sent in batches, in this one transaction.
    for i in range(0, len(customers), BATCH):
        await deliver(campaign, customers[i:i + BATCH])
    until = int(now.timestamp())
    await enqueue(SWEEP_JOB, {"campaign_id": campaign.id, "since": until},
                  run_at=next_sweep(now, current_tenant().timezone), key=f"sweep:{campaign.id}:{until}")


async def trigger(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A registration campaign reaches one new customer."""
    campaign, _ = await _locked(payload["campaign_id"])
    if campaign is not None and campaign.audience == "registration":
        await deliver(campaign, [payload["customer_id"]])


async def send_sms(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The campaign's SMS, if the customer still agrees (they may have withdrawn since the batch)."""
    customer_id = payload["customer_id"]
    if not await may_get_marketing(customer_id, "sms"):
        return
    campaign = await campaigns.get_campaign(payload["campaign_id"])
    phone = await customer_phone_for_sending(customer_id)
    if not phone:
        return
    body = translate_to(ctx.tenant.locale, SMS_TEXT) % {"franchise": ctx.tenant.name, "title": campaign.title, "body": campaign.body}
    await send_message(OutboundMessage(tenant=ctx.tenant, channel="sms", to=phone, body=" ".join(body.split()), purpose="marketing"))


async def on_registered(event: CustomerEvent) -> None:
    """The franchise's running registration campaigns each get a job for the new customer."""
    rows = await current_connection().fetch(
        "select id from core_marketing_campaign where state = 'running' and audience = 'registration'")
    await enqueue_many(
        JobRequest(kind=TRIGGER_JOB, payload={"campaign_id": r["id"], "customer_id": event.customer_id},
                   key=f"registered:{r['id']}:{event.customer_id}")
        for r in rows)


JOB_HANDLERS = [
    JobHandler(kind=campaigns.START_JOB, handler=start), JobHandler(kind=SEND_JOB, handler=send_batch),
    JobHandler(kind=SWEEP_JOB, handler=sweep), JobHandler(kind=TRIGGER_JOB, handler=trigger),
    JobHandler(kind=SMS_JOB, handler=send_sms),
]
