"""Statements add up and tie out to the ledger, in the franchise's calendar; drawing is idempotent
(the job twice, two racing); a confirmed statement is frozen; paying by bank posts once."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from platform_core import clock
from platform_core.errors import Conflict, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.notifications.services import list_notifications
from platform_core.orders.services import order_summaries
from platform_core.staff_pay import adjustments, periods, services
from platform_core.staff_pay.schemas import AdjustmentCreate, PaySettings
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_worker

from .helpers import backdate, settled_order

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hh: int, mm: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=tz)


def test_an_instant_late_on_the_last_day_belongs_to_its_period_weekly_and_monthly():
    weekly = PaySettings(period="weekly", week_start=0)
    # Sunday 2026-11-29 23:50 in Shanghai is 15:50 UTC: still the week of Monday the 23rd there.
    late = at(date(2026, 11, 29), 23, 50, SHANGHAI).astimezone(ZoneInfo("UTC"))
    week = periods.period_at(late, weekly, SHANGHAI)
    assert (week.first_day, week.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week.starts_at <= late < week.ends_at
    assert periods.period_at(late + timedelta(minutes=10), weekly, SHANGHAI).first_day == date(2026, 11, 30)
    # A week that starts on Wednesday.
    assert periods.period_of(date(2026, 12, 1), PaySettings(week_start=2), SHANGHAI).first_day == date(2026, 11, 25)
    monthly = PaySettings(period="monthly")
    month_end = at(date(2026, 2, 28), 23, 50, SHANGHAI)
    month = periods.period_at(month_end, monthly, SHANGHAI)
    assert (month.first_day, month.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month.ends_at == at(date(2026, 3, 1), 0, 0, SHANGHAI)
    assert periods.last_ended(date(2026, 3, 1), monthly, SHANGHAI).first_day == date(2026, 2, 1)
    assert periods.draw_day(month, PaySettings(period="monthly", draw_after_days=2)) == date(2026, 3, 3)


async def _monthly(tenant) -> tuple[ZoneInfo, periods.PayPeriod]:
    """Monthly pay for `tenant`; its zone and last month."""
    async with tenant_scope(tenant.id):
        await services.save_pay_settings(PaySettings(period="monthly"))
        tz = services.zone()
        return tz, periods.last_ended(clock.today(tz), PaySettings(period="monthly"), tz)


async def test_a_months_statement_adds_up_and_ties_out_to_the_ledger(tenant_a, hearth_owner_url):
    tz, month = await _monthly(tenant_a)
    worker = await make_worker(tenant_a, "王阿姨")
    maker, checker = await make_console_user(tenant_a, "finance"), await make_console_user(tenant_a, "owner")
    before = await settled_order(tenant_a, worker, paid=10000)  # the month before: the opening balance
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at - timedelta(days=3), order_id=before)
    last_minute = await settled_order(tenant_a, worker, paid=15900)  # 23:50 on the month's last day
    await backdate(hearth_owner_url, tenant_a.id, at(month.last_day, 23, 50, tz), order_id=last_minute)
    after = await settled_order(tenant_a, worker, paid=20000)  # this month: not on last month's statement
    await backdate(hearth_owner_url, tenant_a.id, month.ends_at + timedelta(minutes=5), order_id=after)
    async with tenant_scope(tenant_a.id):
        bonus = await adjustments.propose_adjustment(
            AdjustmentCreate(staff_id=worker, kind="bonus", amount=3000, reason="五星好评"), proposed_by=maker.id)
        await adjustments.approve_adjustment(bonus.id, approved_by=checker.id)
        fine = await adjustments.propose_adjustment(
            AdjustmentCreate(staff_id=worker, kind="deduction", amount=1000, reason="迟到"), proposed_by=maker.id)
        await adjustments.approve_adjustment(fine.id, approved_by=checker.id)
    for adjustment in (bonus, fine):
        await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=10), key=adjustments.ledger_key(adjustment.id))
    async with tenant_scope(tenant_a.id):
        await ledger.hold_payout("staff", worker, "CNY", 2000, payout_no="W-earlier")
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=12), key="payout:hold:W-earlier")

    async with tenant_scope(tenant_a.id):
        result = await services.draw_statements(month.first_day)
        assert result.created == 1
        [statement] = await services.period_statements(month.first_day)
        statement = await services.get_statement(statement.id)
        assert statement.staff_name == "王阿姨"
        assert statement.opening == 6000  # 60% of ¥100
        assert [(line.kind, line.amount) for line in statement.lines] == [
            ("bonus", 3000), ("deduction", -1000), ("payout", -2000), ("order", 9540)]
        order_line = statement.lines[-1]
        assert order_line.customer_paid == 15900 and order_line.order_number and order_line.item_title
        assert order_line.occurred_at.astimezone(tz).strftime("%m-%d %H:%M") == at(month.last_day, 23, 50, tz).strftime("%m-%d %H:%M")
        assert [line.note for line in statement.lines[:2]] == ["五星好评", "迟到"]
        assert (statement.orders_count, statement.commission, statement.bonuses, statement.deductions, statement.payouts) == (
            1, 9540, 3000, 1000, -2000)
        assert statement.net == 9540 + 3000 - 1000
        # Tie-out: the opening and closing balances are the ledger's at the period's two instants.
        now_balance = await ledger.balance(f"staff:{worker}:earnings", "CNY")
        assert statement.closing == now_balance - 12000  # this month's order (60% of ¥200) came after
        assert statement.closing == statement.opening + sum(line.amount for line in statement.lines)
        assert await services.ledger_closing_total([statement]) == statement.closing


async def test_drawing_is_idempotent_the_job_twice_and_two_racing(tenant_a, hearth_owner_url):
    tz, month = await _monthly(tenant_a)
    worker = await make_worker(tenant_a)
    order_id = await settled_order(tenant_a, worker)
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(hours=1), order_id=order_id)

    async def draw():
        async with tenant_scope(tenant_a.id):
            return await services.draw_statements(month.first_day)

    results = await asyncio.gather(draw(), draw())
    assert sorted(r.created for r in results) == [0, 1]
    async with tenant_scope(tenant_a.id):
        first = await services.draw_due_statements()
        again = await services.draw_due_statements()
        assert first is not None and (first.created, again.created) == (0, 0)
        assert len(await services.period_statements(month.first_day)) == 1


async def test_a_worker_with_nothing_in_the_period_gets_no_statement_and_a_period_not_over_is_refused(tenant_a):
    worker = await make_worker(tenant_a)
    await settled_order(tenant_a, worker)  # this month: not last month's
    tz, month = await _monthly(tenant_a)
    async with tenant_scope(tenant_a.id):
        assert (await services.draw_statements(month.first_day)).created == 0
        with pytest.raises(ValidationFailed) as early:
            await services.draw_statements(clock.today(tz))
        assert "period" in early.value.fields


async def test_a_confirmed_statement_is_frozen_and_paying_it_by_bank_posts_once(tenant_a, hearth_owner_url):
    tz, month = await _monthly(tenant_a)
    worker = await make_worker(tenant_a)
    user = await make_console_user(tenant_a, "finance")
    order_id = await settled_order(tenant_a, worker, paid=10000)
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=2), order_id=order_id)
    async with tenant_scope(tenant_a.id):
        await services.draw_statements(month.first_day)
        [draft] = await services.period_statements(month.first_day)
        with pytest.raises(ValidationFailed):
            await services.mark_paid_by_bank([draft.id], by=user.id, reference="x")  # not confirmed yet
        await services.confirm_statement(draft.id, by=user.id)
    late = await settled_order(tenant_a, worker, paid=5000)  # a late posting in the month
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=3), order_id=late)
    async with tenant_scope(tenant_a.id):
        assert (await services.draw_statements(month.first_day)).kept == 1
        with pytest.raises(Conflict):
            await services.redraw_statement(draft.id, by=user.id)
        frozen = await services.get_statement(draft.id)
        assert frozen.net == 6000 and len(frozen.lines) == 1

    async def pay():
        async with tenant_scope(tenant_a.id):
            return await services.mark_paid_by_bank([draft.id], by=user.id, reference="ICBC-778")

    results = await asyncio.gather(pay(), pay(), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "list"]
    async with tenant_scope(tenant_a.id):
        paid = await services.get_statement(draft.id)
        assert (paid.state, paid.pay_method, paid.pay_reference) == ("paid", "bank", "ICBC-778")
        assert await ledger.balance(f"staff:{worker}:earnings", "CNY") == 9000 - 6000
        assert await ledger.balance("provider:bank:clearing", "CNY") == -6000
        assert await ledger.balance("payouts:pending", "CNY") == 0
        # The worker was told twice, in their inbox, with a link to the statement.
        inbox = await list_notifications("staff", worker)
        assert [n.link for n in inbox] == [f"/staff/statements/{draft.id}"] * 2
        assert all(str(month.first_day) in n.title for n in inbox)


async def test_a_net_the_earnings_no_longer_cover_is_a_clear_400(tenant_a, hearth_owner_url):
    tz, month = await _monthly(tenant_a)
    worker = await make_worker(tenant_a)
    user = await make_console_user(tenant_a, "finance")
    order_id = await settled_order(tenant_a, worker, paid=10000)
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=2), order_id=order_id)
    async with tenant_scope(tenant_a.id):
        await services.draw_statements(month.first_day)
        [statement] = await services.period_statements(month.first_day)
        await services.confirm_statement(statement.id, by=user.id)
        await ledger.hold_payout("staff", worker, "CNY", 5000, payout_no="W-withdrawn")  # withdrew meanwhile
        with pytest.raises(ValidationFailed) as short:
            await services.mark_paid_by_bank([statement.id], by=user.id, reference="")
        assert "earnings" in short.value.fields["statement_ids"]
        assert (await services.get_statement(statement.id)).state == "confirmed"


async def test_on_demand_pay_leaves_statements_as_reports_and_a_proposer_may_withdraw_their_adjustment(tenant_a, hearth_owner_url):
    tz, month = await _monthly(tenant_a)
    worker = await make_worker(tenant_a)
    user = await make_console_user(tenant_a, "finance")
    order_id = await settled_order(tenant_a, worker, paid=10000)
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=2), order_id=order_id)
    async with tenant_scope(tenant_a.id):
        await services.save_pay_settings(PaySettings(period="monthly", pay_mode="on_demand"))
        await services.draw_statements(month.first_day)
        [statement] = await services.period_statements(month.first_day)
        await services.confirm_statement(statement.id, by=user.id)
        with pytest.raises(ValidationFailed) as refused:
            await services.mark_paid_by_bank([statement.id], by=user.id, reference="")
        assert "withdraw" in refused.value.fields["statement_ids"]
        assert await ledger.balance(f"staff:{worker}:earnings", "CNY") == 6000
        proposal = await adjustments.propose_adjustment(
            AdjustmentCreate(staff_id=worker, kind="bonus", amount=500, reason="typo"), proposed_by=user.id)
        assert (await adjustments.reject_adjustment(proposal.id, rejected_by=user.id)).state == "rejected"
        again = await adjustments.propose_adjustment(
            AdjustmentCreate(staff_id=worker, kind="bonus", amount=800, reason="全勤奖"), proposed_by=None,
            source="assessment", source_ref="month-11")
        same = await adjustments.propose_adjustment(
            AdjustmentCreate(staff_id=worker, kind="bonus", amount=800, reason="全勤奖"), proposed_by=None,
            source="assessment", source_ref="month-11")
        assert same.id == again.id


async def test_an_adjustment_for_an_order_shows_that_order_on_the_statement(tenant_a, hearth_owner_url):
    tz, month = await _monthly(tenant_a)
    worker = await make_worker(tenant_a)
    maker, checker = await make_console_user(tenant_a, "finance"), await make_console_user(tenant_a, "owner")
    order_id = await settled_order(tenant_a, worker, paid=10000)
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=2), order_id=order_id)
    async with tenant_scope(tenant_a.id):
        number = (await order_summaries([order_id]))[order_id].number
        fine = await adjustments.propose_adjustment(
            AdjustmentCreate(staff_id=worker, kind="deduction", amount=2000, reason="打碎花瓶", order_number=number), proposed_by=maker.id)
        await adjustments.approve_adjustment(fine.id, approved_by=checker.id)
    await backdate(hearth_owner_url, tenant_a.id, month.starts_at + timedelta(days=3), key=adjustments.ledger_key(fine.id))
    async with tenant_scope(tenant_a.id):
        await services.draw_statements(month.first_day)
        [statement] = await services.period_statements(month.first_day)
        lines = (await services.get_statement(statement.id)).lines
        assert [(line.kind, line.order_number, line.amount, line.note) for line in lines] == [
            ("order", number, 6000, ""), ("deduction", number, -2000, "打碎花瓶")]
        assert statement.net == 4000


async def test_the_daily_job_draws_only_from_the_draw_day_on(tenant_a, hearth_owner_url):
    async with tenant_scope(tenant_a.id):
        tz = services.zone()
        today = clock.today(tz)
        # Weeks that start today: the week just ended ended at today's midnight.
        await services.save_pay_settings(PaySettings(week_start=today.weekday(), draw_after_days=1))
    worker = await make_worker(tenant_a)
    order_id = await settled_order(tenant_a, worker)
    await backdate(hearth_owner_url, tenant_a.id, at(today - timedelta(days=1), 23, 50, tz), order_id=order_id)
    async with tenant_scope(tenant_a.id):
        assert await services.draw_due_statements() is None  # drawn tomorrow
        await services.save_pay_settings(PaySettings(week_start=today.weekday(), draw_after_days=0))
        drawn = await services.draw_due_statements()
        assert drawn is not None and drawn.created == 1
        assert (drawn.period.first_day, drawn.period.last_day) == (today - timedelta(days=7), today - timedelta(days=1))
