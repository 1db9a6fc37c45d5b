"""The pages of money out without a browser: the customer's forms answer errors beside the field,
the fee line follows the amount, the worker's withdraw page exists only when the franchise lets
workers withdraw, the console's settings refuse what can not hold, a rejection needs a reason, and
loyalty's points value sits beside the balance."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.payouts import services
from platform_core.payouts.schemas import PayoutSettingsUpdate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_console_user,
    make_customer,
    make_worker,
    post_form,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for

from .conftest import earnings_balance, give_earnings, verified_customer


async def test_the_customer_withdraws_on_the_page_and_sees_errors_at_the_amount(app, tenant_a):
    customer_id = await verified_customer(tenant_a)
    await give_earnings(tenant_a, "customer", customer_id, 5000)
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        empty = await client.get("/account/earnings")
        assert empty.status_code == 200 and 'id="bind-account"' in empty.text and "My earnings" in empty.text
        bound = await post_form(client, "/account/earnings/account", {"kind": "alipay_login", "account": "me@example.com", "real_name": "王小明"})
        assert bound.status_code == 303
        page = (await client.get("/account/earnings?done=account")).text
        assert "me***@example.com" in page and "Your payout account is saved." in page
        assert "Withdrawals are free." in (await client.get("/account/earnings/quote", params={"amount": "oops"})).text
        assert "No fee · CN¥20.00 arrives" in (await client.get("/account/earnings/quote", params={"amount": "20"})).text
        bad = await post_form(client, "/account/earnings/withdraw", {"amount": "12.345"})
        assert bad.status_code == 400 and 'id="field-amount-error"' in bad.text and "Enter an amount like 50" in bad.text
        short = await post_form(client, "/account/earnings/withdraw", {"amount": "80"})
        assert short.status_code == 400 and "not enough" in short.text and 'value="80"' in short.text
        done = await post_form(client, "/account/earnings/withdraw", {"amount": "30"})
        assert done.status_code == 303 and done.headers["location"] == "/account/earnings?done=requested"
        after = (await client.get("/account/earnings?done=requested")).text
    assert 'data-state="requested"' in after and "Your withdrawal is under review" in after
    assert await earnings_balance(tenant_a, "customer", customer_id) == 2000


async def test_an_unverified_customer_is_sent_to_verify_first(app, tenant_a):
    customer_id = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        page = (await client.get("/account/earnings")).text
        assert 'href="/account/verification"' in page and 'id="bind-account"' not in page
        refused = await post_form(client, "/account/earnings/account", {"kind": "alipay_login", "account": "13800138000", "real_name": "X"})
    assert refused.status_code == 400 and "Verify your real name first" in refused.text


async def test_the_worker_withdraws_when_the_franchise_lets_workers_withdraw(app, tenant_a):
    worker = await make_worker(tenant_a)
    await give_earnings(tenant_a, "staff", worker, 9000)
    async with await signed_in(app, tenant_a, "staff", worker) as staff:
        earnings = (await staff.get("/staff/earnings")).text
        assert 'href="/staff/earnings/withdraw"' in earnings
        missing_name = await post_form(staff, "/staff/earnings/withdraw/account", {"account": "13700137000", "real_name": ""})
        assert missing_name.status_code == 400 and 'id="field-real_name-error"' in missing_name.text
        assert (await post_form(staff, "/staff/earnings/withdraw/account", {"account": "13700137000", "real_name": "张师傅"})).status_code == 303
        assert (await post_form(staff, "/staff/earnings/withdraw", {"amount": "50"})).status_code == 303
        page = (await staff.get("/staff/earnings/withdraw")).text
        assert "137****7000" in page and 'data-state="requested"' in page
        async with tenant_scope(tenant_a.id):
            await services.save_settings(PayoutSettingsUpdate(staff_on_demand=False))
        assert 'href="/staff/earnings/withdraw"' not in (await staff.get("/staff/earnings")).text
        assert (await staff.get("/staff/earnings/withdraw")).status_code == 404
        assert (await post_form(staff, "/staff/earnings/withdraw", {"amount": "10"})).status_code == 404
    assert await earnings_balance(tenant_a, "staff", worker) == 4000


async def test_the_console_settings_and_a_rejection_need_sound_values(app, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    customer_id = await verified_customer(tenant_a)
    await give_earnings(tenant_a, "customer", customer_id, 5000)
    async with await signed_in(app, tenant_a, "console", owner.id) as console:
        form = await console.get("/console/finance/payout-settings")
        assert form.status_code == 200 and 'name="min_amount" type="text" value="1.00"' in form.text, form.text[-3000:]
        wrong = await post_form(console, "/console/finance/payout-settings", {
            "min_amount": "10", "max_amount": "5", "daily_count": "3", "daily_amount": "100", "fee_percent": "1", "fee_min": "1",
            "review_threshold": "500"})
        assert wrong.status_code == 400 and "can not be below the minimum" in wrong.text
        saved = await post_form(console, "/console/finance/payout-settings", {
            "min_amount": "10", "max_amount": "500", "daily_count": "3", "daily_amount": "1000", "fee_percent": "1.5", "fee_min": "1",
            "review_threshold": "300", "staff_on_demand": "1"})
        assert saved.status_code == 303
        async with tenant_scope(tenant_a.id):
            rules = await services.settings()
        assert (rules.min_amount, rules.fee_bp, rules.fee_min, rules.staff_on_demand) == (1000, 150, 100, True)
        headers = await bearer_for(tenant_a, "customer", customer_id)
        async with client_for(app, f"{tenant_a.slug}.localhost", **headers) as api:
            await api.put("/api/v1/me/payout-account", json={"kind": "alipay_login", "account": "13800138000", "real_name": "王小明"})
            payout_no = (await api.post("/api/v1/me/withdrawals", json={"amount": 2000})).json()["payout_no"]
        async with tenant_scope(tenant_a.id):
            payout_id = await current_connection().fetchval("select id from core_payout where payout_no = $1", payout_no)
        no_reason = await post_form(console, f"/console/finance/withdrawals/{payout_id}/reject", {"reason": " "})
        assert no_reason.status_code == 400 and "Say why" in no_reason.text
        rejected = await post_form(console, f"/console/finance/withdrawals/{payout_id}/reject", {"reason": "Wrong account"})
        assert rejected.status_code == 303
        again = await post_form(console, f"/console/finance/withdrawals/{payout_id}/reject", {"reason": "Twice"})
        assert again.status_code == 409 and "already decided" in again.text
    dispatcher = await make_console_user(tenant_a, "dispatcher")
    async with await signed_in(app, tenant_a, "console", dispatcher.id) as console:
        assert (await console.get("/console/finance/withdrawals")).status_code == 403


async def test_loyalty_shows_what_the_points_are_worth_beside_the_earnings(app, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty", points_per_yuan_value=100)
    customer_id = await make_customer(tenant_a)
    from plugins.loyalty import points
    async with tenant_scope(tenant_a.id):
        await points.award(customer_id, 1230, reason="checkin", link="checkin:test", key=f"earn{customer_id}")
    headers = await bearer_for(tenant_a, "customer", customer_id)
    async with client_for(app, f"{tenant_a.slug}.localhost", **headers) as api:
        api.cookies.set("hearth_locale", "en")
        panels = (await api.get("/api/v1/me/earnings")).json()["panels"]
    assert panels == [{"key": "loyalty.points_value", "title": "Your points are worth", "value": "CN¥12.30",
                       "note": "Spend them in the rewards shop.", "href": "/p/loyalty/shop"}]
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        page = (await client.get("/account/earnings")).text
    assert 'data-panel="loyalty.points_value"' in page and "¥12.30" in page


async def test_the_office_sets_a_workers_account_and_then_can_not_approve_their_payout(app, tenant_a):
    worker = await make_worker(tenant_a)
    await give_earnings(tenant_a, "staff", worker, 9000)
    clerk, checker = await make_console_user(tenant_a, "finance"), await make_console_user(tenant_a, "finance")
    async with await signed_in(app, tenant_a, "console", clerk.id) as console:
        assert (await console.get(f"/console/finance/payout-accounts/staff/{worker}")).status_code == 200
        wrong = await post_form(console, f"/console/finance/payout-accounts/staff/{worker}", {"account": "nope", "real_name": "张师傅"})
        assert wrong.status_code == 400 and 'id="field-account-error"' in wrong.text
        saved = await post_form(console, f"/console/finance/payout-accounts/staff/{worker}", {"account": "13600136000", "real_name": "张师傅"})
        assert saved.status_code == 303
        assert "136****6000" in (await console.get(saved.headers["location"])).text
        async with tenant_scope(tenant_a.id):
            payout = await services.request_withdrawal("staff", worker, 5000, actor_kind="staff", actor_id=worker)
        refused = await post_form(console, f"/console/finance/withdrawals/{payout.id}/approve")
        assert refused.status_code == 403 and "You changed this person&#39;s payout account" in refused.text
        assert 'id="approve"' in refused.text  # the page is shown again, the payout still waits
    async with await signed_in(app, tenant_a, "console", checker.id) as console:
        assert (await post_form(console, f"/console/finance/withdrawals/{payout.id}/approve")).status_code == 303
    async with tenant_scope(tenant_a.id):
        assert (await services.get_payout(payout.id)).state in ("approved", "sending", "paid")
