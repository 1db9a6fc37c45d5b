"""Withdrawals from the request to the office's decision: the payout account and its rules,
the franchise's limits and fee, the hold in the ledger (also under a race), two-step
verification, the maker-checker rule and isolation between franchises and customers."""

from __future__ import annotations

import asyncio

import pytest

from platform_core.accounts.ratelimit import Limit
from platform_core.db import current_connection
from platform_core.errors import Forbidden, RateLimited, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.payouts import sending, services
from platform_core.payouts.schemas import PayoutAccountBind, PayoutSettingsUpdate
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_console_user,
    make_customer,
    make_worker,
    signed_in,
    totp_code,
)
from platform_core.testing.pytest_plugin import client_for

from .conftest import (
    MERCHANT,
    earnings_balance,
    give_earnings,
    pays_out_through,
    verified_customer,
)

WECHAT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 "
          "MicroMessenger/8.0.47")

ALIPAY = {"kind": "alipay_login", "account": "13800138000", "real_name": "王小明"}


async def api(app, tenant, customer_id: int):
    client = client_for(app, f"{tenant.slug}.localhost", **await bearer_for(tenant, "customer", customer_id))
    client.cookies.set("hearth_locale", "en")
    return client


async def bound_customer(app, tenant, earnings: int = 0) -> int:
    customer_id = await verified_customer(tenant)
    async with await api(app, tenant, customer_id) as client:
        assert (await client.put("/api/v1/me/payout-account", json=ALIPAY)).status_code == 200
    if earnings:
        await give_earnings(tenant, "customer", customer_id, earnings)
    return customer_id


async def test_a_payout_account_needs_a_verified_name_and_that_very_name(app, tenant_a):
    stranger = await make_customer(tenant_a)
    async with await api(app, tenant_a, stranger) as client:
        refused = await client.put("/api/v1/me/payout-account", json=ALIPAY)
    assert refused.status_code == 400 and "Verify your real name" in refused.json()["error"]["fields"]["kind"]

    customer_id = await verified_customer(tenant_a)
    async with await api(app, tenant_a, customer_id) as client:
        wrong_name = await client.put("/api/v1/me/payout-account", json={**ALIPAY, "real_name": "李四"})
        assert wrong_name.status_code == 400 and "real_name" in wrong_name.json()["error"]["fields"]
        bad_account = await client.put("/api/v1/me/payout-account", json={**ALIPAY, "account": "not an account"})
        assert bad_account.status_code == 400 and "account" in bad_account.json()["error"]["fields"]
        no_wechat = await client.put("/api/v1/me/payout-account", json={"kind": "wechat_openid"})
        assert no_wechat.status_code == 400 and "WeChat" in no_wechat.json()["error"]["fields"]["kind"]
        bound = await client.put("/api/v1/me/payout-account", json=ALIPAY)
        assert bound.status_code == 200
        assert bound.json()["account_masked"] == "138****8000" and bound.json()["changed_by_kind"] == "customer"
        assert (await client.get("/api/v1/me/payout-account")).json()["account_masked"] == "138****8000"
    async with tenant_scope(tenant_a.id):
        stored = await current_connection().fetchval("select account_cipher from core_payout_account where holder_id = $1", customer_id)
    assert "13800138000" not in stored  # encrypted at rest


async def test_the_franchise_rules_minimum_maximum_daily_limits_and_fee(app, tenant_a):
    async with tenant_scope(tenant_a.id):
        await services.save_settings(PayoutSettingsUpdate(min_amount=1000, max_amount=50000, daily_count=2, daily_amount=60000,
                                                          fee_bp=100, fee_min=200))
    customer_id = await bound_customer(app, tenant_a, earnings=200000)
    async with await api(app, tenant_a, customer_id) as client:
        quote = (await client.get("/api/v1/me/withdrawals/quote", params={"amount": 30000})).json()
        assert quote == {"amount": 30000, "fee": 300, "receives": 29700, "currency": "CNY"}
        assert (await client.get("/api/v1/me/withdrawals/quote", params={"amount": 5000})).json()["fee"] == 200  # the minimum fee
        for amount, message in ((999, "minimum withdrawal is"), (50001, "most you can withdraw")):
            refused = await client.post("/api/v1/me/withdrawals", json={"amount": amount})
            assert refused.status_code == 400 and message in refused.json()["error"]["fields"]["amount"]
        first = await client.post("/api/v1/me/withdrawals", json={"amount": 30000})
        assert first.status_code == 201
        assert first.json()["state"] == "requested" and first.json()["fee"] == 300 and first.json()["receives"] == 29700
        over_amount = await client.post("/api/v1/me/withdrawals", json={"amount": 40000})
        assert over_amount.status_code == 400 and "daily limit" in over_amount.json()["error"]["fields"]["amount"]
        assert (await client.post("/api/v1/me/withdrawals", json={"amount": 10000})).status_code == 201
        third = await client.post("/api/v1/me/withdrawals", json={"amount": 1000})
        assert third.status_code == 400 and "2 times a day" in third.json()["error"]["fields"]["amount"]
        mine = (await client.get("/api/v1/me/withdrawals")).json()
        earnings = (await client.get("/api/v1/me/earnings")).json()
    assert [w["amount"] for w in mine] == [10000, 30000]
    assert earnings["balance"] == 160000 and earnings["held"] == 40000
    # The limits and the fee are the person's to know; the office's review threshold is not.
    assert earnings["settings"]["daily_count"] == 2 and "review_threshold" not in earnings["settings"]
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("payouts:pending", tenant_a.currency) == 40000


async def test_a_withdrawal_beyond_the_balance_or_without_an_account_is_refused(app, tenant_a):
    customer_id = await verified_customer(tenant_a)
    await give_earnings(tenant_a, "customer", customer_id, 5000)
    async with await api(app, tenant_a, customer_id) as client:
        no_account = await client.post("/api/v1/me/withdrawals", json={"amount": 1000})
        assert no_account.status_code == 400 and "Bind a payout account" in no_account.json()["error"]["fields"]["account"]
        assert (await client.put("/api/v1/me/payout-account", json=ALIPAY)).status_code == 200
        short = await client.post("/api/v1/me/withdrawals", json={"amount": 5001})
        assert short.status_code == 400 and "not enough" in short.json()["error"]["fields"]["amount"]
        assert (await client.get("/api/v1/me/withdrawals")).json() == []  # the refused request left nothing
    assert await earnings_balance(tenant_a, "customer", customer_id) == 5000


async def test_two_withdrawals_racing_for_one_balance_one_wins(app, tenant_a):
    customer_id = await bound_customer(app, tenant_a, earnings=10000)

    async def withdraw():
        async with await api(app, tenant_a, customer_id) as client:
            return await client.post("/api/v1/me/withdrawals", json={"amount": 8000})

    results = await asyncio.gather(withdraw(), withdraw())
    assert sorted(r.status_code for r in results) == [201, 400]
    loser = next(r for r in results if r.status_code == 400)
    assert "not enough" in loser.json()["error"]["fields"]["amount"]
    assert await earnings_balance(tenant_a, "customer", customer_id) == 2000
    async with tenant_scope(tenant_a.id):
        assert len(await services.holder_payouts("customer", customer_id)) == 1


async def test_two_step_verification_is_asked_before_binding_and_withdrawing(app, tenant_a):
    customer_id = await verified_customer(tenant_a)
    await give_earnings(tenant_a, "customer", customer_id, 5000)
    from platform_core.accounts import second_factor
    async with tenant_scope(tenant_a.id):
        await second_factor.start(customer_id)
        cipher = await current_connection().fetchval("select secret_cipher from core_customer_totp where customer_id = $1", customer_id)
    secret = current_runtime().keyring.decrypt(cipher, context="customer-totp")
    async with tenant_scope(tenant_a.id):
        await second_factor.confirm(customer_id, totp_code(secret), client="test")
    async with await api(app, tenant_a, customer_id) as client:
        asked = await client.put("/api/v1/me/payout-account", json=ALIPAY)
        assert asked.status_code == 403 and asked.json()["error"]["code"] == "second_factor_required"
        bound = await client.put("/api/v1/me/payout-account", json={**ALIPAY, "code": totp_code(secret, steps=1)})
        assert bound.status_code == 200
        # The session confirmed a code a moment ago: the withdrawal passes without another.
        assert (await client.post("/api/v1/me/withdrawals", json={"amount": 1000})).status_code == 201
    async with await api(app, tenant_a, customer_id) as fresh:  # another session asks again
        again = await fresh.post("/api/v1/me/withdrawals", json={"amount": 1000})
    assert again.status_code == 403 and again.json()["error"]["code"] == "second_factor_required"


async def test_rejecting_returns_the_money_and_tells_the_person_why(app, tenant_a):
    customer_id = await bound_customer(app, tenant_a, earnings=10000)
    async with await api(app, tenant_a, customer_id) as client:
        payout_no = (await client.post("/api/v1/me/withdrawals", json={"amount": 6000})).json()["payout_no"]
    finance = await make_console_user(tenant_a, "finance")
    async with tenant_scope(tenant_a.id):
        payout_id = await current_connection().fetchval("select id from core_payout where payout_no = $1", payout_no)
        with pytest.raises(ValidationFailed):
            await services.reject(payout_id, finance.id, "   ")
        await services.reject(payout_id, finance.id, "Account name unclear")
        assert await ledger.balance("payouts:pending", tenant_a.currency) == 0
    assert await earnings_balance(tenant_a, "customer", customer_id) == 10000
    async with await api(app, tenant_a, customer_id) as client:
        mine = (await client.get("/api/v1/me/withdrawals")).json()
        inbox = (await client.get("/api/v1/notifications/")).json()
    assert mine[0]["state"] == "rejected" and mine[0]["reason"] == "Account name unclear"
    assert any("Account name unclear" in n["body"] for n in inbox["items"])


async def test_the_office_user_who_set_the_account_or_asked_can_not_approve(app, tenant_a, standin):
    worker = await make_worker(tenant_a)
    clerk, checker = await make_console_user(tenant_a, "owner"), await make_console_user(tenant_a, "finance")
    async with tenant_scope(tenant_a.id):
        await services.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account="worker@example.com", real_name="张师傅"),
                                          actor_kind="console", actor_id=clerk.id)
    await give_earnings(tenant_a, "staff", worker, 20000)
    async with tenant_scope(tenant_a.id):
        payout = await services.request_withdrawal("staff", worker, 5000, actor_kind="staff", actor_id=worker)
        with pytest.raises(Forbidden):
            await services.approve(payout.id, clerk.id)
    async with await signed_in(app, tenant_a, "console", clerk.id) as console:
        page = await console.post(f"/console/finance/withdrawals/{payout.id}/approve", data={"csrf_token": "x" * 0 or console.cookies.get("hearth_csrf")})
        assert page.status_code == 403 and "another finance user must approve" in page.text
    headers = await bearer_for(tenant_a, "console", clerk.id)
    async with client_for(app, f"{tenant_a.slug}.localhost", **headers) as console_api:
        console_api.cookies.set("hearth_locale", "en")
        refused = await console_api.post(f"/api/v1/console/payouts/{payout.id}/approve")
        assert refused.status_code == 403 and "another finance user" in refused.json()["error"]["message"]
    headers = await bearer_for(tenant_a, "console", checker.id)
    async with client_for(app, f"{tenant_a.slug}.localhost", **headers) as console_api:
        approved = await console_api.post(f"/api/v1/console/payouts/{payout.id}/approve")
        assert approved.status_code == 200 and approved.json()["state"] == "approved"
        again = await console_api.post(f"/api/v1/console/payouts/{payout.id}/approve")
        assert again.status_code == 409
    # A statement's payout: whoever asked for it can not approve it either.
    async with tenant_scope(tenant_a.id):
        statement = await services.create_payout("staff", worker, 3000, source="statement", source_ref="S-1", approved_by=checker.id)
        assert statement.state == "approved" and statement.fee == 0
        check = await services.get_payout(statement.id)
        with pytest.raises(Forbidden):
            services.check_maker_checker(check, checker.id)


async def test_the_office_user_who_set_a_workers_account_can_not_pay_them_a_statement_to_it(app, tenant_a):
    # A statement's payout is created approved: its approver setting the destination first would
    # pay any account they like with no second person.
    worker = await make_worker(tenant_a)
    clerk, checker = await make_console_user(tenant_a, "finance"), await make_console_user(tenant_a, "finance")
    async with tenant_scope(tenant_a.id):
        await services.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account="clerk@example.com", real_name="张师傅"),
                                          actor_kind="console", actor_id=clerk.id)
    await give_earnings(tenant_a, "staff", worker, 20000)
    async with tenant_scope(tenant_a.id):
        with pytest.raises(Forbidden):
            await services.create_payout("staff", worker, 3000, source="statement", source_ref="S-9", approved_by=clerk.id)
        assert await services.holder_payouts("staff", worker) == []
        assert await ledger.balance("payouts:pending", tenant_a.currency) == 0
        paid = await services.create_payout("staff", worker, 3000, source="statement", source_ref="S-9", approved_by=checker.id)
        assert paid.state == "approved"


async def test_the_first_withdrawal_after_an_account_change_and_large_ones_are_flagged(app, tenant_a):
    async with tenant_scope(tenant_a.id):
        await services.save_settings(PayoutSettingsUpdate(review_threshold=50000, max_amount=100000, daily_amount=200000))
    customer_id = await bound_customer(app, tenant_a, earnings=100000)
    async with tenant_scope(tenant_a.id):
        first = await services.request_withdrawal("customer", customer_id, 1000, actor_kind="customer", actor_id=customer_id)
        second = await services.request_withdrawal("customer", customer_id, 1000, actor_kind="customer", actor_id=customer_id)
        large = await services.request_withdrawal("customer", customer_id, 60000, actor_kind="customer", actor_id=customer_id)
    assert (first.flag, second.flag, large.flag) == ("new_account", "", "large")
    async with await signed_in(app, tenant_a, "console", (await make_console_user(tenant_a, "finance")).id) as console:
        queue = await console.get("/console/finance/withdrawals")
    assert queue.status_code == 200 and first.payout_no in queue.text and 'data-flag="new_account"' in queue.text
    assert 'data-flag="large"' in queue.text


async def test_other_franchises_and_customers_can_not_see_or_act_on_a_payout(app, tenant_a, tenant_b):
    customer_id = await bound_customer(app, tenant_a, earnings=10000)
    async with tenant_scope(tenant_a.id):
        payout = await services.request_withdrawal("customer", customer_id, 5000, actor_kind="customer", actor_id=customer_id)
    other_customer = await make_customer(tenant_a)
    async with await api(app, tenant_a, other_customer) as client:
        assert (await client.get("/api/v1/me/withdrawals")).json() == []
        assert (await client.get("/api/v1/me/earnings")).json()["balance"] == 0
    owner_b = await make_console_user(tenant_b, "owner")
    async with await signed_in(app, tenant_b, "console", owner_b.id) as console_b:
        assert (await console_b.get(f"/console/finance/withdrawals/{payout.id}")).status_code == 404
        assert (await console_b.post(f"/console/finance/withdrawals/{payout.id}/approve",
                                     data={"csrf_token": console_b.cookies.get("hearth_csrf")})).status_code == 404
        assert payout.payout_no not in (await console_b.get("/console/finance/payouts")).text
    async with tenant_scope(tenant_b.id):
        assert await services.holder_payouts("customer", customer_id) == []
    async with tenant_scope(tenant_a.id):
        assert (await services.get_payout(payout.id)).state == "requested"


async def test_an_office_user_deciding_faster_than_a_person_could_is_stopped(app, tenant_a, monkeypatch):
    monkeypatch.setattr(services, "DECISION_LIMITS", (Limit("test-decide", 2, 3600),))
    customer_id = await bound_customer(app, tenant_a, earnings=10000)
    async with await api(app, tenant_a, customer_id) as client:
        numbers = [(await client.post("/api/v1/me/withdrawals", json={"amount": 1000})).json()["payout_no"] for _ in range(3)]
    finance = await make_console_user(tenant_a, "finance")
    async with tenant_scope(tenant_a.id):
        ids = [await current_connection().fetchval("select id from core_payout where payout_no = $1", n) for n in numbers]
        await services.reject(ids[0], finance.id, "Duplicate request")
        await services.reject(ids[1], finance.id, "Duplicate request")
        with pytest.raises(RateLimited):
            await services.approve(ids[2], finance.id)
        assert (await services.get_payout(ids[2])).state == "requested"


async def test_a_transfer_waiting_for_the_person_asks_them_to_confirm_receipt_in_wechat(app, tenant_a, standin):
    standin.mode = "confirm"
    await pays_out_through(tenant_a, standin)
    customer_id = await bound_customer(app, tenant_a, earnings=10000)
    async with await api(app, tenant_a, customer_id) as client:
        payout_no = (await client.post("/api/v1/me/withdrawals", json={"amount": 5000})).json()["payout_no"]
    finance = await make_console_user(tenant_a, "finance")
    async with tenant_scope(tenant_a.id):
        payout_id = await current_connection().fetchval("select id from core_payout where payout_no = $1", payout_no)
        await services.approve(payout_id, finance.id)
        assert await sending.send(payout_id) == "sending"
    wanted = {"mchId": MERCHANT, "appId": "wx-standin", "package": f"pkg-{payout_no}"}
    async with await api(app, tenant_a, customer_id) as client:
        assert (await client.get("/api/v1/me/withdrawals")).json()[0]["confirm"] == wanted  # for wx.requestMerchantTransfer
        in_wechat = await client.get("/account/earnings", headers={"user-agent": WECHAT})
        elsewhere = await client.get("/account/earnings", headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"})
    assert "data-confirm-receipt" in in_wechat.text and f"pkg-{payout_no}" in in_wechat.text
    assert "data-confirm-receipt" not in elsewhere.text and "data-confirm-elsewhere" in elsewhere.text
    standin.settle(payout_no)  # the person confirmed: WeChat pays
    async with tenant_scope(tenant_a.id):
        assert await sending.query(payout_id) == "paid"
    async with await api(app, tenant_a, customer_id) as client:
        mine = (await client.get("/api/v1/me/withdrawals")).json()[0]
        page = await client.get("/account/earnings", headers={"user-agent": WECHAT})
    assert mine["state"] == "paid" and mine["confirm"] == {} and "data-confirm-receipt" not in page.text


async def test_an_approval_and_a_rejection_at_once_decide_once_and_the_loser_gets_a_409(app, tenant_a):
    customer_id = await bound_customer(app, tenant_a, earnings=50000)
    async with tenant_scope(tenant_a.id):
        payouts = [await services.request_withdrawal("customer", customer_id, 1000, actor_kind="customer", actor_id=customer_id)
                   for _ in range(3)]
    approver, rejecter = await make_console_user(tenant_a, "finance"), await make_console_user(tenant_a, "finance")

    async def decide(user, payout, action):
        async with client_for(app, f"{tenant_a.slug}.localhost", **await bearer_for(tenant_a, "console", user.id)) as client:
            body = {"reason": "Duplicate"} if action == "reject" else None
            return await client.post(f"/api/v1/console/payouts/{payout.id}/{action}", json=body)

    for payout in payouts:
        results = await asyncio.gather(decide(approver, payout, "approve"), decide(rejecter, payout, "reject"))
        assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
        async with tenant_scope(tenant_a.id):
            state = (await services.get_payout(payout.id)).state
            released = await current_connection().fetchval(
                "select count(*) from core_ledger_transaction where idempotency_key = $1", f"payout:release:{payout.payout_no}")
        assert (state == "rejected") == (released == 1)
    async with tenant_scope(tenant_a.id):
        pending = await ledger.balance("payouts:pending", tenant_a.currency)
        live = await services.held_amount("customer", customer_id)
    assert pending == live  # no payment service pays out here: the approved ones stay held, the rejected ones came back
