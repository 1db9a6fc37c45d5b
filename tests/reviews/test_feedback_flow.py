"""Feedback: a customer sends a problem or a suggestion (about one of their orders or not), the
console answers and closes it, the customer sees the answer and gets an inbox entry."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.notifications.services import list_notifications
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    CSRF,
    bearer_for,
    make_booking,
    make_console_user,
    make_customer,
    post_form,
    sign_in,
    signed_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for


async def test_customer_sends_feedback_and_sees_the_console_answer(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="in_service")
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as client:
        sent = await client.post("/account/feedback", data={
            "csrf_token": CSRF, "kind": "problem", "subject": "阿姨迟到了", "body": "约的九点，十点才到。", "order_number": booking.number,
        })
        assert sent.status_code == 303
        listing = await client.get("/account/feedback?done=sent")
        assert "阿姨迟到了" in listing.text and "Awaiting answer" in listing.text
    async with tenant_scope(tenant_a.id):
        feedback_id = await current_connection().fetchval("select id from core_feedback where customer_id = $1", booking.customer_id)

    support = await make_console_user(tenant_a, "support")
    async with client_for(app, booking.host) as console:
        await sign_in(with_csrf(console), support.email)
        inbox = await console.get("/console/feedback?status=open")
        assert inbox.status_code == 200 and "阿姨迟到了" in inbox.text and booking.number in inbox.text
        # The console navigation shows both support pages.
        assert 'href="/console/feedback"' in inbox.text and 'href="/console/reviews"' in inbox.text
        empty = await post_form(console, f"/console/feedback/{feedback_id}/answer", {"answer": " "})
        assert empty.status_code == 400 and "Write an answer." in empty.text
        answered = await post_form(console, f"/console/feedback/{feedback_id}/answer", {"answer": "非常抱歉，已给您补偿 20 元。"})
        assert answered.status_code == 303
        assert "阿姨迟到了" in (await console.get("/console/feedback?status=answered")).text
        assert (await post_form(console, f"/console/feedback/{feedback_id}/close")).status_code == 303
        assert (await post_form(console, f"/console/feedback/{feedback_id}/answer", {"answer": "again"})).status_code == 409

    headers = await bearer_for(tenant_a, "customer", booking.customer_id)
    async with client_for(app, booking.host) as api:
        mine = (await api.get(f"/api/v1/me/feedback/{feedback_id}", headers=headers)).json()
    assert (mine["status"], mine["answer"], mine["order_number"]) == ("closed", "非常抱歉，已给您补偿 20 元。", booking.number)
    async with tenant_scope(tenant_a.id):
        inbox_entries = await list_notifications("customer", booking.customer_id)
    assert [n.link for n in inbox_entries] == [f"/account/feedback/{feedback_id}"]


async def test_feedback_without_an_order_through_the_api(app, runtime, tenant_a):
    customer = await make_customer(tenant_a)
    headers = await bearer_for(tenant_a, "customer", customer)
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        created = await api.post("/api/v1/me/feedback", json={"kind": "suggestion", "subject": "周末服务", "body": "希望周日也能预约。"}, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["order_number"] is None and created.json()["status"] == "open"
        bad = await api.post("/api/v1/me/feedback", json={"kind": "complaint", "subject": "", "body": "x"}, headers=headers)
        assert bad.status_code == 400
        assert [f["subject"] for f in (await api.get("/api/v1/me/feedback", headers=headers)).json()] == ["周末服务"]


async def test_feedback_can_not_name_someone_elses_order_or_be_read_by_them(app, runtime, tenant_a):
    booking = await make_booking(tenant_a)
    stranger = await make_customer(tenant_a, name="张三")
    headers = await bearer_for(tenant_a, "customer", stranger)
    owner_headers = await bearer_for(tenant_a, "customer", booking.customer_id)
    async with client_for(app, booking.host) as api:
        refused = await api.post("/api/v1/me/feedback", json={"kind": "problem", "subject": "x", "body": "y", "order_number": booking.number}, headers=headers)
        assert refused.status_code == 400 and "order_number" in refused.json()["error"]["fields"]
        own = (await api.post("/api/v1/me/feedback", json={"kind": "problem", "subject": "x", "body": "y"}, headers=owner_headers)).json()
        assert (await api.get(f"/api/v1/me/feedback/{own['id']}", headers=headers)).status_code == 404
        assert (await api.get("/api/v1/me/feedback")).status_code == 401
    async with await signed_in(app, tenant_a, "customer", stranger) as client:
        assert (await client.get(f"/account/feedback/{own['id']}")).status_code == 404


async def test_console_feedback_needs_support_permission(app, runtime, tenant_a):
    finance = await make_console_user(tenant_a, "finance")
    async with client_for(app, f"{tenant_a.slug}.localhost") as console:
        assert (await console.get("/console/feedback")).status_code in (302, 303, 401)
        await sign_in(with_csrf(console), finance.email)
        assert (await console.get("/console/feedback")).status_code == 403
        assert (await post_form(console, "/console/feedback/1/close")).status_code == 403


async def test_tenant_b_cannot_see_tenant_a_feedback(app, runtime, tenant_a, tenant_b):
    customer = await make_customer(tenant_a)
    headers = await bearer_for(tenant_a, "customer", customer)
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        created = (await api.post("/api/v1/me/feedback", json={"kind": "problem", "subject": "A's", "body": "secret"}, headers=headers)).json()
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from core_feedback") == 0
    support_b = await make_console_user(tenant_b, "support")
    async with client_for(app, f"{tenant_b.slug}.localhost") as console:
        await sign_in(with_csrf(console), support_b.email)
        assert (await console.get(f"/console/feedback/{created['id']}")).status_code == 404
        assert "secret" not in (await console.get("/console/feedback")).text
