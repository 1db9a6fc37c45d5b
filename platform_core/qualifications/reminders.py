"""Expiry reminders: a daily job tells each worker, and the office, 30 and 7 days before one of
their credentials expires, in the franchise's time zone. Each reminder is sent once: its row
(credential, 30 or 7) is written with the message, and a second run that day, or a late one,
finds it. A run that missed the exact day still sends the reminder of the band it is in."""

from __future__ import annotations

from datetime import date, timedelta

from platform_core import clock
from platform_core.accounts.services import staff_names
from platform_core.db import current_connection
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from .kinds import all_kinds

BANDS = (7, 30)
WORKER_TEXT = N_("Your %(kind)s expires on %(day)s (%(days)s days). Upload the renewed one in the staff app.")


def _band(days_left: int) -> int | None:
    for band in BANDS:
        if 0 <= days_left <= band:
            return band
    return None


async def send_due_reminders(today: date | None = None) -> int:
    """The reminders due today in this franchise; returns how many were sent."""
    tenant = current_tenant()
    today = today or clock.today(tenant.timezone)
    conn = current_connection()
    rows = await conn.fetch(
        "select id, staff_id, kind, expires_on from core_credential where staff_id is not null and state = 'approved' "
        "and expires_on between $1 and $2 order by expires_on, id", today, today + timedelta(days=max(BANDS)))
    kinds = await all_kinds()
    sent = 0
    for row in rows:
        days_left = (row["expires_on"] - today).days
        band = _band(days_left)
        # The row is the once-only guard: a second run finds it and sends nothing.
        fresh = await conn.fetchval(
            "insert into core_credential_reminder (tenant_id, credential_id, days_before) values ($1, $2, $3) "
            "on conflict (tenant_id, credential_id, days_before) do nothing returning id", tenant.id, row["id"], band)
        if fresh is None:
            continue
        kind = kinds.get(row["kind"])
        label = translate_to(tenant.locale, kind.name) if kind and kind.built_in else (kind.name if kind else row["kind"])
        text = translate_to(tenant.locale, WORKER_TEXT) % {"kind": label, "day": row["expires_on"].isoformat(), "days": days_left}
        await add_notification(NotificationCreate(recipient_kind="staff", recipient_id=row["staff_id"], title=text[:200],
                                                  link="/staff/credentials"))
        sent += 1
    return sent


async def office_reminders() -> list[dict]:
    """What the office was reminded of and still has to see to: credentials reminded about that
    are still the worker's current ones (not renewed, revoked or past)."""
    rows = await current_connection().fetch(
        "select c.id, c.staff_id, c.kind, c.expires_on, max(r.sent_at) as sent_at "
        "from core_credential_reminder r join core_credential c on c.id = r.credential_id "
        "where c.state = 'approved' and c.expires_on >= $1 group by c.id, c.staff_id, c.kind, c.expires_on order by c.expires_on",
        clock.today(current_tenant().timezone))
    names = await staff_names(r["staff_id"] for r in rows)
    return [{**dict(r), "staff_name": names.get(r["staff_id"], "")} for r in rows]
