"""Real-name verification keeps franchises apart: franchise B's office sees none of A's
submissions, photos or log, by SQL under its RLS and through its console; a customer sees only
their own verification."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_console_user,
    make_customer,
    post_form,
    signed_in,
)
from tests.accounts.test_realname import FIELDS, PHOTOS, photo_url


async def test_franchise_b_sees_none_of_franchise_as_verifications(app, tenant_a, tenant_b, client_a):
    customer = await make_customer(tenant_a)
    headers = await bearer_for(tenant_a, "customer", customer)
    assert (await client_a.post("/api/v1/account/verification", headers=headers, data=FIELDS, files=PHOTOS)).status_code == 201
    async with tenant_scope(tenant_a.id):
        submission = await current_connection().fetchval("select id from core_realname_submission where customer_id = $1", customer)
    owner_a = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner_a.id) as client:
        front = photo_url((await client.get(f"/console/verifications/{submission}")).text, "front")
        assert (await client.get(front)).status_code == 200
    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        for table in ("core_realname_submission", "core_realname_photo", "core_realname_access"):
            assert await conn.fetchval(f"select count(*) from {table}") == 0, table
    owner_b = await make_console_user(tenant_b, "owner")
    async with await signed_in(app, tenant_b, "console", owner_b.id) as client:
        queue = await client.get("/console/verifications")
        page = await client.get(f"/console/verifications/{submission}")
        photo = await client.get(front)
        approve = await post_form(client, f"/console/verifications/{submission}/approve")
        reveal = await post_form(client, f"/console/verifications/{submission}/reveal")
    assert queue.status_code == 200 and "王小明" not in queue.text
    assert page.status_code == 404 and photo.status_code in (403, 404)
    assert approve.status_code == 404 and reveal.status_code == 404
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval(
            "select state from core_realname_submission where id = $1", submission) == "pending"


async def test_a_customer_sees_only_their_own_verification(app, tenant_a, client_a):
    first = await make_customer(tenant_a)
    second = await make_customer(tenant_a)
    await client_a.post("/api/v1/account/verification", headers=await bearer_for(tenant_a, "customer", first), data=FIELDS,
                        files=PHOTOS)
    other = await client_a.get("/api/v1/account/verification", headers=await bearer_for(tenant_a, "customer", second))
    assert other.json()["state"] == "none" and "王小明" not in other.text
