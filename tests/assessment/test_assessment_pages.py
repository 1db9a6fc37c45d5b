"""The assessment pages over HTTP: the office upholds a complaint, computes and applies the
month, decides appeals (the second decider gets 409); the worker sees only their own card and
appeals; hostile input answers 400 at the field; another franchise sees nothing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.assessment import rules, scorecards, watch
from platform_core.assessment.schemas import AssessmentSettings
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_worker,
    post_form,
    signed_in,
)

from .helpers import a_month_of_work

RULES = AssessmentSettings(min_jobs=1, top_decile_bonus=10000, complaint_deduction=5000, low_rating_deduction=2000)


async def test_the_office_and_the_worker_go_through_the_month(app, tenant_a, tenant_b):
    owner = await make_console_user(tenant_a, "owner")
    work = await a_month_of_work(tenant_a, owner.id)
    month = f"{work.month:%Y-%m}"
    async with tenant_scope(tenant_a.id):
        await scorecards.save_settings(RULES, by=owner.id)
    async with await signed_in(app, tenant_a, "console", owner.id) as office:
        feedback = await office.get(f"/console/feedback/{work.complaint_id}")
        assert feedback.status_code == 200 and "客户有照片为证" in feedback.text and "李师傅" in feedback.text
        again = await post_form(office, f"/console/feedback/{work.complaint_id}/outcome", {"outcome": "not_upheld", "reason": "x"})
        assert again.status_code == 409

        assert (await post_form(office, "/console/quality/scorecards/compute", {"month": month})).status_code == 303
        listing = await office.get(f"/console/quality/scorecards?month={month}")
        assert listing.status_code == 200 and "王阿姨" in listing.text and "李师傅" in listing.text
        assert (await post_form(office, "/console/quality/scorecards/apply", {"month": month})).status_code == 303
        assert (await post_form(office, "/console/quality/scorecards/apply", {"month": month})).status_code == 303
        async with tenant_scope(tenant_a.id):
            items = await rules.items(month=work.month)
            card = next(c for c in await scorecards.month_cards(work.month) if c.staff_id == work.poor)
        assert len(items) == 3
        shown = await office.get(f"/console/quality/scorecards/{card.id}")
        assert shown.status_code == 200 and "Why this score" in shown.text and "On-time arrival" in shown.text

        quality = await office.get(f"/console/quality?month={month}")
        assert quality.status_code == 200 and "迟到四十分钟，地板没拖干净" in quality.text
        assert "李师傅" in quality.text  # suggested for the watch list (under 60)
        watched = await post_form(office, "/console/quality/watch", {"staff_id": str(work.poor), "reason": "投诉与差评"})
        assert watched.status_code == 303
        twice = await post_form(office, "/console/quality/watch", {"staff_id": str(work.poor), "reason": "again"})
        assert twice.status_code == 409 and "already on watch" in twice.text
        soon = clock.today(ZoneInfo(tenant_a.timezone)) + timedelta(days=3)
        note = await post_form(office, "/console/quality/notes", {"staff_id": str(work.poor), "note": "准时到达的重要性",
                                                                 "follow_up_on": soon.isoformat()})
        assert note.status_code == 303
        async with tenant_scope(tenant_a.id):
            note_id = (await watch.notes(work.poor))[0].id
        quality = await office.get("/console/quality")
        assert "准时到达的重要性" in quality.text and "投诉与差评" in quality.text
        done = await post_form(office, f"/console/quality/notes/{note_id}/done", {"outcome": "本周三次准时"})
        assert done.status_code == 303
        assert (await post_form(office, f"/console/quality/notes/{note_id}/done", {"outcome": "again"})).status_code == 409
        formula_page = await office.get("/console/quality/formula")
        assert formula_page.status_code == 200
        preview = await post_form(office, "/console/quality/formula", {"w_quality": "10", "month": month, "preview": "1",
                                                                       "top_decile_bonus": "100", "complaint_deduction": "50"})
        assert preview.status_code == 200 and "李师傅" in preview.text

    async with await signed_in(app, tenant_a, "staff", work.poor) as phone:
        page = await phone.get("/staff/scorecard")
        assert page.status_code == 200 and "王阿姨" not in page.text
        complaint = next(i for i in items if i.rule == "complaint")
        bonus = next(i for i in items if i.rule == "top_decile")
        empty = await post_form(phone, f"/staff/scorecard/items/{complaint.id}/appeal", {"comment": "  "})
        assert empty.status_code == 400
        nul = await post_form(phone, f"/staff/scorecard/items/{complaint.id}/appeal", {"comment": "a\x00b"})
        assert nul.status_code == 400
        assert (await post_form(phone, f"/staff/scorecard/items/{bonus.id}/appeal", {"comment": "not mine"})).status_code == 404
        sent = await post_form(phone, f"/staff/scorecard/items/{complaint.id}/appeal", {"comment": "那天堵车"})
        assert sent.status_code == 303

    async with tenant_scope(tenant_a.id):
        appeal_id = (await rules.get_item(complaint.id)).appeal.id
    manager = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as office, await signed_in(app, tenant_a, "console", manager.id) as other:
        listing = await office.get("/console/quality/appeals")
        assert listing.status_code == 200 and "那天堵车" in listing.text
        dashboard = await office.get("/console/")
        assert 'data-tile="Appeals waiting"' in dashboard.text and "/console/quality/appeals" in dashboard.text
        first = await post_form(office, f"/console/quality/appeals/{appeal_id}/decide", {"decision": "rejected", "note": "有照片为证"})
        second = await post_form(other, f"/console/quality/appeals/{appeal_id}/decide", {"decision": "upheld", "note": "同意"})
        assert first.status_code == 303 and second.status_code == 409

    async with await signed_in(app, tenant_a, "staff", work.poor) as phone:
        assert "有照片为证" in (await phone.get("/staff/scorecard")).text

    # Another franchise's office and worker see none of it.
    other_owner = await make_console_user(tenant_b, "owner")
    other_worker = await make_worker(tenant_b, "赵师傅")
    async with await signed_in(app, tenant_b, "console", other_owner.id) as foreign:
        assert (await foreign.get(f"/console/quality/scorecards/{card.id}")).status_code == 404
        assert "李师傅" not in (await foreign.get(f"/console/quality?month={month}")).text
        assert (await post_form(foreign, f"/console/quality/appeals/{appeal_id}/decide", {"decision": "upheld", "note": "x"})).status_code == 404
        assert (await foreign.get(f"/console/feedback/{work.complaint_id}")).status_code == 404
    async with await signed_in(app, tenant_b, "staff", other_worker) as foreign_phone:
        assert (await post_form(foreign_phone, f"/staff/scorecard/items/{complaint.id}/appeal", {"comment": "x"})).status_code == 404


async def test_hostile_input_on_the_assessment_forms_is_a_400_at_the_field(app, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    worker = await make_worker(tenant_a, "王阿姨")
    async with await signed_in(app, tenant_a, "console", owner.id) as office:
        cases = [
            ("/console/quality/watch", {"staff_id": str(worker), "reason": "x\x00y"}),
            ("/console/quality/watch", {"staff_id": "99999999999999999999", "reason": "x"}),
            ("/console/quality/watch", {"staff_id": str(worker), "reason": "x" * 600}),
            ("/console/quality/notes", {"staff_id": str(worker), "note": "ok", "follow_up_on": "9999-01-01"}),
            ("/console/quality/notes", {"staff_id": str(worker), "note": "ok", "follow_up_on": "2001-01-01"}),
            ("/console/quality/notes", {"staff_id": str(worker), "note": ""}),
            ("/console/quality/formula", {"w_quality": "1e308"}),
            ("/console/quality/formula", {"w_quality": "10", "top_decile_bonus": "-5"}),
            ("/console/quality/formula", {"w_quality": "10", "grace_minutes": "99999"}),
            ("/console/quality/formula", {"w_quality": "0", "w_attitude": "0", "w_skill": "0", "w_complaints": "0", "w_on_time": "0",
                                          "w_no_shows": "0", "w_declines": "0", "w_jobs": "0", "w_repeat": "0"}),
            ("/console/quality/notes/99999999999/done", {"outcome": "ok"}),
            ("/console/quality/appeals/1/decide", {"decision": "maybe", "note": "x"}),
        ]
        for path, form in cases:
            answer = await post_form(office, path, form)
            assert 400 <= answer.status_code < 500, (path, form, answer.status_code)
        assert (await office.get("/console/quality/scorecards/99999999999999999999")).status_code == 404
        assert (await office.get("/console/quality?month=9999-99")).status_code == 200
        assert (await office.get("/console/quality/scorecards?month=%00")).status_code in (200, 400)
