"""The ledger: balanced, idempotent, append-only postings; wallets that never go negative, also
when two orders race for one balance; the convenience postings the payments work calls."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import pytest

from platform_core.db import current_connection
from platform_core.db.engine import app_dsn
from platform_core.errors import Conflict, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.ledger.schemas import Entry, LedgerSettingsUpdate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_booking


def key() -> str:
    return secrets.token_hex(8)


def topup(customer_id: int, amount: int) -> list[Entry]:
    return [Entry(account="provider:alipay:clearing", currency="CNY", amount=amount),
            Entry(account=f"customer:{customer_id}:wallet", currency="CNY", amount=-amount)]


async def test_an_unbalanced_posting_is_refused_with_a_field_message(tenant_a):
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as refused:
            await ledger.post(key(), "adjustment", [Entry(account="franchise:revenue", currency="CNY", amount=100),
                                                    Entry(account="platform:fee", currency="CNY", amount=-99)])
        assert "entries" in refused.value.fields
        with pytest.raises(ValidationFailed):  # balanced in sum, not per currency
            await ledger.post(key(), "adjustment", [Entry(account="franchise:revenue", currency="CNY", amount=100),
                                                    Entry(account="franchise:revenue", currency="HKD", amount=-100)])
        with pytest.raises(ValidationFailed):
            await ledger.post(key(), "adjustment", [Entry(account="no:such:account", currency="CNY", amount=1),
                                                    Entry(account="franchise:revenue", currency="CNY", amount=-1)])


async def test_the_same_key_twice_posts_once_and_other_entries_conflict(tenant_a):
    k = key()
    async with tenant_scope(tenant_a.id):
        first = await ledger.post(k, "wallet_topup", topup(1, 5000))
        again = await ledger.post(k, "wallet_topup", topup(1, 5000))
        assert again.id == first.id and len(again.entries) == 2
        with pytest.raises(Conflict):
            await ledger.post(k, "wallet_topup", topup(1, 6000))
        assert await ledger.balance("customer:1:wallet", "CNY") == 5000


async def test_the_same_key_posted_concurrently_makes_one_transaction(tenant_a):
    k = key()

    async def attempt():
        async with tenant_scope(tenant_a.id):
            return await ledger.post(k, "wallet_topup", topup(2, 700))

    results = await asyncio.gather(*(attempt() for _ in range(6)))
    assert len({t.id for t in results}) == 1
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("customer:2:wallet", "CNY") == 700
        assert await current_connection().fetchval("select count(*) from core_ledger_transaction where idempotency_key = $1", k) == 1


async def test_a_wallet_can_not_pay_more_than_it_holds(tenant_a):
    async with tenant_scope(tenant_a.id):
        await ledger.post(key(), "wallet_topup", topup(3, 1000))
        with pytest.raises(ValidationFailed) as refused:
            await ledger.post(key(), "wallet_spend", [Entry(account="customer:3:wallet", currency="CNY", amount=1001),
                                                      Entry(account="franchise:unearned", currency="CNY", amount=-1001)])
        assert "amount" in refused.value.fields
        assert await ledger.balance("customer:3:wallet", "CNY") == 1000


async def test_two_orders_racing_to_spend_one_wallet_balance_one_wins(runtime, tenant_a):
    first, second = await make_booking(tenant_a, state="confirmed"), await make_booking(tenant_a, state="confirmed", hours_ago=5)
    customer = first.customer_id
    async with tenant_scope(tenant_a.id):
        await ledger.wallet_topup(customer, "CNY", "alipay", 15900, payment_ref=key())

    async def pay(order_id: int):
        async with tenant_scope(tenant_a.id):
            return await ledger.pay_from_wallet(order_id, customer, "CNY", 15900)

    results = await asyncio.gather(pay(first.order_id), pay(second.order_id), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Transaction", "ValidationFailed"]
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance(f"customer:{customer}:wallet", "CNY") == 0


@pytest.fixture
async def app_conn(hearth_settings):
    conn = await asyncpg.connect(app_dsn(hearth_settings.db.url, None))
    yield conn
    await conn.close()


async def test_the_database_refuses_edits_deletes_and_unbalanced_transactions_even_from_the_app_role(app_conn, tenant_a):
    async with tenant_scope(tenant_a.id):
        posted = await ledger.post(key(), "wallet_topup", topup(4, 300))
    assert await app_conn.fetchval("select current_user") == "hearth_app"
    statements = [
        ("update core_ledger_entry set amount = amount * 2 where transaction_id = $1", posted.id),
        ("delete from core_ledger_entry where transaction_id = $1", posted.id),
        ("update core_ledger_transaction set memo = 'edited' where id = $1", posted.id),
        ("delete from core_ledger_transaction where id = $1", posted.id),
    ]
    for sql, arg in statements:
        tx = app_conn.transaction()
        await tx.start()
        await app_conn.execute("select set_config('app.tenant_id', $1, true)", str(tenant_a.id))
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await app_conn.execute(sql, arg)
        await tx.rollback()
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("customer:4:wallet", "CNY") == 300
        account_id = (await ledger.account("franchise:revenue", "CNY")).id
    tx = app_conn.transaction()
    await tx.start()
    await app_conn.execute("select set_config('app.tenant_id', $1, true)", str(tenant_a.id))
    tx_id = await app_conn.fetchval("insert into core_ledger_transaction (tenant_id, idempotency_key, kind) values ($1, $2, 'adjustment') "
                                    "returning id", tenant_a.id, key())
    for amount in (100, -99):
        await app_conn.execute("insert into core_ledger_entry (tenant_id, transaction_id, account_id, currency, amount) "
                               "values ($1, $2, $3, 'CNY', $4)", tenant_a.id, tx_id, account_id, amount)
    with pytest.raises(asyncpg.CheckViolationError, match="does not balance"):
        await tx.commit()


async def test_payment_settlement_and_refund_post_the_documented_entries(runtime, tenant_a):
    booking = await make_booking(tenant_a, state="completed")
    async with tenant_scope(tenant_a.id):
        await ledger.save_settings(LedgerSettingsUpdate(platform_fee_bp=1000, staff_commission_bp=5000))
        await ledger.record_payment(booking.order_id, "CNY", "wechat", 15900, payment_ref="wx-1")
        settled = await ledger.settle_order(booking.order_id, "CNY", 15900, booking.staff_id)
        assert {e.account: e.amount for e in settled.entries} == {
            "franchise:unearned": 15900, "platform:fee": -1590, f"staff:{booking.staff_id}:earnings": -7950, "franchise:revenue": -6360,
        }
        await ledger.record_refund(booking.order_id, "CNY", "wechat", 900, refund_ref="rf-1")
        assert await ledger.balance("provider:wechat:clearing", "CNY") == 15000
        assert await ledger.balance("franchise:revenue", "CNY") == 5460
        assert await ledger.balance("franchise:unearned", "CNY") == 0
        kinds = [t.kind for t in await ledger.order_transactions(booking.order_id)]
        assert kinds == ["payment", "settlement", "refund"]
        with pytest.raises(ValidationFailed):
            await ledger.save_settings(LedgerSettingsUpdate(platform_fee_bp=6000))


async def test_a_cancelled_orders_refund_comes_from_unearned_even_after_its_fee_was_earned(runtime, tenant_a):
    # A late cancellation keeps a fee (settled: earned) and refunds the rest; whichever is posted
    # first, the rest comes out of what the order still holds in unearned, not out of revenue.
    booking = await make_booking(tenant_a, state="cancelled")
    async with tenant_scope(tenant_a.id):
        await ledger.record_payment(booking.order_id, "CNY", "alipay", 10000, payment_ref="al-1")
        await ledger.settle_order(booking.order_id, "CNY", 2000, None)
        refund = await ledger.record_refund(booking.order_id, "CNY", "alipay", 8000, refund_ref="rf-late")
        assert {e.account: e.amount for e in refund.entries}["franchise:unearned"] == 8000
        assert await ledger.balance("franchise:unearned", "CNY") == 0
        fee, revenue = await ledger.balance("platform:fee", "CNY"), await ledger.balance("franchise:revenue", "CNY")
        assert fee + revenue == 2000


async def test_points_are_their_own_asset(tenant_a):
    async with tenant_scope(tenant_a.id):
        await ledger.post(key(), "points_award", [Entry(account="franchise:points", currency="POINTS", amount=50),
                                                  Entry(account="customer:5:points", currency="POINTS", amount=-50)])
        assert await ledger.balance("customer:5:points", "POINTS") == 50
        assert await ledger.balance("customer:5:wallet", "CNY") == 0


async def test_tenant_b_sees_none_of_tenant_as_ledger(tenant_a, tenant_b):
    async with tenant_scope(tenant_a.id):
        await ledger.post(key(), "wallet_topup", topup(6, 800))
        await ledger.save_settings(LedgerSettingsUpdate(platform_fee_bp=100))
    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        for table in ("core_ledger_account", "core_ledger_transaction", "core_ledger_entry", "core_ledger_settings"):
            assert await conn.fetchval(f"select count(*) from {table}") == 0
        assert await ledger.balance("customer:6:wallet", "CNY") == 0
        assert (await ledger.settings()).platform_fee_bp == 500


async def test_a_posting_returns_what_was_stored_and_a_replayed_spend_under_a_race_debits_once(tenant_a):
    k = key()
    async with tenant_scope(tenant_a.id):
        posted = await ledger.post(key(), "wallet_topup", topup(7, 1000), memo="top-up")
        stored = await ledger._transaction_by_key(posted.idempotency_key)
        assert posted == stored  # built from the inserts, not read back, and the same all the same

    async def spend():
        async with tenant_scope(tenant_a.id):
            return await ledger.post(k, "wallet_spend", [Entry(account="customer:7:wallet", currency="CNY", amount=600),
                                                         Entry(account="franchise:unearned", currency="CNY", amount=-600)])

    async def top_up():
        async with tenant_scope(tenant_a.id):
            return await ledger.post(key(), "wallet_topup", topup(7, 50))

    results = await asyncio.gather(*(spend() for _ in range(6)), top_up(), top_up())
    assert len({t.id for t in results[:6]}) == 1  # the same spend six times at once: once
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("customer:7:wallet", "CNY") == 1000 - 600 + 100
