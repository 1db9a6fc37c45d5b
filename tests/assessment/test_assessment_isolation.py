"""The assessment's tables keep franchises apart: under another franchise's RLS no row of them
is visible, and its services find nothing of the first franchise's (the pages' 404s are in
test_assessment_pages)."""

from __future__ import annotations

import pytest

from platform_core.assessment import appeals, formula, rules, scorecards, watch
from platform_core.assessment.schemas import (
    AppealCreate,
    AppealDecision,
    AssessmentSettings,
    CoachingNoteCreate,
    FollowUpDone,
    WatchChange,
)
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.support import services as support
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_worker

from .helpers import a_month_of_work

TABLES = ("core_assessment_settings", "core_scorecard", "core_assessment_item", "core_assessment_appeal", "core_quality_watch",
          "core_coaching_note")


async def test_another_franchise_sees_no_row_and_no_object_of_the_first(app, tenant_a, tenant_b):
    owner = await make_console_user(tenant_a, "owner")
    other_owner = await make_console_user(tenant_b, "owner")
    work = await a_month_of_work(tenant_a, owner.id)
    async with tenant_scope(tenant_a.id):
        await scorecards.save_settings(AssessmentSettings(min_jobs=1, complaint_deduction=5000), by=owner.id)
        await rules.apply_rules(work.month)
        item = (await rules.items(month=work.month, staff_id=work.poor))[0]
        appealed = await appeals.appeal_item(work.poor, item.id, AppealCreate(comment="不同意"))
        await watch.put_on_watch(WatchChange(staff_id=work.poor, reason="观察"), by=owner.id)
        note = await watch.add_note(CoachingNoteCreate(staff_id=work.poor, note="谈话"), by=owner.id, today=scorecards.this_month())
        for table in TABLES:
            assert await current_connection().fetchval(f"select count(*) from {table}") >= 1, table
    other_worker = await make_worker(tenant_b, "赵师傅")
    async with tenant_scope(tenant_b.id):
        for table in TABLES:
            assert await current_connection().fetchval(f"select count(*) from {table}") == 0, table
        assert await scorecards.month_cards(work.month) == [] and await rules.items() == []
        assert await watch.on_watch() == [] and await watch.notes() == []
        with pytest.raises(NotFound):
            await rules.get_item(item.id)
        with pytest.raises(NotFound):
            await appeals.decide_appeal(appealed.appeal.id, AppealDecision(decision="upheld", note="x"), by=other_owner.id)
        with pytest.raises(NotFound):
            await support.inbox_item(work.complaint_id)
        with pytest.raises(ValidationFailed):  # A's worker is not B's to watch
            await watch.put_on_watch(WatchChange(staff_id=work.poor, reason="x"), by=other_owner.id)
        with pytest.raises(NotFound):
            await watch.complete_follow_up(note.id, FollowUpDone(outcome="x"), by=other_owner.id)
        assert await support.upheld_complaints(*formula.month_span(work.month, scorecards.zone())) == []
        assert other_worker not in {c.staff_id for c in await scorecards.month_cards(work.month)}
