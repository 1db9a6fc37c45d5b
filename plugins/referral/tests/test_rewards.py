"""The rewards as the inviter and the friend see them: the welcome coupon at sign-up; the red
packet once the friend's completed, paid spend reaches the threshold within the window, paid once
however the facts race; a refund within the window takes it back (never below zero: what was
withdrawn is owed and recovered from the next red packet); levels give their voucher once and a
bonus; the daily limit and fraud hold or void."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.support.schemas import FeedbackCreate
from platform_core.support.services import inbox, send_feedback
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_console_user,
    make_customer,
)
from plugins.referral import rewards

from .helpers import (
    RULES,
    code_of,
    completed_paid_order,
    earnings,
    invite_state,
    refund,
    register,
    rewards_of,
    until,
)


async def template(tenant, name: str, amount_off: int = 2000) -> int:
    async with tenant_scope(tenant.id):
        made = await promotions.create_template(CouponTemplateFields(name=name, kind="amount_off", amount_off=amount_off, valid_days=30,
                                                                     per_customer_limit=5))
    return made.id


async def coupons_of(tenant, customer_id: int) -> list[str]:
    async with tenant_scope(tenant.id):
        return sorted(c.template.name for c in await promotions.customer_coupons(customer_id))


async def test_the_friend_gets_the_welcome_coupon_and_the_inviter_a_red_packet_once_spend_qualifies(app, runtime, tenant_a, enable_plugin):
    welcome = await template(tenant_a, "Welcome ¥20")
    await enable_plugin(tenant_a, "referral", **RULES, invitee_coupon_template_id=welcome)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    assert await coupons_of(tenant_a, friend) == ["Welcome ¥20"]
    await completed_paid_order(tenant_a, friend, 6_000)
    await until(lambda: invite_state(tenant_a, friend))
    assert await earnings(tenant_a, inviter) == 0  # ¥60 of ¥100: not yet
    await completed_paid_order(tenant_a, friend, 5_000)

    async def paid():
        return await earnings(tenant_a, inviter) == 2000

    assert await until(paid)
    assert await invite_state(tenant_a, friend) == "rewarded"
    assert await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "paid")]
    await completed_paid_order(tenant_a, friend, 5_000)  # more spend: still one red packet
    await asyncio.sleep(0.5)
    assert await earnings(tenant_a, inviter) == 2000


async def test_two_qualifying_facts_racing_pay_the_red_packet_once(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    order = await completed_paid_order(tenant_a, friend, 12_000)
    await until(lambda: earnings(tenant_a, inviter))

    async def told():
        async with tenant_scope(tenant_a.id):
            await rewards.order_settled(order, clock.now())

    await asyncio.gather(told(), told(), told())
    assert await earnings(tenant_a, inviter) == 2000
    assert await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "paid")]


async def test_a_refund_within_the_window_reverses_the_red_packet_and_what_was_withdrawn_is_owed(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    code = await code_of(tenant_a, inviter)
    friend = await register(tenant_a, invite=code)
    order = await completed_paid_order(tenant_a, friend, 10_000)

    async def credited():
        return await earnings(tenant_a, inviter) == 2000

    assert await until(credited)
    async with tenant_scope(tenant_a.id):  # the inviter withdraws ¥15 of it (held for the payout)
        await ledger.hold_payout("customer", inviter, tenant_a.currency, 1500, payout_no="W-1")
    await refund(tenant_a, order, 1_000)  # ¥90 left: below ¥100

    async def reversed_():
        return ("inviter", "cash", 2000, "reversed") in await rewards_of(tenant_a, inviter)

    assert await until(reversed_)
    assert await earnings(tenant_a, inviter) == 0  # the ¥5 left taken back, never below zero
    async with tenant_scope(tenant_a.id):
        owed = await current_connection().fetchval("select owed from referral_reward where customer_id = $1", inviter)
    assert owed == 1500
    assert await invite_state(tenant_a, friend) == "registered"
    # The next friend's red packet pays the ¥15 back first.
    second = await register(tenant_a, invite=code)
    await completed_paid_order(tenant_a, second, 10_000)

    async def recovered():
        return await earnings(tenant_a, inviter) == 500

    assert await until(recovered)


async def test_a_refund_after_the_window_keeps_the_reward(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter), at=clock.now() - timedelta(days=29, hours=23))
    order = await completed_paid_order(tenant_a, friend, 10_000)

    async def credited():
        return await earnings(tenant_a, inviter) == 2000

    assert await until(credited)
    async with tenant_scope(tenant_a.id):
        await rewards.order_settled(order, clock.now() + timedelta(hours=2))  # a refund told after the window closed
        await current_connection().execute("update referral_spend set amount = 0")  # what a refund would leave
        await rewards.order_settled(order, clock.now() + timedelta(hours=2))
    assert await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "paid")]


async def test_levels_give_their_voucher_once_and_a_bonus_on_later_red_packets(app, runtime, tenant_a, enable_plugin):
    voucher = await template(tenant_a, "Free deep clean", 15_000)
    await enable_plugin(tenant_a, "referral", **RULES,
                        levels=[{"threshold": 2, "name": "Silver", "voucher_template_id": voucher, "bonus": 500},
                                {"threshold": 10, "name": "Gold", "bonus": 1000}])
    inviter = await make_customer(tenant_a)
    code = await code_of(tenant_a, inviter)
    for expected in (2000, 4000, 6500):  # the third red packet has Silver's ¥5 bonus
        friend = await register(tenant_a, invite=code)
        await completed_paid_order(tenant_a, friend, 10_000)

        async def reached(amount=expected):
            return await earnings(tenant_a, inviter) == amount

        assert await until(reached)
    assert await coupons_of(tenant_a, inviter) == ["Free deep clean"]
    assert [r for r in await rewards_of(tenant_a, inviter) if r[0] == "level"] == [("level", "coupon", 0, "paid")]


async def test_the_same_phone_or_address_on_both_sides_voids_the_reward(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    code = await code_of(tenant_a, inviter)
    await make_address(tenant_a, inviter, street="8 Nanjing Road", detail="Room 1201")
    friend = await register(tenant_a, invite=code)
    await make_address(tenant_a, friend, street="8 Nanjing Road ", detail="room 1201")
    await completed_paid_order(tenant_a, friend, 10_000)

    async def voided():
        return await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "voided")]

    assert await until(voided)
    assert await earnings(tenant_a, inviter) == 0 and await invite_state(tenant_a, friend) == "void"


async def test_a_shared_network_holds_the_reward_for_review_and_approval_pays_it_once(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    async with tenant_scope(tenant_a.id):
        for who, device in ((inviter, "iPhone Safari"), (friend, "Android WeChat")):
            await current_connection().execute(
                "insert into core_customer_sign_in (tenant_id, customer_id, method, ip, device) values ($1, $2, 'phone_code', '10.0.0.7', $3)",
                tenant_a.id, who, device)
    await completed_paid_order(tenant_a, friend, 10_000)

    async def held():
        return await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "held")]

    assert await until(held)
    async with tenant_scope(tenant_a.id):
        reward_id = await current_connection().fetchval("select id from referral_reward where customer_id = $1", inviter)

    async def decide(action):
        async with tenant_scope(tenant_a.id):
            try:
                await (rewards.approve(reward_id, 1) if action == "approve" else rewards.void(reward_id, 2, "Same household"))
                return "done"
            except Exception as exc:  # noqa: BLE001 - the loser's refusal is the point
                return type(exc).__name__

    outcomes = await asyncio.gather(decide("approve"), decide("void"))
    assert sorted(outcomes) == ["Conflict", "done"]
    state = (await rewards_of(tenant_a, inviter))[0][3]
    assert await earnings(tenant_a, inviter) == (2000 if state == "paid" else 0)


async def test_friends_beyond_the_daily_limit_wait_for_review_also_when_they_race(app, runtime, tenant_a, enable_plugin):
    welcome = await template(tenant_a, "Welcome ¥20")
    await enable_plugin(tenant_a, "referral", **{**RULES, "daily_limit": 1}, invitee_coupon_template_id=welcome)
    inviter = await make_customer(tenant_a)
    code = await code_of(tenant_a, inviter)
    first, second = await asyncio.gather(register(tenant_a, invite=code), register(tenant_a, invite=code))
    async with tenant_scope(tenant_a.id):
        flags = sorted(await current_connection().fetchval(
            "select array_agg(flags) from referral_invite where inviter_id = $1", inviter))
    assert flags == ["", "over_limit"]
    welcomed = {f: await coupons_of(tenant_a, f) for f in (first, second)}
    assert sorted(welcomed.values()) == [[], ["Welcome ¥20"]]  # the second friend's coupon waits for review too
    waiting = next(f for f, got in welcomed.items() if not got)
    async with tenant_scope(tenant_a.id):
        held_id = await current_connection().fetchval(
            "select id from referral_reward where customer_id = $1 and role = 'invitee' and state = 'held'", waiting)
        await rewards.approve(held_id, 1)  # the office approves: the coupon is issued
    assert await coupons_of(tenant_a, waiting) == ["Welcome ¥20"]


async def test_the_inviters_phone_as_the_friends_contact_phone_voids_the_reward(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a, phone="+8613700137001")
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    await make_address(tenant_a, friend, contact_phone="+8613700137001", street="99 Other Road")
    await completed_paid_order(tenant_a, friend, 10_000)

    async def voided():
        return await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "voided")]

    assert await until(voided)
    async with tenant_scope(tenant_a.id):
        assert (await rewards.list_rewards("voided"))[0].reason == "phone"


async def test_a_level_with_a_support_agent_routes_the_inviters_feedback_to_them(app, runtime, tenant_a, enable_plugin):
    agent = await make_console_user(tenant_a, "support")
    await enable_plugin(tenant_a, "referral", **RULES, levels=[{"threshold": 1, "name": "Silver", "support_agent_id": agent.id}])
    inviter, stranger = await make_customer(tenant_a), await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    async with tenant_scope(tenant_a.id):
        await send_feedback(inviter, FeedbackCreate(kind="problem", subject="before", body="no level yet"))
    await completed_paid_order(tenant_a, friend, 10_000)

    async def rewarded():
        return await invite_state(tenant_a, friend) == "rewarded"

    assert await until(rewarded)
    async with tenant_scope(tenant_a.id):
        await send_feedback(inviter, FeedbackCreate(kind="problem", subject="after", body="a silver inviter now"))
        await send_feedback(stranger, FeedbackCreate(kind="suggestion", subject="other", body="not an inviter"))
        rows = {(row.customer_id, row.feedback.subject): row.assigned_to for row in await inbox()}
    assert rows[(inviter, "after")] == agent.id
    assert rows[(inviter, "before")] is None and rows[(stranger, "other")] is None


async def test_a_review_decision_takes_the_invite_before_the_reward_as_a_refund_does(app, runtime, tenant_a, enable_plugin):
    """A refund reversing an invite locks the invite row, then the reward; an approval (or a void)
    of its held reward takes them in the same order, so the two never deadlock: while the refund
    holds the invite, the approval waits without holding the reward."""
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    async with tenant_scope(tenant_a.id):
        for who, device in ((inviter, "iPhone Safari"), (friend, "Android WeChat")):
            await current_connection().execute(
                "insert into core_customer_sign_in (tenant_id, customer_id, method, ip, device) values ($1, $2, 'phone_code', '10.0.0.7', $3)",
                tenant_a.id, who, device)
    await completed_paid_order(tenant_a, friend, 10_000)

    async def held():
        return await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "held")]

    assert await until(held)
    async with tenant_scope(tenant_a.id):
        reward_id, invite_id = await current_connection().fetchrow(
            "select id, invite_id from referral_reward where customer_id = $1", inviter)

    async def approve():
        async with tenant_scope(tenant_a.id):
            await rewards.approve(reward_id, 1)

    outside = contextvars.copy_context()  # no transaction in it
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        await conn.execute("select 1 from referral_invite where id = $1 for update", invite_id)  # the refund's first lock
        decision = asyncio.create_task(approve(), context=outside.copy())  # in its own transaction
        await asyncio.sleep(0.5)
        assert not decision.done()
        # the refund's next lock: free, since the waiting approval holds nothing yet
        await conn.execute("set local lock_timeout = '2s'")
        await conn.execute("select 1 from referral_reward where id = $1 for update", reward_id)
    await asyncio.wait_for(decision, 10)
    assert await rewards_of(tenant_a, inviter) == [("inviter", "cash", 2000, "paid")]
    assert await earnings(tenant_a, inviter) == 2000


async def test_a_withdrawal_between_reading_the_earnings_and_taking_back_leaves_the_rest_owed(app, runtime, tenant_a, enable_plugin,
                                                                                            monkeypatch):
    """The reversal reads the inviter's earnings, then debits them; a withdrawal asked for in
    between (it locks the earnings, the read does not) makes the debit short: the reversal takes
    what is left and keeps the rest owed, instead of failing and leaving the red packet paid."""
    await enable_plugin(tenant_a, "referral", **RULES)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    order = await completed_paid_order(tenant_a, friend, 10_000)

    async def credited():
        return await earnings(tenant_a, inviter) == 2000

    assert await until(credited)
    real_balance = rewards.ledger_balance
    reads = []

    async def read_then_withdraw(code, currency):
        seen = await real_balance(code, currency)
        if not reads:  # the withdrawal lands right after the first read
            await ledger.hold_payout("customer", inviter, currency, 1500, payout_no="W-RACE")
        reads.append(seen)
        return seen

    monkeypatch.setattr(rewards, "ledger_balance", read_then_withdraw)
    await refund(tenant_a, order, 1_000)

    async def reversed_():
        return ("inviter", "cash", 2000, "reversed") in await rewards_of(tenant_a, inviter)

    assert await until(reversed_)
    assert await earnings(tenant_a, inviter) == 0
    async with tenant_scope(tenant_a.id):
        owed = await current_connection().fetchval("select owed from referral_reward where customer_id = $1", inviter)
    assert owed == 1500 and reads[0] == 2000


async def test_a_welcome_coupon_template_that_is_gone_holds_the_coupon_and_still_binds_the_friend(app, runtime, tenant_a, enable_plugin):
    """The settings name a coupon template no longer there (or never there: the form takes an id):
    the friend is still bound to the inviter, their welcome coupon waits in the review queue with
    the reason, and the inviter's red packet still comes."""
    await enable_plugin(tenant_a, "referral", **RULES, invitee_coupon_template_id=987_654_321)
    inviter = await make_customer(tenant_a)
    friend = await register(tenant_a, invite=await code_of(tenant_a, inviter))
    assert await invite_state(tenant_a, friend) == "registered"
    assert await rewards_of(tenant_a, friend) == [("invitee", "coupon", 0, "held")]
    async with tenant_scope(tenant_a.id):
        reason = await current_connection().fetchval("select reason from referral_reward where customer_id = $1", friend)
    assert reason
    await completed_paid_order(tenant_a, friend, 10_000)

    async def paid():
        return await earnings(tenant_a, inviter) == 2000

    assert await until(paid)
