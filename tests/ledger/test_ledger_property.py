"""The ledger against a model, over random sequences of operations: top-ups, wallet spends (some
of which must be refused for a short wallet), provider payments, refunds, settlements, and
replays of earlier postings. After every step: each transaction sums to zero per currency, no
wallet is below zero, every balance is what the model says, and a replay changed nothing.

Each example gets its own customers and orders in one franchise; the franchise-wide accounts are
compared as changes since the example began."""

from __future__ import annotations

from collections import Counter
from typing import Any, Awaitable, Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.ledger.schemas import LedgerSettingsUpdate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_customer,
    make_item,
    make_order,
    make_worker,
)

CUSTOMERS, ORDERS = 3, 4

# (kind, which customer/order, amount in fen or a share of what is left)
operation = st.tuples(
    st.sampled_from(["topup", "wallet_spend", "payment", "refund", "settle", "rates", "replay"]),
    st.integers(min_value=0, max_value=11),
    st.integers(min_value=1, max_value=30000),
)


class Model:
    """What each account should hold (on its normal side), and what each order has been through."""

    def __init__(self, tenant, customers: list[int], orders: list[tuple[int, int, int]], staff_id: int, rates) -> None:
        self.tenant, self.customers, self.orders, self.staff_id = tenant, customers, orders, staff_id
        self.fee_bp, self.commission_bp = rates.platform_fee_bp, rates.staff_commission_bp
        self.expected: Counter[str] = Counter()
        self.paid_by: dict[int, str] = {}  # order id → "wallet" or a provider
        self.kept: Counter[int] = Counter()  # order id → paid and not refunded
        self.settled: set[int] = set()
        self.done: list[Callable[[], Awaitable[Any]]] = []  # postings that went through, to replay
        self.refunds = 0

    def wallet(self, customer_id: int) -> str:
        return f"customer:{customer_id}:wallet"

    async def run(self, kind: str, pick: int, amount: int) -> None:
        currency = self.tenant.currency
        order_id, customer_id, total = self.orders[pick % ORDERS]
        if kind == "topup":
            customer_id = self.customers[pick % CUSTOMERS]
            ref = f"T{len(self.done)}-{customer_id}"
            await self.post(lambda: ledger.wallet_topup(customer_id, currency, "alipay", amount, payment_ref=ref))
            self.expected["provider:alipay:clearing"] += amount
            self.expected[self.wallet(customer_id)] += amount
        elif kind == "wallet_spend" and order_id not in self.paid_by:
            short = self.expected[self.wallet(customer_id)] < total
            try:
                await self.post(lambda: ledger.pay_from_wallet(order_id, customer_id, currency, total))
            except ValidationFailed:
                assert short, "a wallet that holds enough was refused"
                return
            assert not short, "a wallet paid more than it holds"
            self.paid_by[order_id], self.kept[order_id] = "wallet", total
            self.expected[self.wallet(customer_id)] -= total
            self.expected["franchise:unearned"] += total
        elif kind == "payment" and order_id not in self.paid_by:
            provider = ("wechat", "alipay", "stripe")[amount % 3]
            await self.post(lambda: ledger.record_payment(order_id, currency, provider, total, payment_ref=f"P{order_id}"))
            self.paid_by[order_id], self.kept[order_id] = provider, total
            self.expected[f"provider:{provider}:clearing"] += total
            self.expected["franchise:unearned"] += total
        elif kind == "refund" and self.kept[order_id] > 0:
            back = 1 + amount % self.kept[order_id]  # at most what is left: the payments work checks that
            self.refunds += 1
            ref = f"R{order_id}-{self.refunds}"
            source = "franchise:revenue" if order_id in self.settled else "franchise:unearned"
            if self.paid_by[order_id] == "wallet":
                await self.post(lambda: ledger.refund_to_wallet(order_id, customer_id, currency, back, refund_ref=ref))
                self.expected[self.wallet(customer_id)] += back
            else:
                provider = self.paid_by[order_id]
                await self.post(lambda: ledger.record_refund(order_id, currency, provider, back, refund_ref=ref))
                self.expected[f"provider:{provider}:clearing"] -= back
            self.expected[source] -= back
            self.kept[order_id] -= back
        elif kind == "settle" and self.kept[order_id] > 0 and order_id not in self.settled:
            paid, staff_id = self.kept[order_id], self.staff_id if amount % 2 else None
            await self.post(lambda: ledger.settle_order(order_id, currency, paid, staff_id))
            fee = paid * self.fee_bp // 10000
            earnings = paid * self.commission_bp // 10000 if staff_id else 0
            self.settled.add(order_id)
            self.expected["franchise:unearned"] -= paid
            self.expected["platform:fee"] += fee
            self.expected[f"staff:{self.staff_id}:earnings"] += earnings
            self.expected["franchise:revenue"] += paid - fee - earnings
        elif kind == "rates":  # settlements already posted keep the rates they were made with
            self.fee_bp, self.commission_bp = amount % 2001, pick * 500
            async with tenant_scope(self.tenant.id):
                await ledger.save_settings(LedgerSettingsUpdate(platform_fee_bp=self.fee_bp, staff_commission_bp=self.commission_bp))
        elif kind == "replay" and self.done:
            before = await self.snapshot()
            async with tenant_scope(self.tenant.id):
                await self.done[pick % len(self.done)]()
            assert await self.snapshot() == before, "a replayed posting changed the ledger"

    async def post(self, posting: Callable[[], Awaitable[Any]]) -> None:
        async with tenant_scope(self.tenant.id):
            await posting()
        self.done.append(posting)

    async def snapshot(self) -> tuple[dict[str, int], int]:
        async with tenant_scope(self.tenant.id):
            balances = {b.account.code: b.balance for b in await ledger.balances()}
            count = await current_connection().fetchval("select count(*) from core_ledger_transaction")
        return balances, count


async def check_invariants(tenant, model: Model, start: dict[str, int]) -> None:
    async with tenant_scope(tenant.id):
        unbalanced = await current_connection().fetch(
            "select transaction_id, currency, sum(amount) from core_ledger_entry group by 1, 2 having sum(amount) <> 0")
        single = await current_connection().fetch(
            "select t.id from core_ledger_transaction t left join core_ledger_entry e on e.transaction_id = t.id "
            "group by t.id having count(e.id) < 2")
        balances = {b.account.code: b.balance for b in await ledger.balances()}
    assert unbalanced == [] and single == []
    assert all(balance >= 0 for code, balance in balances.items() if code.startswith("customer:"))
    for code in set(model.expected) | set(balances):
        assert balances.get(code, 0) - start.get(code, 0) == model.expected[code], code


@pytest.fixture
async def books(runtime, make_tenant):
    tenant = await make_tenant(prefix="prop")
    return tenant, await make_item(tenant), await make_worker(tenant)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=1, max_size=20), totals=st.lists(st.integers(1, 20000), min_size=ORDERS, max_size=ORDERS))
# Refunds replayed after the order was settled: the same postings, not new ones from revenue.
@example(operations=[("payment", 0, 7), ("refund", 0, 500), ("settle", 0, 1), ("replay", 1, 1)], totals=[12000, 1, 1, 1])
@example(operations=[("topup", 0, 20000), ("wallet_spend", 0, 1), ("refund", 0, 9), ("settle", 0, 1), ("replay", 2, 1)],
         totals=[12000, 1, 1, 1])
# A settlement replayed after the rates changed.
@example(operations=[("payment", 0, 7), ("settle", 0, 1), ("rates", 3, 250), ("replay", 1, 1)], totals=[12000, 1, 1, 1])
async def test_random_ledger_operations_keep_the_books_balanced(runtime, books, operations, totals):
    tenant, item_id, staff_id = books
    customers = [await make_customer(tenant) for _ in range(CUSTOMERS)]
    orders = []
    for i, total in enumerate(totals):
        customer_id = customers[i % CUSTOMERS]
        orders.append((await make_order(tenant, customer_id=customer_id, item_id=item_id, total=total), customer_id, total))
    async with tenant_scope(tenant.id):
        rates = await ledger.settings()
    model = Model(tenant, customers, orders, staff_id, rates)
    start, _ = await model.snapshot()
    for kind, pick, amount in operations:
        await model.run(kind, pick, amount)
        await check_invariants(tenant, model, start)
