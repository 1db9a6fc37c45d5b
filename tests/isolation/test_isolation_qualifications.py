"""The tables issue 14's qualifications added keep franchises apart: candidates' applications and
their documents, workers' credentials, requirement rules, credential kinds, course passes and
reminders are invisible to another franchise, by SQL under its RLS and through its console; one
worker sees only their own credentials."""

from __future__ import annotations

import secrets
from datetime import timedelta

from platform_core import clock
from platform_core.accounts.phones import masked, phone_index
from platform_core.db import current_connection
from platform_core.pluginsys.contexts import CourseEvent
from platform_core.qualifications import (
    applications,
    credentials,
    eligibility,
    kinds,
    reminders,
    rules,
)
from platform_core.qualifications.schemas import (
    ApplicationCreate,
    DocumentCreate,
    KindCreate,
    RuleCreate,
)
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_item,
    make_worker,
    png_image,
    post_form,
    random_phone,
    signed_in,
)

TABLES = ("core_credential_kind", "core_staff_application", "core_credential", "core_staff_application_event",
          "core_credential_requirement", "core_course_pass", "core_credential_reminder")


async def _everything_in(tenant) -> dict[str, int]:
    category = f"care-{secrets.token_hex(3)}"
    await make_item(tenant, category=category)
    worker = await make_worker(tenant, "甲方阿姨")
    async with tenant_scope(tenant.id) as context:
        await kinds.add_kind(KindCreate(code="lifeguard", name="救生员证", expires=True))
        await rules.add_rule(RuleCreate(category=category, kind="health_certificate"), by=1, categories={category})
        application = await applications.submit_application(
            random_phone(), ApplicationCreate(name="候选人", id_number="440106197803150023", categories=[category]), png_image(), [])
        credential = await credentials.add_document(
            DocumentCreate(kind="health_certificate", number="HC-1", expires_on=clock.today(tenant.timezone) + timedelta(days=7)),
            png_image(), staff_id=worker)
        await credentials.review_document(credential.id, approve=True, reason="", by=1)
        await eligibility.record_course_pass(CourseEvent(tenant=context, staff_id=worker, course_code="basics", certificate_no="N-1",
                                                         passed_at=clock.now()))
        assert await reminders.send_due_reminders() == 1
    return {"application": application.id, "credential": credential.id, "worker": worker}


async def test_tenant_b_sees_none_of_tenant_as_qualification_rows(app, tenant_a, tenant_b):
    await _everything_in(tenant_a)
    async with tenant_scope(tenant_a.id):
        assert all([await current_connection().fetchval(f"select count(*) from {t}") for t in TABLES])
    async with tenant_scope(tenant_b.id):
        for table in TABLES:
            assert await current_connection().fetchval(f"select count(*) from {table}") == 0, table
        assert "lifeguard" not in await kinds.all_kinds()


async def test_tenant_bs_office_can_not_open_or_decide_tenant_as_applications_and_credentials(app, tenant_a, tenant_b):
    ids = await _everything_in(tenant_a)
    office_b = await make_console_user(tenant_b, "owner")
    async with await signed_in(app, tenant_b, "console", office_b.id) as console:
        assert (await console.get(f"/console/staff/applications/{ids['application']}")).status_code == 404
        assert (await console.get(f"/console/staff/documents/{ids['credential']}/photo")).status_code == 404
        assert (await console.get(f"/console/workers/{ids['worker']}/credentials")).status_code == 404
        revoke = await post_form(console, f"/console/staff/credentials/{ids['credential']}/revoke", {"reason": "x"})
        approve = await post_form(console, f"/console/staff/applications/{ids['application']}/approve")
        assert (revoke.status_code, approve.status_code) == (404, 404)
        listing = await console.get("/console/staff/applications")
        assert "候选人" not in listing.text
    async with tenant_scope(tenant_a.id):
        assert (await credentials.get_document(ids["credential"])).state == "approved"


async def test_a_worker_sees_only_their_own_credentials(app, tenant_a):
    ids = await _everything_in(tenant_a)
    other = await make_worker(tenant_a, "乙师傅")
    async with await signed_in(app, tenant_a, "staff", other) as worker_app:
        mine = await worker_app.get("/staff/credentials")
        assert mine.status_code == 200 and "No credentials yet" in mine.text and 'data-credential=' not in mine.text
    async with tenant_scope(tenant_a.id):
        assert [d.id for d in await credentials.credentials_of_worker(ids["worker"])] == [ids["credential"]]
        assert await credentials.credentials_of_worker(other) == []
        # The phone of an application is kept as a cipher and an index, never in clear.
        row = await current_connection().fetchrow("select phone_cipher, phone_index, phone_masked from core_staff_application")
        e164 = current_runtime().keyring.decrypt(row["phone_cipher"], context="phone")
        assert e164.startswith("+86") and e164 not in (row["phone_cipher"], row["phone_index"])
        assert row["phone_index"] == phone_index(current_runtime().keyring, e164) and row["phone_masked"] == masked(e164)
