"""Account states from the console: freeze (with the rule for open orders), unfreeze, close,
the history and the customer told, two operators at once, the anonymisation after the
retention period, the sign-in records' prune, and the customer closing their own account."""

from __future__ import annotations

import asyncio

from platform_core.accounts import customer_admin
from platform_core.db import current_connection
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    api_sign_in,
    bearer,
    console_client,
    make_address,
    make_customer,
    make_order,
    order_state,
    post_form,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for

PHONE, E164 = "13912345678", "+8613912345678"


async def status_of(tenant, customer_id: int) -> str:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select status from core_customer where id = $1", customer_id)


async def freeze(client, customer_id: int, reason: str = "Abusive to workers", rule: str = "keep", expected: str = "active"):
    return await post_form(client, f"/console/customers/{customer_id}/freeze",
                           {"reason": reason, "expected": expected, "order_rule": rule})


async def test_frozen_customer_can_not_sign_in_nor_book_and_is_told(app, tenant_a, client_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    async with tenant_scope(tenant_a.id):
        customer_id = await current_connection().fetchval("select id from core_customer")
    async with client_for(app, f"{tenant_a.slug}.localhost") as office:
        owner = await console_client(office, tenant_a, "owner")
        done = await freeze(owner, customer_id)
        assert done.status_code == 303
        page = await owner.get(done.headers["location"])
        assert "The account is frozen. The customer has been told." in page.text
        assert "Abusive to workers" in page.text and "Owner Person" in page.text  # the history row
    assert await status_of(tenant_a, customer_id) == "frozen"
    # The app's token ended; a new sign-in is refused, with why.
    assert (await client_a.get("/api/v1/me", headers=bearer(token))).status_code == 401
    booked = await client_a.post("/api/v1/orders/", headers=bearer(token), json={})
    assert booked.status_code == 401
    # The one-a-minute wait for a new code is skipped (the hourly and daily counts stay).
    index = current_runtime().keyring.blind_index(E164, context="phone")
    await current_runtime().kv.delete(f"t:{tenant_a.id}:otp:phone:{index}:send-1m")
    await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
    refused = await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})
    assert refused.status_code == 403 and "冻结" in refused.json()["error"]["message"]  # the franchise's language
    # Told in the inbox and by SMS (the job runs after the commit).
    async with tenant_scope(tenant_a.id):
        inbox = await current_connection().fetchval(
            "select body from core_notification where recipient_kind = 'customer' and recipient_id = $1", customer_id)
    assert "Abusive to workers" in inbox


async def test_freeze_needs_a_reason_and_the_state_seen(tenant_a, client_a):
    customer_id = await make_customer(tenant_a)
    owner = await console_client(client_a, tenant_a, "owner")
    no_reason = await freeze(owner, customer_id, reason="  ")
    assert no_reason.status_code == 400 and "This field is required." in no_reason.text
    assert await status_of(tenant_a, customer_id) == "active"
    stale = await freeze(owner, customer_id, expected="frozen")
    assert stale.status_code == 409 and "Someone else changed this account" in stale.text


async def test_open_order_rules(tenant_a, client_a):
    async def customer_with_orders():
        customer_id = await make_customer(tenant_a)
        unpaid = await make_order(tenant_a, customer_id=customer_id, state="pending_payment")
        paid = await make_order(tenant_a, customer_id=customer_id, state="paid")
        started = await make_order(tenant_a, customer_id=customer_id, state="in_service")
        return customer_id, unpaid, paid, started

    owner = await console_client(client_a, tenant_a, "owner")
    kept, *orders = await customer_with_orders()
    assert (await freeze(owner, kept, rule="keep")).status_code == 303
    assert [await order_state(tenant_a, o) for o in orders] == ["pending_payment", "paid", "in_service"]

    unpaid_only, *orders = await customer_with_orders()
    assert (await freeze(owner, unpaid_only, rule="unpaid")).status_code == 303
    assert [await order_state(tenant_a, o) for o in orders] == ["cancelled", "paid", "in_service"]

    not_started, *orders = await customer_with_orders()
    assert (await freeze(owner, not_started, rule="not_started")).status_code == 303
    assert [await order_state(tenant_a, o) for o in orders] == ["cancelled", "cancelled", "in_service"]


async def test_support_may_freeze_but_not_cancel_orders(tenant_a, client_a):
    customer_id = await make_customer(tenant_a)
    await make_order(tenant_a, customer_id=customer_id, state="pending_payment")
    support = await console_client(client_a, tenant_a, "support")
    refused = await freeze(support, customer_id, rule="unpaid")
    assert refused.status_code == 403
    assert await status_of(tenant_a, customer_id) == "active"
    assert (await freeze(support, customer_id, rule="keep")).status_code == 303


async def test_unfreeze(tenant_a, client_a):
    customer_id = await make_customer(tenant_a)
    owner = await console_client(client_a, tenant_a, "owner")
    await freeze(owner, customer_id)
    back = await post_form(owner, f"/console/customers/{customer_id}/unfreeze", {"reason": "Apologised", "expected": "frozen"})
    assert back.status_code == 303
    assert await status_of(tenant_a, customer_id) == "active"
    page = await owner.get(f"/console/customers/{customer_id}")
    assert "Apologised" in page.text and "Abusive to workers" in page.text


async def test_two_operators_at_once_one_wins(app, tenant_a):
    customer_id = await make_customer(tenant_a)
    clients = [client_for(app, f"{tenant_a.slug}.localhost") for _ in range(2)]
    async with clients[0] as first, clients[1] as second:
        a = await console_client(first, tenant_a, "owner")
        b = await console_client(second, tenant_a, "manager")
        answers = await asyncio.gather(freeze(a, customer_id, reason="first"), freeze(b, customer_id, reason="second"))
    assert sorted(r.status_code for r in answers) == [303, 409]
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval(
            "select count(*) from core_customer_status_change where customer_id = $1", customer_id) == 1


async def test_close_then_anonymise_after_retention(tenant_a, client_a):
    customer_id = await make_customer(tenant_a, name="Wang Fang")
    await make_address(tenant_a, customer_id)
    order_id = await make_order(tenant_a, customer_id=customer_id, state="completed", total=31400)
    owner = await console_client(client_a, tenant_a, "owner")
    closed = await post_form(owner, f"/console/customers/{customer_id}/close",
                             {"reason": "Asked by phone", "expected": "active", "order_rule": "keep"})
    assert closed.status_code == 303
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        await conn.execute("insert into core_customer_sign_in (tenant_id, customer_id, method) values ($1, $2, 'phone_code')",
                           tenant_a.id, customer_id)
        submission = await conn.fetchval(
            "insert into core_realname_submission (tenant_id, customer_id, full_name, id_type, id_number_cipher, id_number_index, "
            "id_number_masked, state) values ($1, $2, '王芳', 'resident_id', 'cipher', 'index', '1101**********0011', 'approved') "
            "returning id", tenant_a.id, customer_id)
        await conn.execute("insert into core_realname_photo (tenant_id, submission_id, side, content_type, sealed) "
                           "values ($1, $2, 'front', 'image/png', '\\x00'::bytea)", tenant_a.id, submission)
        await conn.execute("insert into core_customer_totp (tenant_id, customer_id, secret_cipher) values ($1, $2, 'cipher')",
                           tenant_a.id, customer_id)
        assert await customer_admin.anonymise_closed() == []  # still within the retention period
        await conn.execute("update core_customer set closed_at = now() - interval '31 days' where id = $1", customer_id)
        assert await customer_admin.anonymise_closed() == [customer_id]
        row = await conn.fetchrow("select * from core_customer where id = $1", customer_id)
        assert row["display_name"] == "" and row["phone_cipher"] is None and row["phone_index"] is None
        assert row["email"] == "" and row["birthday"] is None and row["status"] == "closed"
        for table in ("core_customer_address", "core_customer_sign_in", "core_login_identity", "core_customer_totp"):
            assert await conn.fetchval(f"select count(*) from {table} where customer_id = $1", customer_id) == 0
        kept = await conn.fetchrow("select full_name, id_number_cipher, id_number_masked, state from core_realname_submission "
                                   "where id = $1", submission)
        assert (kept["full_name"], kept["id_number_cipher"], kept["id_number_masked"], kept["state"]) == ("", "", "", "approved")
        assert await conn.fetchval("select count(*) from core_realname_photo where submission_id = $1", submission) == 0
        assert await conn.fetchval("select total from core_order where id = $1", order_id) == 31400
        assert await conn.fetchval("select count(*) from core_customer_status_change where customer_id = $1", customer_id) == 1
    page = await owner.get(f"/console/customers/{customer_id}")
    assert page.status_code == 200 and "its personal data was deleted" in page.text


async def test_close_refused_while_orders_are_open_unless_cancelled(tenant_a, client_a):
    customer_id = await make_customer(tenant_a)
    await make_order(tenant_a, customer_id=customer_id, state="paid")
    owner = await console_client(client_a, tenant_a, "owner")
    kept = await post_form(owner, f"/console/customers/{customer_id}/close", {"reason": "x", "expected": "active", "order_rule": "keep"})
    assert kept.status_code == 400 and "Finish or cancel them first" in kept.text
    assert await status_of(tenant_a, customer_id) == "active"
    cancelled = await post_form(owner, f"/console/customers/{customer_id}/close",
                                {"reason": "x", "expected": "active", "order_rule": "not_started"})
    assert cancelled.status_code == 303 and await status_of(tenant_a, customer_id) == "closed"


async def test_sign_in_records_older_than_180_days_are_pruned(tenant_a):
    customer_id = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        for days in (1, 179, 181, 400):
            await conn.execute(
                "insert into core_customer_sign_in (tenant_id, customer_id, method, signed_in_at) "
                "values ($1, $2, 'phone_code', now() - make_interval(days => $3))", tenant_a.id, customer_id, days)
        assert await customer_admin.prune_sign_ins() == 2
        assert await conn.fetchval("select count(*) from core_customer_sign_in where customer_id = $1", customer_id) == 2


async def test_daily_jobs_are_registered(runtime):
    from platform_core.jobs.services import collect_handlers

    kinds = {kind: spec.daily_at for kind, spec in collect_handlers(runtime.pm).items()}
    assert kinds[customer_admin.PRUNE_JOB] is not None and kinds[customer_admin.ANONYMISE_JOB] is not None


async def test_customer_closes_their_own_account(app, tenant_a):
    customer_id = await make_customer(tenant_a)
    order_id = await make_order(tenant_a, customer_id=customer_id, state="paid")
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        page = await client.get("/account/close")
        assert page.status_code == 200 and "Finish or cancel your open orders first" in page.text
        refused = await post_form(client, "/account/close", {"confirmation": "close my account"})
        assert refused.status_code == 409
        async with tenant_scope(tenant_a.id):
            await current_connection().execute("update core_order set state = 'completed' where id = $1", order_id)
        wrong = await post_form(client, "/account/close", {"confirmation": "yes"})
        assert wrong.status_code == 400 and "Type the words shown to confirm." in wrong.text
        done = await post_form(client, "/account/close", {"confirmation": "Close my account ", "reason": "Moving away"})
        assert done.status_code == 200 and "Your account is closed" in done.text
        assert (await client.get("/account")).status_code in (302, 303, 401)
    assert await status_of(tenant_a, customer_id) == "closed"
    async with tenant_scope(tenant_a.id):
        row = await current_connection().fetchrow(
            "select console_user_id, reason from core_customer_status_change where customer_id = $1", customer_id)
    assert row["console_user_id"] is None and row["reason"] == "Moving away"


async def test_the_app_closes_the_account_through_the_api(app, tenant_a, client_a):
    from platform_core.testing.factories import bearer_for

    customer_id = await make_customer(tenant_a)
    headers = await bearer_for(tenant_a, "customer", customer_id)
    wrong = await client_a.post("/api/v1/me/close", json={"confirmation": "ok"}, headers=headers)
    assert wrong.status_code == 400 and "confirmation" in wrong.json()["error"]["fields"]
    too_long = await client_a.post("/api/v1/me/close", json={"confirmation": "注销我的账户", "reason": "x" * 501}, headers=headers)
    assert too_long.status_code == 400 and "reason" in too_long.json()["error"]["fields"]
    done = await client_a.post("/api/v1/me/close", json={"confirmation": "注销我的账户"}, headers=headers)
    assert done.status_code == 204
    assert (await client_a.get("/api/v1/me", headers=headers)).status_code == 401
    assert await status_of(tenant_a, customer_id) == "closed"


async def test_plugins_are_told_when_an_account_is_anonymised(runtime, tenant_a):
    from platform_core.pluginsys import hookimpl

    heard: list[int] = []

    class Listener:
        @hookimpl
        def on_customer_anonymised(self, event):
            heard.append(event.customer_id)

    customer_id = await make_customer(tenant_a)
    runtime.pm.register(Listener(), name="core.test_anonymised")
    try:
        async with tenant_scope(tenant_a.id):
            await current_connection().execute(
                "update core_customer set status = 'closed', closed_at = now() - interval '40 days' where id = $1", customer_id)
            assert await customer_admin.anonymise_closed() == [customer_id]
            assert await customer_admin.anonymise_closed() == []  # once
    finally:
        runtime.pm.unregister(name="core.test_anonymised")
    assert heard == [customer_id]
