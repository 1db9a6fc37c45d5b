"""The customer's wallet: paying an order from it on the checkout page and through the API, a
short balance refused, two orders racing for one balance, the history, and nobody else's money."""

from __future__ import annotations

import asyncio

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.booking import services as booking
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.jobs.schemas import JobContext
from platform_core.ledger import services as ledger
from platform_core.orders.services import get_order, timeline
from platform_core.payments import services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    eventually,
    make_customer,
    make_item,
    make_order,
    make_worker,
    post_form,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for


async def online_order(tenant, customer_id: int, total: int) -> tuple[int, str]:
    """An order placed to be paid now, waiting for its payment."""
    item_id = await make_item(tenant, price=total)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, total=total)
    async with tenant_scope(tenant.id):
        number = await current_connection().fetchval(
            "update core_order set payment_method = 'online' where id = $1 returning number", order_id)
    return order_id, number


async def top_up(tenant, customer_id: int, amount: int, ref: str) -> None:
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", amount, payment_ref=ref)


async def wallet_balance(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await ledger.balance(f"customer:{customer_id}:wallet", tenant.currency)


@pytest.fixture
async def signed_in(app, tenant_a):
    customer_id = await make_customer(tenant_a)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant_a.id)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        with_csrf(client).cookies.set("hearth_sid", token)
        yield client, customer_id


async def test_customer_pays_from_the_wallet_on_the_checkout_page_once_it_holds_enough(runtime, tenant_a, signed_in):
    client, customer_id = signed_in
    order_id, number = await online_order(tenant_a, customer_id, 12000)
    await top_up(tenant_a, customer_id, 5000, "first")

    checkout = await client.get(f"/orders/{number}/pay")
    assert checkout.status_code == 200
    assert "Wallet balance" in checkout.text and "Not enough for this order" in checkout.text
    assert 'value="wallet" disabled' in checkout.text
    short = await post_form(client, f"/orders/{number}/pay", {"provider": "wallet"})
    assert short.status_code == 400 and "Your balance is not enough for this order." in short.text

    await top_up(tenant_a, customer_id, 7000, "second")
    paid = await post_form(client, f"/orders/{number}/pay", {"provider": "wallet"})
    assert paid.status_code == 303 and paid.headers["location"] == f"/orders/{number}?done=paid"
    detail = await client.get(paid.headers["location"])
    assert "Payment received" in detail.text and "Paid with Wallet balance" in detail.text
    assert (await client.get(f"/orders/{number}/pay", follow_redirects=False)).headers["location"] == f"/orders/{number}"
    again = await post_form(client, f"/orders/{number}/pay", {"provider": "wallet"})
    assert again.status_code == 303 and again.headers["location"] == f"/orders/{number}"
    assert await wallet_balance(tenant_a, customer_id) == 0

    wallet = await client.get("/account/wallet")
    assert wallet.status_code == 200
    history = wallet.text[wallet.text.index('id="wallet-history"'):]
    assert history.index("Paid for an order") < history.index("Top-up")  # newest first
    assert f"/orders/{number}" in history and "−CN¥120.00" in history and "+CN¥70.00" in history


async def test_two_orders_racing_for_one_balance_exactly_one_is_paid(runtime, tenant_a):
    customer_id = await make_customer(tenant_a)
    orders = [(await online_order(tenant_a, customer_id, 8000))[0] for _ in range(2)]
    await top_up(tenant_a, customer_id, 10000, "once")

    async def pay(order_id: int):
        async with tenant_scope(tenant_a.id):
            return await services.pay_with_wallet(order_id, customer_id)

    results = await asyncio.gather(*(pay(o) for o in orders), return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], ValidationFailed) and "provider" in lost[0].fields
    assert await wallet_balance(tenant_a, customer_id) == 2000
    async with tenant_scope(tenant_a.id):
        paid = [o for o in orders if (await get_order(o)).paid_at is not None]
        assert len(paid) == 1
        loser = orders[results.index(lost[0])]
        assert await services.order_payments(loser) == []  # the refused attempt left nothing behind


async def test_another_customer_can_not_see_or_pay_an_order_or_its_payment(app, runtime, tenant_a, signed_in):
    client, _ = signed_in
    owner_id = await make_customer(tenant_a)
    _, number = await online_order(tenant_a, owner_id, 6000)
    await top_up(tenant_a, owner_id, 6000, "owner")
    owner = await bearer_for(tenant_a, "customer", owner_id)
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        paid = await api.post(f"/api/v1/orders/{number}/payments/wallet", headers=owner)
        assert paid.status_code == 201, paid.text
        payment_no = paid.json()["payment_no"]
        assert (await api.get(f"/api/v1/payments/{payment_no}", headers=owner)).json()["status"] == "succeeded"
        stranger = await bearer_for(tenant_a, "customer", await make_customer(tenant_a))
        assert (await api.get(f"/api/v1/payments/{payment_no}", headers=stranger)).status_code == 404
        assert (await api.post(f"/api/v1/orders/{number}/payments/wallet", headers=stranger)).status_code == 404
    assert (await client.get(f"/orders/{number}/pay")).status_code == 404
    assert (await post_form(client, f"/orders/{number}/pay", {"provider": "wallet"})).status_code == 404
    assert (await client.get(f"/payments/{payment_no}")).status_code == 404
    assert (await client.get(f"/payments/{payment_no}/status")).status_code == 404


async def test_the_wallet_api_pays_once_and_refuses_what_is_not_offered(app, runtime, tenant_a):
    customer_id = await make_customer(tenant_a)
    _, number = await online_order(tenant_a, customer_id, 3000)
    auth = await bearer_for(tenant_a, "customer", customer_id)
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        short = await api.post(f"/api/v1/orders/{number}/payments/wallet", headers=auth)
        assert short.status_code == 400 and "provider" in short.json()["error"]["fields"]
        await top_up(tenant_a, customer_id, 5000, "api")
        wallet = (await api.get("/api/v1/wallet", headers=auth)).json()
        assert wallet["balance"] == 5000 and wallet["currency"] == tenant_a.currency
        assert [e["kind"] for e in wallet["entries"]] == ["wallet_topup"]
        paid = await api.post(f"/api/v1/orders/{number}/payments/wallet", headers=auth)
        assert paid.status_code == 201 and paid.json()["provider"] == "wallet" and paid.json()["amount"] == 3000
        twice = await api.post(f"/api/v1/orders/{number}/payments/wallet", headers=auth)
        assert twice.status_code == 400
        wallet = (await api.get("/api/v1/wallet", headers=auth)).json()
        assert wallet["balance"] == 2000 and [e["amount"] for e in wallet["entries"]] == [-3000, 5000]
        # No payment plugin is on for this tenant: nothing to start a payment or a top-up with.
        _, other = await online_order(tenant_a, customer_id, 3000)
        none = await api.post(f"/api/v1/orders/{other}/payments", json={"provider": "alipay"}, headers=auth)
        assert none.status_code == 400 and "provider" in none.json()["error"]["fields"]
        topup = await api.post("/api/v1/wallet/topups", json={"provider": "alipay", "amount": 10000}, headers=auth)
        assert topup.status_code == 400 and "provider" in topup.json()["error"]["fields"]
        tiny = await api.post("/api/v1/wallet/topups", json={"provider": "alipay", "amount": 5}, headers=auth)
        assert tiny.status_code == 400
        assert (await api.get("/api/v1/wallet")).status_code == 401


async def test_an_unpaid_online_order_gives_its_slot_back(runtime, tenant_a):
    customer_id = await make_customer(tenant_a)
    unpaid, _ = await online_order(tenant_a, customer_id, 4000)
    paid, _ = await online_order(tenant_a, customer_id, 4000)
    await top_up(tenant_a, customer_id, 4000, "expiry")
    async with tenant_scope(tenant_a.id) as tenant:
        await services.pay_with_wallet(paid, customer_id)
    for order_id in (unpaid, paid):
        async with tenant_scope(tenant_a.id) as tenant:
            await booking.cancel_unpaid(JobContext(tenant=tenant, job_id=1, attempt=1), {"order_id": order_id})
    async with tenant_scope(tenant_a.id):
        cancelled = await get_order(unpaid)
        assert cancelled.state == "cancelled" and cancelled.cancellation_fee == 0
        last = (await timeline(unpaid))[-1]
        assert last.event == "payment_timeout" and last.actor_kind == "system" and last.note == "Not paid in time"
        assert (await get_order(paid)).state != "cancelled"


async def test_booking_without_online_payments_is_paid_after_the_service(app, runtime, tenant_a):
    from tests.booking.test_orders_booking import booking as booking_body
    from tests.booking.test_orders_booking import key

    item_id = await make_item(tenant_a)
    await make_worker(tenant_a)
    auth = await bearer_for(tenant_a, "customer", await make_customer(tenant_a))
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        online = await api.post("/api/v1/orders", json={**booking_body(item_id, tenant_a), "payment_method": "online"},
                                headers={**auth, **key()})
        assert online.status_code == 400 and "payment_method" in online.json()["error"]["fields"]
        placed = await api.post("/api/v1/orders", json=booking_body(item_id, tenant_a), headers={**auth, **key()})
        assert placed.status_code == 201, placed.text
        assert placed.json()["payment_method"] == "after_service" and placed.json()["state"] == "paid"
    async with tenant_scope(tenant_a.id):
        jobs = await current_connection().fetch(
            "select id from core_job where kind = $1 and payload->>'order_id' = $2", booking.UNPAID_JOB, str(placed.json()["id"]))
    assert jobs == []


async def test_a_cancelled_order_shows_its_refund_back_to_the_wallet(runtime, tenant_a, signed_in):
    from platform_core.orders.schemas import ActorRef
    from platform_core.orders.services import transition

    client, customer_id = signed_in
    order_id, number = await online_order(tenant_a, customer_id, 9000)
    await top_up(tenant_a, customer_id, 9000, "for-refund")
    assert (await post_form(client, f"/orders/{number}/pay", {"provider": "wallet"})).status_code == 303
    async with tenant_scope(tenant_a.id):
        await transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id))

    async def refunded():
        return await wallet_balance(tenant_a, customer_id) == 9000

    assert await eventually(refunded)
    page = (await client.get(f"/orders/{number}")).text
    refund = page[page.index('class="field__help refund-state"'):]
    assert "Refunded" in refund and "CN¥90.00 back to Wallet balance." in refund
