"""The assessment against the real database: an upheld complaint, the month's scorecards over
the local month's edges, the monthly job (once), the rules proposing once, approval reaching the
pay statement, appeals and their races."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from platform_core.assessment import appeals, formula, jobs, rules, scorecards
from platform_core.assessment.schemas import (
    AppealCreate,
    AppealDecision,
    AssessmentSettings,
)
from platform_core.errors import Conflict, ValidationFailed
from platform_core.staff_pay import adjustments
from platform_core.staff_pay import services as pay
from platform_core.staff_pay.schemas import PaySettings
from platform_core.support import services as support
from platform_core.support.schemas import ComplaintDecision
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user

from ..staff_pay.helpers import backdate
from .helpers import a_month_of_work

RULES = AssessmentSettings(min_jobs=1, top_decile_bonus=10000, complaint_deduction=5000, low_rating_deduction=2000)


async def test_a_complaint_is_upheld_once_against_the_order_s_worker(app, tenant_a):
    office = await make_console_user(tenant_a, "owner")
    work = await a_month_of_work(tenant_a, office.id)
    async with tenant_scope(tenant_a.id):
        item = await support.inbox_item(work.complaint_id)
        assert item.outcome.outcome == "upheld" and item.outcome.staff_id == work.poor and item.outcome.reason == "客户有照片为证"
        assert item.outcome.decided_by == office.id and item.outcome.staff_name == "李师傅"
        with pytest.raises(Conflict):
            await support.decide_complaint(work.complaint_id, office.id, ComplaintDecision(outcome="not_upheld", reason="再看看"))


async def test_the_month_s_cards_count_the_local_month_and_say_why(app, tenant_a):
    office = await make_console_user(tenant_a, "owner")
    work = await a_month_of_work(tenant_a, office.id)
    async with tenant_scope(tenant_a.id):
        await scorecards.save_settings(RULES, by=office.id)
        assert await jobs.compute_last_month() is True
        assert await jobs.compute_last_month() is False  # idempotent: the cards are there
        cards = {c.staff_id: c for c in await scorecards.month_cards(work.month)}
    poor = {p.name: p for p in cards[work.poor].parts}
    good = {p.name: p for p in cards[work.good].parts}
    # 00:30 on the first local day is in; 00:30 on the next month's first day is not.
    assert cards[work.poor].completed == 2 and poor["jobs"].value == 2
    assert poor["complaints"].value == 1 and poor["on_time"].value == 0.0 and poor["on_time"].basis == 1
    assert poor["quality"].value == 1.0 and poor["attitude"].value == 2.0
    assert good["on_time"].value == 1.0 and good["quality"].value == 5.0 and good["complaints"].normalised == 1.0
    assert cards[work.good].score > cards[work.poor].score
    assert cards[work.good].rank == 1 and cards[work.poor].rank == 2 and cards[work.good].ranked == 2
    assert round(sum(p.points for p in cards[work.poor].parts), 1) == cards[work.poor].score


async def test_rules_propose_once_approval_reaches_the_statement_and_appeals_are_decided_once(app, tenant_a, hearth_owner_url):
    office = await make_console_user(tenant_a, "owner")
    checker = await make_console_user(tenant_a, "finance")
    work = await a_month_of_work(tenant_a, office.id)
    async with tenant_scope(tenant_a.id):
        await scorecards.save_settings(RULES, by=office.id)
        assert await rules.apply_rules(work.month) == 3
        assert await rules.apply_rules(work.month) == 0  # applying twice never proposes twice
        items = await rules.items(month=work.month)
        assert sorted((i.staff_id, i.rule, i.amount) for i in items) == sorted(
            [(work.good, "top_decile", 10000), (work.poor, "complaint", 5000), (work.poor, "low_rating", 2000)])
        assert len([a for a in await adjustments.list_adjustments() if a.source == "assessment"]) == 3
        complaint = next(i for i in items if i.rule == "complaint")
        low = next(i for i in items if i.rule == "low_rating")
        bonus = next(i for i in items if i.rule == "top_decile")
        await adjustments.approve_adjustment(complaint.adjustment_id, approved_by=checker.id)
        await pay.save_pay_settings(PaySettings(period="monthly"))

    # The approved deduction is in the worker's pay statement (posted, as if approved, last month).
    starts, _ = formula.month_span(work.month, ZoneInfo(tenant_a.timezone))
    await backdate(hearth_owner_url, tenant_a.id, starts + timedelta(days=20), key=adjustments.ledger_key(complaint.adjustment_id))
    async with tenant_scope(tenant_a.id):
        await pay.draw_statements(work.month, staff_id=work.poor)
        statement = next(s for s in await pay.worker_statements(work.poor) if s.first_day == work.month)
        assert statement.deductions == 5000 and any(line.note == complaint.reason for line in (await pay.get_statement(statement.id)).lines)

        # The worker appeals; a bonus can not be appealed, nor an item twice, nor another's item.
        with pytest.raises(ValidationFailed):
            await appeals.appeal_item(work.good, bonus.id, AppealCreate(comment="?"))
        with pytest.raises(Exception):
            await appeals.appeal_item(work.good, complaint.id, AppealCreate(comment="不是我的"))
        appealed = await appeals.appeal_item(work.poor, complaint.id, AppealCreate(comment="那天堵车，我提前通知了客户"))
        with pytest.raises(Conflict):
            await appeals.appeal_item(work.poor, complaint.id, AppealCreate(comment="再申诉"))
        # Upheld: the approved deduction is given back by a bonus waiting for a colleague.
        decided = await appeals.decide_appeal(appealed.appeal.id, AppealDecision(decision="upheld", note="核实属实，退还扣款"), by=office.id)
        assert decided.appeal.state == "upheld" and decided.reversal_state == "proposed"
        reversal = await adjustments.get_adjustment(decided.reversal_adjustment_id)
        assert reversal.kind == "bonus" and reversal.amount == 5000 and reversal.proposed_by == office.id
        with pytest.raises(Conflict):
            await appeals.decide_appeal(appealed.appeal.id, AppealDecision(decision="rejected", note="second"), by=checker.id)

        # A deduction still waiting for approval is withdrawn when its appeal is upheld.
        second = await appeals.appeal_item(work.poor, low.id, AppealCreate(comment="客户评价有误"))
        withdrawn = await appeals.decide_appeal(second.appeal.id, AppealDecision(decision="upheld", note="撤销"), by=office.id)
        assert withdrawn.adjustment_state == "rejected" and withdrawn.reversal_adjustment_id is None
        mine = await rules.items(staff_id=work.poor)
        assert {i.appeal.state for i in mine if i.appeal} == {"upheld"}
