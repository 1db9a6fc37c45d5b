"""The candidate's /join and the office's review over HTTP: apply with ID and certificates,
ask for more, approve (the worker is made and told) or reject with a reason, the photos shown only
to `staff.manage`, and two office users deciding at once."""

from __future__ import annotations

import asyncio
import secrets
from contextlib import aclosing

from platform_core.accounts.services import staff_id_for_phone
from platform_core.db import current_connection
from platform_core.qualifications import applications
from platform_core.staff.services import get_worker
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_item,
    post_form,
    random_phone,
    signed_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

from .helpers import application_files, application_form, join_verified


async def _category(tenant) -> str:
    code = f"clean-{secrets.token_hex(3)}"
    await make_item(tenant, category=code)
    return code


async def _apply(app, tenant, sms, category: str, candidate=None) -> tuple[str, int]:
    phone = random_phone()
    async with with_csrf(client_for(app, f"{tenant.slug}.localhost")) as own:
        candidate = candidate or own
        await join_verified(candidate, sms, phone)
        sent = await post_form(candidate, "/join", application_form(category), files=application_files())
        assert sent.status_code == 303, sent.text[:2000]
        status = await candidate.get("/join")
        assert "Under review" in status.text and "刘秀英" in status.text
    async with tenant_scope(tenant.id):
        return phone, (await applications.latest_for_phone(phone)).id


async def _documents(tenant, application_id: int) -> list[int]:
    async with tenant_scope(tenant.id):
        return [r["id"] for r in await current_connection().fetch(
            "select id from core_credential where application_id = $1 order by id", application_id)]


async def test_a_candidate_applies_and_the_office_approves_making_the_worker(app, tenant_a, sms):
    category = await _category(tenant_a)
    phone, application_id = await _apply(app, tenant_a, sms, category)
    id_card, certificate = await _documents(tenant_a, application_id)
    office = await make_console_user(tenant_a, "manager")
    async with await signed_in(app, tenant_a, "console", office.id) as console:
        queue = await console.get("/console/staff/applications")
        assert queue.status_code == 200 and "刘秀英" in queue.text
        review = await console.get(f"/console/staff/applications/{application_id}")
        assert "440106197803150023" not in review.text and "0023" in review.text and "GZ-HC-778812" not in review.text
        photo = await console.get(f"/console/staff/documents/{certificate}/photo")
        assert photo.headers["content-type"] == "image/png" and photo.headers["cache-control"] == "no-store, private"
        refused = await post_form(console, f"/console/staff/applications/{application_id}/approve")
        assert refused.status_code == 400 and "Approve or reject every document first." in refused.text
        for doc in (id_card, certificate):
            assert (await post_form(console, f"/console/staff/applications/{application_id}/documents/{doc}/approve")).status_code == 303
        again = await post_form(console, f"/console/staff/applications/{application_id}/documents/{certificate}/reject", {"reason": "x"})
        assert again.status_code == 409
        notes = await post_form(console, f"/console/staff/applications/{application_id}/notes",
                                {"background_check": "clear", "background_note": "无犯罪记录证明已核", "interview_note": "沟通顺畅"})
        assert notes.status_code == 303
        approved = await post_form(console, f"/console/staff/applications/{application_id}/approve")
        assert approved.status_code == 303
        page = await console.get(f"/console/staff/applications/{application_id}")
        assert "Application approved" in page.text and "Background check clear" in page.text
    async with tenant_scope(tenant_a.id) as tenant:
        staff_id = await staff_id_for_phone(app.state.runtime.keyring, tenant, phone)
        worker = await get_worker(staff_id)
        owned = await current_connection().fetch("select state from core_credential where staff_id = $1", staff_id)
    assert (worker.name, worker.skills, worker.years_experience, worker.service_radius_km) == ("刘秀英", ["cleaning"], 6, 8)
    assert sorted(r["state"] for r in owned) == ["approved", "approved"]
    assert any("/staff/sign-in" in m.body and m.purpose == "staff_application" for m in sms.sent_to(phone))
    async with await signed_in(app, tenant_a, "staff", staff_id) as worker_app:
        mine = await worker_app.get("/staff/credentials")
        assert mine.status_code == 200 and "Health certificate" in mine.text and "Approved" in mine.text


async def test_the_office_asks_for_more_the_candidate_adds_it_then_a_rejection_reason_reaches_them(app, tenant_a, sms):
    category = await _category(tenant_a)
    candidate = with_csrf(client_for(app, f"{tenant_a.slug}.localhost"))
    phone, application_id = await _apply(app, tenant_a, sms, category, candidate)
    office = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", office.id) as console:
        empty = await post_form(console, f"/console/staff/applications/{application_id}/more", {"what": "  "})
        assert empty.status_code == 400 and "Say what the candidate should add." in empty.text
        asked = await post_form(console, f"/console/staff/applications/{application_id}/more", {"what": "请补充育婴员证"})
        assert asked.status_code == 303
    assert any("请补充育婴员证" in m.body for m in sms.sent_to(phone))
    async with aclosing(candidate):
        # Back later in the same browser: the proved phone is kept for two hours.
        status = await candidate.get("/join")
        assert "请补充育婴员证" in status.text
        added = await post_form(candidate, "/join/more", {"doc0_kind": "childcare", "doc0_number": "YY-2025-1"},
                                files={"doc0_photo": ("c.png", application_files()["id_photo"][1], "image/png")})
        assert added.status_code == 303
        assert len(await _documents(tenant_a, application_id)) == 3
        async with await signed_in(app, tenant_a, "console", office.id) as console:
            # Hostile words are refused at their field, never a server error; nothing is decided.
            certificate = (await _documents(tenant_a, application_id))[-1]
            for path, field in ((f"/documents/{certificate}/reject", "reason"), ("/reject", "reason"), ("/more", "what")):
                for bad in ("a\x00b", "x" * 501):
                    refused = await post_form(console, f"/console/staff/applications/{application_id}{path}", {field: bad})
                    assert refused.status_code == 400, (path, refused.status_code)
            rejected = await post_form(console, f"/console/staff/applications/{application_id}/reject", {"reason": "年龄不符合要求"})
            assert rejected.status_code == 303
        assert any("年龄不符合要求" in m.body for m in sms.sent_to(phone))
        again = await candidate.get("/join")
        assert "年龄不符合要求" in again.text and 'action="/join"' in again.text


async def test_two_office_users_deciding_at_once_the_second_gets_a_409(app, tenant_a, sms):
    category = await _category(tenant_a)
    _, application_id = await _apply(app, tenant_a, sms, category)
    for doc in await _documents(tenant_a, application_id):
        async with tenant_scope(tenant_a.id):
            await applications.review_document(application_id, doc, approve=True, reason="", by=1)
    first, second = await make_console_user(tenant_a, "owner"), await make_console_user(tenant_a, "manager")
    async with await signed_in(app, tenant_a, "console", first.id) as one, await signed_in(app, tenant_a, "console", second.id) as two:
        answers = await asyncio.gather(
            post_form(one, f"/console/staff/applications/{application_id}/approve"),
            post_form(two, f"/console/staff/applications/{application_id}/reject", {"reason": "重复申请"}))
    assert sorted(a.status_code for a in answers) == [303, 409]
    async with tenant_scope(tenant_a.id):
        decided = await applications.get_application(application_id)
        events = [e.action for e in await applications.events(application_id)]
    assert decided.state in ("approved", "rejected") and decided.decided_by in (first.id, second.id)
    assert events.count("approved") + events.count("rejected") == 1


async def test_only_staff_managers_see_applications_and_their_photos(app, tenant_a, sms):
    category = await _category(tenant_a)
    _, application_id = await _apply(app, tenant_a, sms, category)
    doc = (await _documents(tenant_a, application_id))[0]
    finance = await make_console_user(tenant_a, "finance")
    async with await signed_in(app, tenant_a, "console", finance.id) as console:
        assert (await console.get(f"/console/staff/documents/{doc}/photo")).status_code == 403
        assert (await console.get(f"/console/staff/applications/{application_id}")).status_code == 403
