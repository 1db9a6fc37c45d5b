"""The in-app inbox pages: a customer and a worker read their own messages, and only theirs."""

from __future__ import annotations

from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification, unread_count
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import CSRF, make_customer, make_worker, signed_in

FORM = {"x-csrf-token": CSRF}


async def _notify(tenant, kind: str, recipient_id: int, title: str, link: str = "") -> int:
    async with tenant_scope(tenant.id):
        entry = await add_notification(NotificationCreate(recipient_kind=kind, recipient_id=recipient_id, title=title, body="", link=link))
    return entry.id


async def _unread(tenant, kind: str, recipient_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await unread_count(kind, recipient_id)


async def test_customer_reads_their_messages_and_opening_one_follows_its_link(app, runtime, tenant_a):
    me = await make_customer(tenant_a)
    other = await make_customer(tenant_a)
    mine = await _notify(tenant_a, "customer", me, "Order 20261125-0001 accepted", link="/orders/20261125-0001")
    await _notify(tenant_a, "customer", other, "Someone else's order")

    async with await signed_in(app, tenant_a, "customer", me) as client:
        page = await client.get("/account/inbox")
        assert page.status_code == 200
        assert "Order 20261125-0001 accepted" in page.text and "Someone else" not in page.text
        opened = await client.post(f"/account/inbox/{mine}/open", headers=FORM)
        assert opened.status_code == 303 and opened.headers["location"] == "/orders/20261125-0001"
    assert await _unread(tenant_a, "customer", me) == 0
    assert await _unread(tenant_a, "customer", other) == 1


async def test_opening_someone_elses_message_changes_nothing(app, runtime, tenant_a):
    me = await make_customer(tenant_a)
    other = await make_customer(tenant_a)
    theirs = await _notify(tenant_a, "customer", other, "Private", link="/orders/x")
    async with await signed_in(app, tenant_a, "customer", me) as client:
        opened = await client.post(f"/account/inbox/{theirs}/open", headers=FORM)
    assert opened.headers["location"] == "/account/inbox"
    assert await _unread(tenant_a, "customer", other) == 1


async def test_worker_marks_all_read_and_a_link_elsewhere_is_not_followed(app, runtime, tenant_a):
    worker = await make_worker(tenant_a)
    await _notify(tenant_a, "staff", worker, "New offer")
    odd = await _notify(tenant_a, "staff", worker, "Odd link", link="//evil.example/")
    async with await signed_in(app, tenant_a, "staff", worker) as client:
        assert "New offer" in (await client.get("/staff/inbox")).text
        opened = await client.post(f"/staff/inbox/{odd}/open", headers=FORM)
        assert opened.headers["location"] == "/staff/inbox"
        await client.post("/staff/inbox/read", headers=FORM)
    assert await _unread(tenant_a, "staff", worker) == 0


async def test_inbox_pages_need_the_right_sign_in(app, runtime, tenant_a, client_a):
    worker = await make_worker(tenant_a)
    assert (await client_a.get("/account/inbox")).status_code == 303
    assert (await client_a.get("/staff/inbox")).status_code == 303
    async with await signed_in(app, tenant_a, "staff", worker) as client:
        assert (await client.get("/account/inbox")).status_code == 303
