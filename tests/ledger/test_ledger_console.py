"""The console's ledger page: balances grouped as the franchise reads them, and the settlement
rates form (percent in the form, basis points in the ledger)."""

from __future__ import annotations

from platform_core.ledger import services as ledger
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import console_client, make_worker, post_form
from platform_core.testing.pytest_plugin import client_for
from tests.payments.test_payments_console import wallet_paid_order


def section(html: str, group: str) -> str:
    return html.split(f'id="group-{group}"')[1].split("</section>")[0]


async def test_balances_are_grouped_after_a_paid_and_settled_order(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="lb")
    _, _, order_id, customer_id = await wallet_paid_order(tenant, total=12800)
    worker_id = await make_worker(tenant, name="Wang Fang")
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", 2000, payment_ref="spare")
        await ledger.settle_order(order_id, tenant.currency, 12800, worker_id)  # default rates: 5% fee, 60% commission
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "finance")
        page = await console.get("/console/finance/ledger")
        assert page.status_code == 200
        html = page.text
        franchise = section(html, "franchise")
        assert "Franchise revenue" in franchise and "CN¥44.80" in franchise  # 12800 - 640 - 7680
        assert "Paid, not yet earned" in franchise and "CN¥0.00" in franchise  # earned now, nothing left unearned
        assert "franchise:" not in html  # accounts in words, never their codes
        assert "CN¥6.40" in section(html, "platform")
        staff = section(html, "staff")
        assert "Earnings of Wang Fang" in staff and "CN¥76.80" in staff
        assert "Held by" in section(html, "provider") and "CN¥148.00" in section(html, "provider")
        wallets = section(html, "customers")
        assert "CN¥20.00" in wallets and f"customer:{customer_id}" not in wallets  # a total, not each customer


async def test_the_rates_form_takes_percent_and_refuses_bad_rates_per_field(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="lr")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "owner")
        page = (await console.get("/console/finance/ledger")).text
        assert 'name="platform_fee" type="text" value="5"' in page and 'name="staff_commission" type="text" value="60"' in page

        bad = await post_form(console, "/console/finance/ledger/rates", {"platform_fee": "abc", "staff_commission": "101"})
        assert bad.status_code == 400
        assert bad.text.count("Enter a percentage between 0 and 100, like 5 or 12.5.") >= 2
        assert 'value="abc"' in bad.text  # what was typed stays in the form

        too_much = await post_form(console, "/console/finance/ledger/rates", {"platform_fee": "50", "staff_commission": "60"})
        assert too_much.status_code == 400
        assert "The platform fee and the commission together can not pass 100%." in too_much.text
        assert 'aria-invalid="true"' in too_much.text.split('name="staff_commission"')[1].split(">")[0]

        saved = await post_form(console, "/console/finance/ledger/rates", {"platform_fee": "7.5", "staff_commission": "55"})
        assert saved.status_code == 303
        after = (await console.get(saved.headers["location"])).text
        assert "The settlement rates are saved." in after and 'name="platform_fee" type="text" value="7.5"' in after
    async with tenant_scope(tenant.id):
        rates = await ledger.settings()
    assert (rates.platform_fee_bp, rates.staff_commission_bp) == (750, 5500)


async def test_a_manager_sees_the_rates_but_can_not_change_them(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="lm")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        console = await console_client(client, tenant, "manager")
        page = await console.get("/console/finance/ledger")
        assert page.status_code == 200 and "Your role can see the rates but not change them." in page.text
        assert 'action="/console/finance/ledger/rates"' not in page.text
        refused = await post_form(console, "/console/finance/ledger/rates", {"platform_fee": "1", "staff_commission": "1"})
        assert refused.status_code == 403
    async with tenant_scope(tenant.id):
        assert (await ledger.settings()).platform_fee_bp == 500
