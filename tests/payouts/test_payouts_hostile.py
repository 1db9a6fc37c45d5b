"""Hostile input on the money-out pages: amounts no parser should choke on, NUL and over-long
text in every field, a setting the database would refuse. Each is a 400 with the message at the
field, never a 500 or a bare error page."""

from __future__ import annotations

import pytest

from platform_core.payouts import services
from platform_core.payouts.schemas import PayoutAccountBind
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_worker,
    post_form,
    signed_in,
)

from .conftest import give_earnings, verified_customer

AMOUNTS = ["sNaN", "NaN", "-Infinity", "1e999999", "1e99999", "9" * 19]


@pytest.mark.parametrize("amount", AMOUNTS)
async def test_an_amount_no_number_can_be_is_a_400_at_the_field(app, tenant_a, amount):
    customer_id = await verified_customer(tenant_a)
    worker = await make_worker(tenant_a)
    async with tenant_scope(tenant_a.id):
        await services.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account="w@example.com", real_name="张师傅"),
                                          actor_kind="staff", actor_id=worker)
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        bound = await post_form(client, "/account/earnings/account", {"kind": "alipay_login", "account": "ab@example.com", "real_name": "王小明"})
        assert bound.status_code == 303
        page = await post_form(client, "/account/earnings/withdraw", {"amount": amount})
        assert page.status_code == 400 and 'id="field-amount-error"' in page.text
        quote = await client.get("/account/earnings/quote", params={"amount": amount})
        assert quote.status_code == 200
    async with await signed_in(app, tenant_a, "staff", worker) as staff:
        page = await post_form(staff, "/staff/earnings/withdraw", {"amount": amount})
        assert page.status_code == 400 and 'id="field-amount-error"' in page.text
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as console:
        page = await post_form(console, "/console/finance/payout-settings", {**SETTINGS, "min_amount": amount})
        assert page.status_code == 400 and 'id="field-min_amount-error"' in page.text


SETTINGS = {"min_amount": "1", "max_amount": "5000", "daily_amount": "10000", "fee_min": "0", "review_threshold": "2000",
            "fee_percent": "0", "daily_count": "3", "staff_on_demand": "1"}


async def test_a_review_threshold_of_zero_is_refused_at_the_field(app, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as console:
        page = await post_form(console, "/console/finance/payout-settings", {**SETTINGS, "review_threshold": "0"})
    assert page.status_code == 400 and 'id="field-review_threshold-error"' in page.text


NUL = "\x00"


async def test_nul_and_overlong_text_in_the_account_and_reason_forms_is_refused_at_the_field(app, tenant_a):
    customer_id = await verified_customer(tenant_a)
    await give_earnings(tenant_a, "customer", customer_id, 5000)
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        for field, value in (("account", f"a{NUL}b@example.com"), ("real_name", f"王小{NUL}明"), ("account", "1" * 201 + "@example.com")):
            form = {"kind": "alipay_login", "account": "ab@example.com", "real_name": "王小明", field: value}
            page = await post_form(client, "/account/earnings/account", form)
            assert page.status_code == 400 and f'id="field-{field}-error"' in page.text, (field, page.status_code)
        assert (await post_form(client, "/account/earnings/account", {"kind": "alipay_login", "account": "ab@example.com",
                                                                      "real_name": "王小明"})).status_code == 303
    worker = await make_worker(tenant_a)
    async with await signed_in(app, tenant_a, "staff", worker) as staff:
        for field, value in (("account", f"a{NUL}b@example.com"), ("real_name", f"张{NUL}")):
            page = await post_form(staff, "/staff/earnings/withdraw/account", {"account": "ab@example.com", "real_name": "张", field: value})
            assert page.status_code == 400 and f'id="field-{field}-error"' in page.text, (field, page.status_code)
    async with tenant_scope(tenant_a.id):
        payout = await services.request_withdrawal("customer", customer_id, 1000, actor_kind="customer", actor_id=customer_id)
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as console:
        page = await post_form(console, f"/console/finance/payout-accounts/staff/{worker}", {"account": "ab@example.com", "real_name": f"张{NUL}"})
        assert page.status_code == 400 and 'id="field-real_name-error"' in page.text
        for reason in (f"bad{NUL}", "x" * 301):
            page = await post_form(console, f"/console/finance/withdrawals/{payout.id}/reject", {"reason": reason})
            assert page.status_code == 400 and 'id="field-reason-error"' in page.text
    async with tenant_scope(tenant_a.id):
        assert (await services.get_payout(payout.id)).state == "requested"


async def test_a_withdrawal_posted_without_a_payout_account_says_why(app, tenant_a):
    customer_id = await verified_customer(tenant_a)
    await give_earnings(tenant_a, "customer", customer_id, 5000)
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        page = await post_form(client, "/account/earnings/withdraw", {"amount": "20"})
    assert page.status_code == 400 and "Bind a payout account first." in page.text


async def test_a_superscript_digit_in_a_page_number_or_the_daily_count_is_no_server_error(app, tenant_a):
    # "²".isdigit() is true, but int("²") raises: the views read numbers typed by hand.
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as console:
        for path in ("/console/finance/withdrawals", "/console/finance/payouts"):
            assert (await console.get(path, params={"page": "²"})).status_code == 200
        page = await post_form(console, "/console/finance/payout-settings", {**SETTINGS, "daily_count": "²"})
    assert page.status_code == 400 and 'id="field-daily_count-error"' in page.text
