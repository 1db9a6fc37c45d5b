"""The franchise console's money pages: payments with filters and daily totals, a payment's
detail with its ledger entries and the refund form, refused notifications, and who may see and
refund what. Money is made without a provider plugin: a wallet top-up, then paying from it."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.payments import services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    console_client,
    make_customer,
    make_item,
    make_order,
    post_form,
)
from platform_core.testing.pytest_plugin import client_for


async def wallet_paid_order(tenant, *, total: int = 12800) -> tuple[int, str, int, int]:
    """An order paid from a topped-up wallet: (payment id, payment no, order id, customer id)."""
    customer_id = await make_customer(tenant)
    item_id = await make_item(tenant, price=total)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, total=total)
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", total, payment_ref=f"seed{order_id}")
    async with tenant_scope(tenant.id):
        payment = await services.pay_with_wallet(order_id, customer_id)
    return payment.id, payment.payment_no, order_id, customer_id


async def order_number(tenant, order_id: int) -> str:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select number from core_order where id = $1", order_id)


async def pending_alipay_payment(tenant, *, amount: int = 5000, created_days_ago: int = 0) -> str:
    """A provider payment the customer has not paid yet, as checkout leaves it."""
    customer_id = await make_customer(tenant)
    item_id = await make_item(tenant, price=amount)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, total=amount)
    payment_no = f"HTEST{secrets.token_hex(6).upper()}"
    created = datetime.now(timezone.utc) - timedelta(days=created_days_ago)
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "insert into core_payment (tenant_id, payment_no, provider, method, device, purpose, order_id, customer_id, amount, currency, "
            "created_at, expires_at) values ($1, $2, 'alipay', 'page', 'desktop', 'order', $3, $4, $5, $6, $7, $7::timestamptz + interval '30 minutes')",
            tenant.id, payment_no, order_id, customer_id, amount, tenant.currency, created,
        )
    return payment_no


def refund_form(html: str) -> dict[str, str]:
    amount = re.search(r'name="amount" type="text" value="([^"]*)"', html)
    return {"amount": amount.group(1) if amount else ""}


async def test_the_list_filters_by_status_method_day_and_number_with_daily_totals(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="pl")
    _, wallet_no, order_id, _ = await wallet_paid_order(tenant, total=12800)
    pending_no = await pending_alipay_payment(tenant, amount=5000)
    old_no = await pending_alipay_payment(tenant, amount=3000, created_days_ago=40)
    number = await order_number(tenant, order_id)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "finance")
        listed = await console.get("/console/payments")
        assert listed.status_code == 200
        assert wallet_no in listed.text and pending_no in listed.text and old_no in listed.text
        assert "CN¥128.00" in listed.text and "CN¥50.00" in listed.text  # the tenant's currency
        assert f'href="/console/orders/{number}"' in listed.text
        assert 'href="/console/payments"' in listed.text and 'href="/console/finance/ledger"' in listed.text  # the menu

        paid = (await console.get("/console/payments", params={"status": "succeeded"})).text
        assert wallet_no in paid and pending_no not in paid
        by_method = (await console.get("/console/payments", params={"provider": "alipay"})).text
        assert pending_no in by_method and wallet_no not in by_method
        by_order = (await console.get("/console/payments", params={"q": number})).text
        assert wallet_no in by_order and pending_no not in by_order
        today = datetime.now(timezone.utc).date()
        recent = (await console.get("/console/payments", params={"day_from": (today - timedelta(days=7)).isoformat()})).text
        assert wallet_no in recent and old_no not in recent
        bad_day = await console.get("/console/payments", params={"day_from": "not-a-day"})
        assert bad_day.status_code == 200 and "Enter a date like 2026-05-01." in bad_day.text

        # Daily totals: today's wallet collection; a pending payment is not money collected.
        totals = listed.text.split('id="daily-totals-table"')[1]
        row = re.search(r"<tr>\s*<td>[\d-]+</td>\s*<td>Wallet balance</td>\s*<td class=\"num\">(\d+)</td>\s*<td class=\"num\">([^<]+)</td>", totals)
        assert row and row.group(1) == "1" and row.group(2) == "CN¥128.00"
        assert "Alipay" not in totals and ">alipay<" not in totals


async def test_detail_shows_the_ledger_entries_and_refunds_part_then_the_rest(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="pd")
    payment_id, payment_no, order_id, customer_id = await wallet_paid_order(tenant, total=12800)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "owner")
        detail = await console.get(f"/console/payments/{payment_id}")
        assert detail.status_code == 200 and payment_no in detail.text
        # The wallet spend as double entry: the wallet debited, the unearned account credited.
        ledger_part = detail.text.split("Ledger entries of the order")[1]
        assert "Paid from the wallet" in ledger_part
        assert "A customer's wallet" in ledger_part and "Paid, not yet earned" in ledger_part
        assert f"customer:{customer_id}" not in ledger_part and "franchise:unearned" not in ledger_part
        assert ledger_part.count("CN¥128.00") == 2
        assert refund_form(detail.text) == {"amount": "128.00"}  # the full amount, ready for a full refund

        no_reason = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "30", "reason": ""})
        assert no_reason.status_code == 400 and "Say why, for the records." in no_reason.text
        not_money = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "30.555", "reason": "x"})
        assert not_money.status_code == 400 and "Enter an amount like 12.30." in not_money.text

        partial = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "30", "reason": "Half the windows skipped"})
        assert partial.status_code == 303
        after = await console.get(partial.headers["location"])
        assert "The refund is done." in after.text and "Half the windows skipped" in after.text
        assert "CN¥30.00" in after.text and refund_form(after.text) == {"amount": "98.00"}
        assert "Owner Person" in after.text.split('id="refunds"')[1]  # who refunded

        over = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "98.01", "reason": "too much"})
        assert over.status_code == 400
        assert "Enter an amount between 0.01 and what is left to refund." in over.text
        assert 'aria-invalid="true"' in over.text.split('name="amount"')[1].split(">")[0]

        rest = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "98.00", "reason": "Customer unhappy"})
        assert rest.status_code == 303
        done = (await console.get(f"/console/payments/{payment_id}")).text
        assert "Nothing is left to refund on this payment." in done and 'name="amount"' not in done
    async with tenant_scope(tenant.id):
        assert await ledger.balance(f"customer:{customer_id}:wallet", tenant.currency) == 12800  # all back in the wallet
        assert [r.requested_by.startswith("console:") for r in await services.payment_refunds(payment_id)] == [True, True]
        assert [t.kind for t in await ledger.order_transactions(order_id)] == ["wallet_spend", "refund", "refund"]


async def test_the_order_page_has_a_payments_card_for_finance_roles(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="po")
    payment_id, payment_no, order_id, _ = await wallet_paid_order(tenant)
    number = await order_number(tenant, order_id)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "owner")
        order_page = (await console.get(f"/console/orders/{number}")).text
        assert f'hx-get="/console/payments/orders/{order_id}"' in order_page
        card = await console.get(f"/console/payments/orders/{order_id}")
        assert card.status_code == 200 and f'href="/console/payments/{payment_id}"' in card.text and "Paid, not yet earned" in card.text
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        support = await console_client(client, tenant, "support")
        assert "/console/payments/orders/" not in (await support.get(f"/console/orders/{number}")).text
        assert (await support.get(f"/console/payments/orders/{order_id}")).status_code == 403


@pytest.mark.parametrize("role", ["dispatcher", "support"])
async def test_roles_without_finance_view_are_refused(app, runtime, make_tenant, role):
    tenant = await make_tenant(prefix="pr")
    payment_id, *_ = await wallet_paid_order(tenant)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, role)
        for path in ("/console/payments", f"/console/payments/{payment_id}", "/console/payments/refusals", "/console/finance/ledger"):
            assert (await console.get(path)).status_code == 403, path
        assert 'href="/console/payments"' not in (await console.get("/console/")).text
        refused = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "1.00", "reason": "no"})
        assert refused.status_code == 403


async def test_a_manager_sees_payments_but_can_not_refund(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="pm")
    payment_id, *_ = await wallet_paid_order(tenant)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "manager")
        detail = await console.get(f"/console/payments/{payment_id}")
        assert detail.status_code == 200
        assert "Your role can see payments but not refund them." in detail.text and 'name="amount"' not in detail.text
        refused = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "1.00", "reason": "goodwill"})
        assert refused.status_code == 403
    async with tenant_scope(tenant.id):
        assert await services.payment_refunds(payment_id) == []


async def test_another_franchise_can_not_see_or_refund_the_payment(app, runtime, make_tenant):
    tenant_a, tenant_b = await make_tenant(prefix="pa"), await make_tenant(prefix="pb")
    payment_id, payment_no, order_id, _ = await wallet_paid_order(tenant_a)
    async with client_for(app, f"{tenant_b.slug}.localhost") as client:
        console = await console_client(client, tenant_b, "owner")
        assert (await console.get(f"/console/payments/{payment_id}")).status_code == 404
        assert (await console.get(f"/console/payments/orders/{order_id}")).status_code == 404
        searched = (await console.get("/console/payments", params={"q": payment_no})).text
        assert "No payments found" in searched and f'href="/console/payments/{payment_id}"' not in searched
        refused = await post_form(console, f"/console/payments/{payment_id}/refunds", {"amount": "1.00", "reason": "steal"})
        assert refused.status_code == 404
    async with tenant_scope(tenant_a.id):
        assert await services.payment_refunds(payment_id) == []


async def test_refused_notifications_are_listed_with_the_reason_in_words(app, runtime, make_tenant):
    tenant, other = await make_tenant(prefix="pn"), await make_tenant(prefix="pq")
    async with client_for(app, "anyhost.localhost") as provider:
        answer = await provider.post(f"/payments/notify/paypal/{tenant.slug}", content=b"<xml>forged</xml>")
    assert answer.status_code == 404
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "finance")
        listed = await console.get("/console/payments/refusals")
        assert listed.status_code == 200
        row = listed.text.split('id="refusals"')[1]
        assert "paypal" in row and "No such payment provider is installed." in row
    async with client_for(app, f"{other.slug}.localhost") as client:
        console = await console_client(client, other, "finance")
        assert "No refused notifications" in (await console.get("/console/payments/refusals")).text


async def test_a_provider_payment_shows_its_notifications_and_clearing_entries(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="pp")
    payment_no = await pending_alipay_payment(tenant, amount=8800)
    async with tenant_scope(tenant.id):
        conn = current_connection()
        payment_id, order_id = await conn.fetchrow(
            "update core_payment set status = 'succeeded', paid_at = now(), provider_ref = '2026112522001' where payment_no = $1 "
            "returning id, order_id", payment_no)
        await conn.execute(
            "insert into core_payment_notification (tenant_id, provider, event_id, payment_id, status, outcome) "
            "values ($1, 'alipay', 'evt-paid-1', $2, 'succeeded', 'applied'), ($1, 'alipay', 'evt-late-close', $2, 'closed', 'ignored')",
            tenant.id, payment_id)
        await ledger.record_payment(order_id, tenant.currency, "alipay", 8800, payment_ref=payment_no)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "finance")
        detail = (await console.get(f"/console/payments/{payment_id}")).text
        assert "2026112522001" in detail  # the provider's reference
        notifications = detail.split("Notifications applied")[1]
        assert "evt-paid-1" in notifications and "Changed the payment" in notifications
        assert "evt-late-close" in notifications and "Nothing to change" in notifications
        entries = detail.split("Ledger entries of the order")[1].split("Notifications applied")[0]
        assert "Held by Alipay" in entries and "Customer payment" in entries and entries.count("CN¥88.00") == 2
        assert refund_form(detail) == {"amount": "88.00"}
