"""Earnings and money out in the ledger: rewards credited once, reversals that can not overdraw a
customer, withdrawals held at once and never more than the balance (also when two race), paid
with the fee to the franchise or released back."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from platform_core.errors import ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.tenancy.context import tenant_scope


def number() -> str:
    return "W" + secrets.token_hex(6)


async def test_a_reward_is_credited_once_and_taken_back_only_while_it_is_there(tenant_a):
    async with tenant_scope(tenant_a.id):
        first = await ledger.credit_earnings("customer", 41, "CNY", 2000, key="referral:reward:1", memo="invite")
        again = await ledger.credit_earnings("customer", 41, "CNY", 2000, key="referral:reward:1", memo="invite")
        assert again.id == first.id
        assert await ledger.balance("customer:41:earnings", "CNY") == 2000
        assert await ledger.balance("franchise:rewards", "CNY") == 2000
        await ledger.hold_payout("customer", 41, "CNY", 1500, payout_no=number())
        with pytest.raises(ValidationFailed) as short:
            await ledger.debit_earnings("customer", 41, "CNY", 2000, key="referral:reversal:1")
        assert "amount" in short.value.fields
        await ledger.debit_earnings("customer", 41, "CNY", 500, key="referral:reversal:1")
        assert await ledger.balance("customer:41:earnings", "CNY") == 0


async def test_a_worker_deduction_may_leave_them_owing_but_a_withdrawal_takes_only_what_is_there(tenant_a):
    async with tenant_scope(tenant_a.id):
        await ledger.credit_earnings("staff", 7, "CNY", 1000, key="bonus:1", kind="staff_bonus", funded_by="franchise:staff_pay")
        await ledger.debit_earnings("staff", 7, "CNY", 1500, key="deduction:1", kind="staff_deduction",
                                    funded_by="franchise:staff_pay", overdraw=True)
        assert await ledger.balance("staff:7:earnings", "CNY") == -500
        with pytest.raises(ValidationFailed):
            await ledger.hold_payout("staff", 7, "CNY", 100, payout_no=number())


async def test_a_paid_payout_leaves_the_provider_less_the_fee_and_a_released_one_returns_whole(tenant_a):
    async with tenant_scope(tenant_a.id):
        await ledger.credit_earnings("customer", 42, "CNY", 10000, key="referral:reward:2")
        paid, released = number(), number()
        await ledger.hold_payout("customer", 42, "CNY", 6000, payout_no=paid)
        await ledger.hold_payout("customer", 42, "CNY", 4000, payout_no=released)
        assert await ledger.balance("customer:42:earnings", "CNY") == 0
        assert await ledger.balance("payouts:pending", "CNY") == 10000
        await ledger.complete_payout("CNY", 6000, 60, provider="alipay", payout_no=paid)
        await ledger.release_payout("customer", 42, "CNY", 4000, payout_no=released)
        assert await ledger.balance("customer:42:earnings", "CNY") == 4000
        assert await ledger.balance("payouts:pending", "CNY") == 0
        assert await ledger.balance("provider:alipay:clearing", "CNY") == -5940
        assert await ledger.balance("franchise:payout_fees", "CNY") == 60


async def test_two_withdrawals_racing_for_one_balance_one_is_refused(runtime, tenant_a):
    async with tenant_scope(tenant_a.id):
        await ledger.credit_earnings("staff", 9, "CNY", 5000, key="bonus:9", kind="staff_bonus", funded_by="franchise:staff_pay")

    async def withdraw():
        async with tenant_scope(tenant_a.id):
            return await ledger.hold_payout("staff", 9, "CNY", 4000, payout_no=number())

    results = await asyncio.gather(withdraw(), withdraw(), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Transaction", "ValidationFailed"]
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("staff:9:earnings", "CNY") == 1000
