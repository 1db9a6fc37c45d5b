"""Training's tables keep franchises apart: under another franchise's RLS no course, progress,
attempt or certificate of the first is seen, by SQL and through the staff app."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_worker, post_form, signed_in
from platform_core.training import learning
from tests.training.helpers import answers, published_course, read_all

TABLES = ("core_training_course", "core_training_progress", "core_training_attempt", "core_training_certificate")


async def test_tenant_b_sees_none_of_tenant_as_training(app, tenant_a, tenant_b):
    course_id = await published_course(tenant_a)
    worker = await make_worker(tenant_a)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(worker, course_id)
        await learning.submit_attempt(worker, course_id, attempt.id, await answers(tenant_a, course_id, right=2))
        assert all([await current_connection().fetchval(f"select count(*) from {t}") for t in TABLES])
    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        assert [await conn.fetchval(f"select count(*) from {t}") for t in TABLES] == [0, 0, 0, 0]
    b_worker = await make_worker(tenant_b)
    async with await signed_in(app, tenant_b, "staff", b_worker) as other:
        assert (await other.get(f"/staff/training/{course_id}")).status_code == 404
        assert (await post_form(other, f"/staff/training/{course_id}/quiz")).status_code == 404
        listing = await other.get("/staff/training")
        assert listing.status_code == 200 and "课程 safety" not in listing.text
