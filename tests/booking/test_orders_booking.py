"""Booking through the API: price lines, placing with an idempotency key, field errors, many
customers racing for one worker's slot, photos, cancelling, notifications and reminders."""

from __future__ import annotations

import asyncio
import json
import re
import secrets

import pytest

from platform_core.db import current_connection
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import PriceAdjustment
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    local_time,
    make_customer,
    make_item,
    make_worker,
    new_address,
)
from platform_core.testing.pytest_plugin import client_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def shop(runtime, tenant_a):
    item_id = await make_item(tenant_a, price=15000)
    worker_id = await make_worker(tenant_a)
    return tenant_a, item_id, worker_id


@pytest.fixture
async def customer(runtime, shop):
    tenant = shop[0]
    customer_id = await make_customer(tenant)
    return customer_id, await bearer_for(tenant, "customer", customer_id)


def booking(item_id: int, tenant, **overrides) -> dict:
    return {"item_id": item_id, "address": new_address(), "slot_start": local_time(tenant).isoformat(), **overrides}


def key() -> dict[str, str]:
    return {"idempotency-key": secrets.token_hex(12)}


async def count_orders(tenant) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select count(*) from core_order")


async def test_customer_places_an_order_for_a_slot_and_it_goes_to_dispatch(app, runtime, shop, customer):
    tenant, item_id, _ = shop
    customer_id, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.post(
            "/api/v1/orders", json=booking(item_id, tenant, requirements="Two cats, please close the door"),
            headers={**auth, **key()},
        )
        assert response.status_code == 201, response.text
        order = response.json()
        assert re.fullmatch(r"\d{8}-\d{4}", order["number"])
        # Paying after the service is the only method for now: the order is ready for dispatch.
        assert order["state"] == "paid" and order["paid_at"] is None
        assert [(line["kind"], line["amount"]) for line in order["lines"]] == [("base", 15000)]
        assert order["total"] == 15000 and order["currency"] == tenant.currency
        assert order["address"]["contact_phone"] != "+8613800138000" and order["address"]["contact_phone"].endswith("8000")
        detail = (await client.get(f"/api/v1/orders/{order['number']}", headers=auth)).json()
        assert [e["event"] for e in detail["timeline"]] == ["place", "pay_after_service"]
        assert detail["cancellation"]["fee"] == 0
        listed = (await client.get("/api/v1/orders", headers=auth)).json()
        assert [o["number"] for o in listed] == [order["number"]]
    async with tenant_scope(tenant.id):
        conn = current_connection()
        stored = await conn.fetchval("select address::text from core_order where id = $1", order["id"])
        inbox = await conn.fetch("select title from core_notification where recipient_kind = 'customer' and recipient_id = $1", customer_id)
        jobs = await conn.fetch("select kind from core_job where payload->>'order_id' = $1", str(order["id"]))
    assert "13800138000" not in stored  # the phone in the snapshot is encrypted
    assert len(inbox) == 1
    assert {"orders.sms", "orders.reminder"} <= {j["kind"] for j in jobs}


async def test_the_same_idempotency_key_twice_makes_one_order(app, shop, customer):
    tenant, item_id, _ = shop
    _, auth = customer
    headers = {**auth, **key()}
    body = booking(item_id, tenant)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        first = await client.post("/api/v1/orders", json=body, headers=headers)
        second = await client.post("/api/v1/orders", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] == second.json()["id"]
        reused = await client.post("/api/v1/orders", json={**body, "requirements": "something else"}, headers=headers)
        assert reused.status_code == 409
    assert await count_orders(tenant) == 1


async def test_concurrent_requests_with_one_idempotency_key_make_one_order(app, shop, customer):
    tenant, item_id, _ = shop
    _, auth = customer
    headers = {**auth, **key()}
    body = booking(item_id, tenant, asap=False)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        responses = await asyncio.gather(*[client.post("/api/v1/orders", json=body, headers=headers) for _ in range(6)])
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_orders(tenant) == 1


async def test_many_customers_booking_one_workers_slot_exactly_one_wins(app, runtime, shop):
    tenant, item_id, worker_id = shop
    tokens = [await bearer_for(tenant, "customer", await make_customer(tenant)) for _ in range(8)]
    body = booking(item_id, tenant, staff_id=worker_id)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        responses = await asyncio.gather(*[client.post("/api/v1/orders", json=body, headers={**auth, **key()}) for auth in tokens])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [400] * 7, [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 400):
        assert set(refused.json()["error"]["fields"]) & {"staff_id", "slot_start"}
    assert await count_orders(tenant) == 1


async def test_bad_input_gives_field_errors_and_no_order(app, shop, customer):
    tenant, item_id, _ = shop
    _, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.post(
            "/api/v1/orders", json={"item_id": item_id, "address": new_address(city="", contact_phone="12")},
            headers={**auth, **key()},
        )
        assert response.status_code == 400
        fields = response.json()["error"]["fields"]
        assert {"address.city", "address.contact_phone"} <= set(fields)
        no_key = await client.post("/api/v1/orders", json=booking(item_id, tenant), headers=auth)
        assert no_key.status_code == 400 and "idempotency_key" in no_key.json()["error"]["fields"]
        late = await client.post(
            "/api/v1/orders", json=booking(item_id, tenant, slot_start=local_time(tenant, hour=23).isoformat()),
            headers={**auth, **key()},
        )
        assert late.status_code == 400 and "slot_start" in late.json()["error"]["fields"]
    assert await count_orders(tenant) == 0


async def test_item_booking_fields_are_validated(app, runtime, tenant_a, customer):
    await make_worker(tenant_a)
    item_id = await make_item(tenant_a, booking_fields=[
        {"name": "area", "label": "Area (m²)", "type": "number", "required": True},
        {"name": "pets", "label": "Pets", "type": "select", "choices": ["none", "cat", "dog"]},
    ])
    _, auth = customer
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        bad = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, fields={"pets": "parrot"}), headers={**auth, **key()})
        assert bad.status_code == 400
        assert set(bad.json()["error"]["fields"]) == {"fields.area", "fields.pets"}
        good = await client.post(
            "/api/v1/orders", json=booking(item_id, tenant_a, fields={"area": "80", "pets": "cat", "junk": "x"}),
            headers={**auth, **key()},
        )
        assert good.status_code == 201, good.text
        assert good.json()["fields"] == {"area": 80, "pets": "cat"}


class Discount:
    @hookimpl
    def compute_price_adjustments(self, quote):
        return [PriceAdjustment(label="Member price", amount=-quote.base_amount // 10, code="member")]


async def test_the_price_shows_plugin_adjustments_line_by_line(app, runtime, shop, customer):
    tenant, item_id, _ = shop
    _, auth = customer
    runtime.pm.register(Discount(), name="core.test_discount")
    try:
        async with client_for(app, f"{tenant.slug}.localhost") as client:
            quoted = (await client.post("/api/v1/quotes", json={"item_id": item_id})).json()
            placed = (await client.post("/api/v1/orders", json=booking(item_id, tenant), headers={**auth, **key()})).json()
    finally:
        runtime.pm.unregister(name="core.test_discount")
    assert [(line["kind"], line["amount"], line["source"]) for line in quoted["lines"]] == [
        ("base", 15000, "core"), ("adjustment", -1500, "core.test_discount"),
    ]
    assert (quoted["subtotal"], quoted["adjustments"], quoted["total"]) == (15000, -1500, 13500)
    assert placed["total"] == 13500 and len(placed["lines"]) == 2


async def test_customer_uploads_a_photo_and_books_with_it(app, shop, customer, tenant_b):
    tenant, item_id, _ = shop
    _, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        refused = await client.post("/api/v1/uploads", files={"file": ("x.png", b"<script>", "image/png")}, headers=auth)
        assert refused.status_code == 400 and "file" in refused.json()["error"]["fields"]
        anonymous = await client.post("/api/v1/uploads", files={"file": ("x.png", PNG, "image/png")})
        assert anonymous.status_code == 401
        uploaded = await client.post("/api/v1/uploads", files={"file": ("x.png", PNG, "image/png")}, headers=auth)
        assert uploaded.status_code == 201, uploaded.text
        url = uploaded.json()["url"]
        served = await client.get(url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/png" and served.content == PNG
        placed = await client.post("/api/v1/orders", json=booking(item_id, tenant, photos=[url]), headers={**auth, **key()})
        assert placed.status_code == 201 and placed.json()["photos"] == [url]
        forged = await client.post("/api/v1/orders", json=booking(item_id, tenant, photos=["/media/" + "0" * 32 + ".png"]), headers={**auth, **key()})
        assert forged.status_code == 400 and "photos" in forged.json()["error"]["fields"]
    async with client_for(app, f"{tenant_b.slug}.localhost") as other:
        assert (await other.get(url)).status_code == 404


async def test_customer_cancels_and_a_late_cancellation_shows_its_fee_first(app, runtime, shop, customer):
    tenant, item_id, _ = shop
    _, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        # The day after tomorrow: still being arranged at any hour of today (a slot inside the
        # franchise's dispatch deadline may already have gone to the customer's choice, which is free).
        slot = local_time(tenant).isoformat()
        order = (await client.post("/api/v1/orders", json=booking(item_id, tenant, slot_start=slot), headers={**auth, **key()})).json()
        async with tenant_scope(tenant.id):
            # The franchise charges 50% from 72 hours before the slot: this slot is late.
            await current_connection().execute(
                "insert into core_booking_settings (tenant_id, free_cancel_hours, late_cancel_fee_percent) values ($1, 72, 50)",
                tenant.id,
            )
        detail = (await client.get(f"/api/v1/orders/{order['number']}", headers=auth)).json()
        assert detail["cancellation"]["fee"] == 7500
        cancelled = await client.post(f"/api/v1/orders/{order['number']}/cancel", json={"reason": "travelling"}, headers=auth)
        assert cancelled.status_code == 200, cancelled.text
        after = cancelled.json()
        assert after["order"]["state"] == "cancelled" and after["order"]["cancellation_fee"] == 7500
        assert after["cancellation"] is None
        again = await client.post(f"/api/v1/orders/{order['number']}/cancel", json={}, headers=auth)
        assert again.status_code == 409


async def test_a_customer_can_not_see_or_cancel_another_customers_order(app, runtime, shop, customer):
    tenant, item_id, _ = shop
    _, auth = customer
    stranger = await bearer_for(tenant, "customer", await make_customer(tenant))
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        order = (await client.post("/api/v1/orders", json=booking(item_id, tenant), headers={**auth, **key()})).json()
        assert (await client.get(f"/api/v1/orders/{order['number']}", headers=stranger)).status_code == 404
        assert (await client.post(f"/api/v1/orders/{order['number']}/cancel", json={}, headers=stranger)).status_code == 404
        assert (await client.get("/api/v1/orders", headers=stranger)).json() == []
        assert (await client.get("/api/v1/orders")).status_code == 401


async def test_tenant_b_sees_none_of_tenant_as_orders(app, runtime, shop, customer, tenant_b):
    tenant, item_id, _ = shop
    _, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        order = (await client.post("/api/v1/orders", json=booking(item_id, tenant), headers={**auth, **key()})).json()
    async with client_for(app, f"{tenant_b.slug}.localhost") as other:
        # A's token is bound to A: on B's host it is no one.
        assert (await other.get(f"/api/v1/orders/{order['number']}", headers=auth)).status_code == 401
    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        for table in ("core_order", "core_order_line", "core_order_event", "core_order_counter", "core_booking_settings"):
            assert await conn.fetchval(f"select count(*) from {table}") == 0, table


async def test_a_reminder_for_a_cancelled_order_sends_nothing(app, runtime, shop, customer):
    from platform_core.jobs.schemas import JobContext
    from platform_core.orders.messages import send_reminder

    tenant, item_id, _ = shop
    customer_id, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        order = (await client.post("/api/v1/orders", json=booking(item_id, tenant), headers={**auth, **key()})).json()
        await client.post(f"/api/v1/orders/{order['number']}/cancel", json={}, headers=auth)
    async with tenant_scope(tenant.id) as scoped:
        conn = current_connection()
        before = await conn.fetchval("select count(*) from core_notification where recipient_id = $1", customer_id)
        await send_reminder(JobContext(tenant=scoped, job_id=0, attempt=1), {"order_id": order["id"]})
        after = await conn.fetchval("select count(*) from core_notification where recipient_id = $1", customer_id)
    assert after == before


async def test_order_texts_go_out_through_the_sms_channel_from_a_job(app, runtime, shop, customer, sms):
    from platform_core.jobs.schemas import JobContext
    from platform_core.orders.messages import send_sms

    tenant, item_id, _ = shop
    _, auth = customer
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        order = (await client.post("/api/v1/orders", json=booking(item_id, tenant), headers={**auth, **key()})).json()
    async with tenant_scope(tenant.id) as scoped:
        payload = await current_connection().fetchval(
            "select payload::text from core_job where kind = 'orders.sms' and payload->>'order_id' = $1", str(order["id"])
        )
        # Run as the job worker would (it may also have run it already: a text can repeat).
        await send_sms(JobContext(tenant=scoped, job_id=0, attempt=1), json.loads(payload))
    # The customer is texted at the order's contact phone, with the number and the time only. Other
    # tests' orders use the same phone, and their jobs may run late, while this test's gateway listens.
    sent = [m for m in sms.sent_to("+8613800138000") if m.tenant.id == tenant.id]
    assert sent and all(m.purpose == "order_placed" and order["number"] in m.body for m in sent)
