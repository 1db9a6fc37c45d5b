"""A worker takes a course: lessons read, the quiz graded on the server, the retake wait on the
clock, one attempt counted when two submits race, certificates numbered uniquely, and
on_course_passed told once. Also the requirement hook's answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.errors import Conflict, ValidationFailed
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import RequirementQuery
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_worker
from platform_core.training import learning, services
from platform_core.training.schemas import QuestionInput

from .helpers import answers, published_course, read_all


async def test_a_failed_quiz_waits_for_the_retake_and_a_pass_gives_a_certificate(tenant_a, monkeypatch):
    worker = await make_worker(tenant_a, "李阿姨")
    course_id = await published_course(tenant_a, pass_mark=100, retake_after_hours=24)
    async with tenant_scope(tenant_a.id):
        with pytest.raises(Conflict, match="Read every lesson"):
            await learning.start_attempt(worker, course_id)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(worker, course_id)
        failed = await learning.submit_attempt(worker, course_id, attempt.id, await answers(tenant_a, course_id, right=1))
        assert (failed.state, failed.score, failed.correct, failed.total) == ("failed", 50, 1, 2)
        assert failed.retake_at == failed.submitted_at + timedelta(hours=24)
        with pytest.raises(learning.RetakeWait):
            await learning.start_attempt(worker, course_id)
        (standing,) = [c for c in await learning.worker_courses(worker) if c.course_id == course_id]
        assert standing.status == "failed" and standing.retake_at == failed.retake_at
    later = failed.retake_at + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(worker, course_id)
        passed = await learning.submit_attempt(worker, course_id, attempt.id, await answers(tenant_a, course_id, right=2))
        assert (passed.state, passed.score) == ("passed", 100)
        (standing,) = [c for c in await learning.worker_courses(worker) if c.course_id == course_id]
        assert standing.status == "passed" and standing.certificate_no.startswith("TC")
        with pytest.raises(Conflict, match="passed this course already"):
            await learning.start_attempt(worker, course_id)


async def test_every_question_needs_an_answer(tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(worker, course_id)
        given = await answers(tenant_a, course_id, right=2)
        first = next(iter(given))
        with pytest.raises(ValidationFailed) as caught:
            await learning.submit_attempt(worker, course_id, attempt.id, {first: given[first], **{k: "9" for k in list(given)[1:]}})
        assert set(caught.value.fields) == {f"q-{k}" for k in list(given)[1:]}
        assert (await learning.get_attempt(worker, course_id, attempt.id)).state == "open"


async def test_two_submits_of_one_attempt_count_once_and_tell_once(app, runtime, tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a)
    await read_all(tenant_a, worker, course_id)
    told = []

    class Listener:
        @hookimpl
        def on_course_passed(self, event):
            told.append((event.staff_id, event.course_code, event.certificate_no))

    listener = Listener()
    runtime.pm.register(listener, name="core.training_test_listener")
    try:
        async with tenant_scope(tenant_a.id):
            attempt = await learning.start_attempt(worker, course_id)
        given = await answers(tenant_a, course_id, right=2)

        async def submit():
            async with tenant_scope(tenant_a.id):
                return await learning.submit_attempt(worker, course_id, attempt.id, given)

        results = await asyncio.gather(submit(), submit(), return_exceptions=True)
    finally:
        runtime.pm.unregister(listener)
    assert sorted(type(r).__name__ for r in results) == ["Attempt", "Conflict"]
    assert [str(r) for r in results if isinstance(r, Conflict)] == ["This quiz was already submitted."]
    assert len(told) == 1 and told[0][:2] == (worker, "safety")
    async with tenant_scope(tenant_a.id):
        (standing,) = [c for c in await learning.worker_courses(worker) if c.course_id == course_id]
    assert standing.certificate_no == told[0][2]


async def test_certificate_numbers_are_unique(tenant_a):
    numbers = set()
    course_id = await published_course(tenant_a, questions=1)
    for name in ("甲", "乙", "丙"):
        worker = await make_worker(tenant_a, name)
        await read_all(tenant_a, worker, course_id)
        async with tenant_scope(tenant_a.id):
            attempt = await learning.start_attempt(worker, course_id)
            await learning.submit_attempt(worker, course_id, attempt.id, await answers(tenant_a, course_id, right=1))
            # This course's: head office's published courses (a platform table) may be listed too.
            numbers.add(next(c for c in await learning.worker_courses(worker) if c.course_id == course_id).certificate_no)
    assert len(numbers) == 3 and None not in numbers


async def test_an_attempt_opened_before_the_quiz_changed_is_not_graded(tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(worker, course_id)
        await services.save_question(course_id, None, QuestionInput(prompt="新问题", choices=["是", "否"], answer=1))
        with pytest.raises(Conflict, match="course changed"):
            await learning.submit_attempt(worker, course_id, attempt.id, await answers(tenant_a, course_id, right=3))


async def test_editing_a_published_course_keeps_the_passes(tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a, questions=1)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(worker, course_id)
        await learning.submit_attempt(worker, course_id, attempt.id, await answers(tenant_a, course_id, right=1))
        await services.save_question(course_id, None, QuestionInput(prompt="新问题", choices=["是", "否"], answer=1))
        await services.archive(course_id)
        standing = next(c for c in await learning.worker_courses(worker) if c.course_id == course_id)
    assert standing.status == "passed"


async def test_the_requirement_hook_names_the_category_courses_but_not_onboarding(tenant_a, runtime):
    await published_course(tenant_a, code="cleaning-basics", categories=("cleaning",))
    await published_course(tenant_a, code="welcome", categories=(), onboarding=True)
    await published_course(tenant_a, code="repair", categories=("appliances",))
    async with tenant_scope(tenant_a.id) as tenant:
        from platform_core.pluginsys.calls import collect

        answers_ = await collect(runtime.hooks(tenant).compute_order_requirements,
                                 query=RequirementQuery(tenant=tenant, category="cleaning", item_id=1))
        ours = [r for _, r in answers_]
        # Onboarding is due for everyone (the staff app, who is due) but gates no work.
        assert len(ours) == 1 and ours[0].courses == ["cleaning-basics"] and "课程 cleaning-basics" in ours[0].reason
        assert await learning.order_requirement(RequirementQuery(tenant=tenant, category="nanny", item_id=1)) is None


async def test_a_course_without_a_quiz_is_passed_by_reading_every_lesson(tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a, questions=0)
    async with tenant_scope(tenant_a.id):
        with pytest.raises(Conflict, match="Read every lesson"):
            await learning.finish_course(worker, course_id)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        certificate = await learning.finish_course(worker, course_id)
        assert certificate.score is None and certificate.number.startswith("TC")
        with pytest.raises(Conflict, match="passed this course already"):
            await learning.finish_course(worker, course_id)


async def test_two_finishes_racing_give_one_certificate(tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a, questions=0)
    await read_all(tenant_a, worker, course_id)

    async def finish():
        async with tenant_scope(tenant_a.id):
            return await learning.finish_course(worker, course_id)

    results = await asyncio.gather(finish(), finish(), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Certificate", "Conflict"]
