"""The daily expiry of points, and the reminder 30 days before: both daily jobs of each franchise
that has loyalty on (JobHandler.daily_at, in the franchise's time zone)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from platform_core.plugin_api import (
    JobContext,
    NotificationCreate,
    add_notifications,
    clock,
    current_connection,
    current_tenant,
    translate_to,
)

from . import points

EXPIRE_JOB = "loyalty.expire_points"
REMIND_JOB = "loyalty.remind_expiring"
REMIND_DAYS = 30
REMINDER_TITLE = "Your points expire soon"
REMINDER_BODY = "%(points)s points expire on %(date)s. Use them in the rewards shop before then."
# Customers told per statement: one inbox row each, written together.
REMIND_BATCH = 1000


async def expire_points(ctx: JobContext, payload: dict[str, Any]) -> None:
    await points.expire_due()


async def remind_expiring(ctx: JobContext, payload: dict[str, Any]) -> None:
    """One inbox message per customer whose points expire within 30 days and who has not been
    told of those lots yet; the lots are marked, so each lot is announced once."""
    tenant = current_tenant()
    conn = current_connection()
    horizon = clock.now() + timedelta(days=REMIND_DAYS)
    while True:
        rows = await conn.fetch(
            "with due as (select id, customer_id, remaining, expires_at from loyalty_lot "
            "  where not reminded and remaining > 0 and expires_at > $1 and expires_at <= $2 "
            "  and customer_id in (select distinct customer_id from loyalty_lot where not reminded and remaining > 0 "
            "    and expires_at > $1 and expires_at <= $2 limit $3) for update skip locked), "
            "marked as (update loyalty_lot l set reminded = true from due where l.id = due.id returning due.*) "
            "select customer_id, sum(remaining) as points, min(expires_at) as first from marked group by customer_id",
            clock.now(), horizon, REMIND_BATCH,
        )
        if not rows:
            return
        title = translate_to(tenant.locale, REMINDER_TITLE)
        body = translate_to(tenant.locale, REMINDER_BODY)
        await add_notifications([
            NotificationCreate(
                recipient_kind="customer", recipient_id=r["customer_id"], title=title, link="/account/member",
                body=body % {"points": int(r["points"]), "date": r["first"].astimezone(ZoneInfo(tenant.timezone)).date().isoformat()})
            for r in rows
        ])
