"""A worker's credentials: the staff app lists theirs and takes a renewal; the office approves it
(the old one is superseded) or rejects it with a reason, and revokes one with a reason; the
worker is told each time."""

from __future__ import annotations

from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.qualifications import credentials
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_worker,
    png_image,
    post_form,
    signed_in,
)

from .helpers import give_credential


async def _inbox(tenant, staff_id: int) -> list[str]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select title from core_notification where recipient_kind = 'staff' and recipient_id = $1 order by id", staff_id)
    return [r["title"] for r in rows]


async def test_a_worker_uploads_a_renewal_and_the_approved_one_supersedes_the_old(app, tenant_a):
    today = clock.today(tenant_a.timezone)
    worker = await make_worker(tenant_a, "周师傅")
    old = await give_credential(tenant_a, worker, "health_certificate", expires_on=today + timedelta(days=10))
    async with await signed_in(app, tenant_a, "staff", worker) as staff_app:
        page = await staff_app.get("/staff/credentials")
        assert "10 days left" in page.text
        missing = await post_form(staff_app, "/staff/credentials", {"kind": "health_certificate", "number": "HC-NEW"})
        assert missing.status_code == 400 and "Choose a photo to upload." in missing.text and "This kind of certificate expires" in missing.text
        sent = await post_form(staff_app, "/staff/credentials",
                               {"kind": "health_certificate", "number": "HC-NEW-2027", "issuer": "疾控中心",
                                "expires_on": str(today + timedelta(days=375))},
                               files={"photo": ("new.png", png_image(), "image/png")})
        assert sent.status_code == 303
    async with tenant_scope(tenant_a.id):
        renewal = next(d for d in await credentials.credentials_of_worker(worker) if d.state == "pending")
    assert renewal.renews_id == old
    office = await make_console_user(tenant_a, "manager")
    async with await signed_in(app, tenant_a, "console", office.id) as console:
        waiting = await console.get("/console/staff/credentials")
        assert f'data-credential="{renewal.id}"' in waiting.text
        no_reason = await post_form(console, f"/console/staff/credentials/{renewal.id}/reject", {"reason": ""})
        assert no_reason.status_code == 400
        approved = await post_form(console, f"/console/staff/credentials/{renewal.id}/approve",
                                   {"back": f"/console/workers/{worker}"})
        assert approved.status_code == 303 and approved.headers["location"].startswith(f"/console/workers/{worker}?done=renewal")
        twice = await post_form(console, f"/console/staff/credentials/{renewal.id}/approve")
        assert twice.status_code == 409
        panel = await console.get(f"/console/workers/{worker}/credentials")
        assert "Renewed" in panel.text and "375 days left" in panel.text
    async with tenant_scope(tenant_a.id):
        states = {d.id: d.state for d in await credentials.credentials_of_worker(worker)}
    assert states == {old: "superseded", renewal.id: "approved"}
    assert (await _inbox(tenant_a, worker)).count("您的健康证已审核通过。") == 2  # in the franchise's language


async def test_the_office_revokes_a_credential_with_a_reason_the_worker_reads(app, tenant_a):
    worker = await make_worker(tenant_a, "吴师傅")
    credential = await give_credential(tenant_a, worker, "electrician", expires_on=clock.today(tenant_a.timezone) + timedelta(days=300))
    office = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", office.id) as console:
        blank = await post_form(console, f"/console/staff/credentials/{credential}/revoke", {"reason": " "})
        assert blank.status_code == 400 and "Say why the credential is revoked." in blank.text
        done = await post_form(console, f"/console/staff/credentials/{credential}/revoke", {"reason": "证书已注销"})
        assert done.status_code == 303
        again = await post_form(console, f"/console/staff/credentials/{credential}/revoke", {"reason": "证书已注销"})
        assert again.status_code == 409
    assert any("已被吊销：证书已注销" in t for t in await _inbox(tenant_a, worker))
    async with await signed_in(app, tenant_a, "staff", worker) as staff_app:
        mine = await staff_app.get("/staff/credentials")
        assert "Revoked" in mine.text and "证书已注销" in mine.text
