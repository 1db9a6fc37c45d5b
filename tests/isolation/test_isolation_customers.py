"""The console's customer management keeps franchises apart: franchise B's console neither lists,
opens, reveals, annotates nor freezes franchise A's customers (A's ids answer 404 at B), and
A's state history, notes and phone reveals are invisible under B's RLS."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    console_client,
    make_customer,
    post_form,
    random_phone,
)


async def test_franchise_b_can_not_see_or_change_franchise_as_customers(tenant_a, tenant_b, client_a, client_b):
    phone = random_phone()
    customer_id = await make_customer(tenant_a, phone, name="Wang Fang")
    a = await console_client(client_a, tenant_a, "owner")
    await post_form(a, f"/console/customers/{customer_id}/notes", {"body": "VIP of franchise A"})
    await post_form(a, f"/console/customers/{customer_id}/phone")
    await post_form(a, f"/console/customers/{customer_id}/freeze", {"reason": "A's reason", "expected": "active", "order_rule": "keep"})

    b = await console_client(client_b, tenant_b, "owner")
    listed = await b.get("/console/customers")
    assert listed.status_code == 200 and "Wang Fang" not in listed.text
    for q in ("Wang", phone.removeprefix("+86"), phone):
        assert "Wang Fang" not in (await b.get("/console/customers", params={"q": q})).text
    assert (await b.get(f"/console/customers/{customer_id}")).status_code == 404
    assert (await post_form(b, f"/console/customers/{customer_id}/phone")).status_code == 404
    assert (await post_form(b, f"/console/customers/{customer_id}/notes", {"body": "x"})).status_code == 404
    for action, expected in (("unfreeze", "frozen"), ("freeze", "active"), ("close", "frozen")):
        answer = await post_form(b, f"/console/customers/{customer_id}/{action}", {"reason": "x", "expected": expected, "order_rule": "keep"})
        assert answer.status_code == 404, action

    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        for table in ("core_customer_status_change", "core_customer_note", "core_customer_phone_reveal"):
            assert await conn.fetchval(f"select count(*) from {table}") == 0, table
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        assert await conn.fetchval("select status from core_customer where id = $1", customer_id) == "frozen"
        assert await conn.fetchval("select count(*) from core_customer_status_change where customer_id = $1", customer_id) == 1
        assert await conn.fetchval("select count(*) from core_customer_note where customer_id = $1", customer_id) == 1
