"""Expiry reminders: 30 and 7 days before, each once (a second run the same day, or the next day,
sends nothing more), in the franchise's time zone; the office sees the credentials reminded about
on its worker pages."""

from __future__ import annotations

from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.qualifications.reminders import office_reminders, send_due_reminders
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_worker, signed_in

from .helpers import give_credential


async def _inbox(tenant, staff_id: int) -> list[str]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select title from core_notification where recipient_kind = 'staff' and recipient_id = $1 and link = '/staff/credentials' "
            "and title like '%到期%' order by id", staff_id)
    return [r["title"] for r in rows]


async def test_reminders_go_30_and_7_days_before_expiry_once_each(app, tenant_a):
    today = clock.today(tenant_a.timezone)
    expires = today + timedelta(days=30)
    worker = await make_worker(tenant_a, "陈师傅")
    await give_credential(tenant_a, worker, "electrician", expires_on=expires)
    later = await make_worker(tenant_a, "周阿姨")
    await give_credential(tenant_a, later, "health_certificate", expires_on=today + timedelta(days=90))
    async with tenant_scope(tenant_a.id):
        assert await send_due_reminders(today - timedelta(days=1)) == 0  # 31 days before: not yet
        assert await send_due_reminders(today) == 1
        assert await send_due_reminders(today) == 0  # the same day again
        assert await send_due_reminders(today + timedelta(days=1)) == 0  # still the 30-day band, already told
        assert await send_due_reminders(expires - timedelta(days=7)) == 1
        assert await send_due_reminders(expires - timedelta(days=6)) == 0
        assert await send_due_reminders(expires + timedelta(days=1)) == 0  # expired: nothing to remind of
    titles = await _inbox(tenant_a, worker)
    # In the franchise's language (zh_CN): "您的电工证将于 … 到期（还剩 30 天）".
    assert len(titles) == 2 and "电工证" in titles[0] and f"{expires}" in titles[0] and "还剩 30 天" in titles[0]
    assert "还剩 7 天" in titles[1]
    assert await _inbox(tenant_a, later) == []


async def test_the_office_sees_the_credentials_it_was_reminded_of_on_the_worker_pages(app, tenant_a):
    today = clock.today(tenant_a.timezone)
    worker = await make_worker(tenant_a, "陈师傅")
    await give_credential(tenant_a, worker, "health_certificate", expires_on=today + timedelta(days=7))
    async with tenant_scope(tenant_a.id):
        await send_due_reminders()
        due = await office_reminders()
    assert [(d["staff_id"], d["kind"]) for d in due] == [(worker, "health_certificate")]
    office = await make_console_user(tenant_a, "manager")
    async with await signed_in(app, tenant_a, "console", office.id) as console:
        page = await console.get("/console/workers")
        assert "credentials expire within 30 days" in page.text and "陈师傅" in page.text
        listing = await console.get("/console/staff/credentials")
        assert "陈师傅" in listing.text and "7 days left" in listing.text
