"""Training over HTTP: the office writes and publishes a course, a worker takes it in the staff
app, head office publishes to two franchises, plugin courses are made and kept, and what another
franchise or another worker can not see; hostile input on the editor and the quiz."""

from __future__ import annotations

import pytest

from platform_core.pluginsys.contexts import (
    CourseSpec,
    LessonSpec,
    QuizQuestionSpec,
    RequirementQuery,
)
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_operator,
    make_worker,
    png_image,
    post_form,
    sign_in,
    signed_in,
    with_csrf,
)
from platform_core.training import learning, services, sync

from .helpers import answers, published_course, read_all


async def test_the_office_writes_publishes_and_a_worker_passes_in_the_staff_app(app, tenant_a):
    user = await make_console_user(tenant_a, "owner")
    worker = await make_worker(tenant_a, "王阿姨")
    async with await signed_in(app, tenant_a, "console", user.id) as office:
        created = await post_form(office, "/console/training", {"code": "first-day", "title": "服务规范与安全", "summary": "上岗必修"})
        assert created.status_code == 303
        course_id = int(created.headers["location"].split("/")[3].split("?")[0])
        assert (await post_form(office, f"/console/training/{course_id}/publish")).status_code == 409  # no lessons yet
        lesson = await post_form(office, f"/console/training/{course_id}/lessons",
                                 {"title": "进门之前", "body": "敲门。\n\n出示工牌。", "video_link": "https://video.example/intro.mp4"},
                                 files={"image_url:file": ("door.png", png_image(), "image/png")})
        assert lesson.status_code == 303
        question = await post_form(office, f"/console/training/{course_id}/questions",
                                   {"prompt": "进门前先做什么？", "choice0": "敲门", "choice1": "", "choice2": "直接进", "answer": "2"})
        assert question.status_code == 303
        settings = await post_form(office, f"/console/training/{course_id}/settings",
                                   {"title": "服务规范与安全", "pass_mark": "100", "retake_after_hours": "12", "onboarding": "1"})
        assert settings.status_code == 303
        assert (await post_form(office, f"/console/training/{course_id}/publish")).status_code == 303
        page = await office.get(f"/console/training/{course_id}")
        assert "进门之前" in page.text and "直接进" in page.text and "Published" in page.text
        due = await office.get("/console/training/due")
        assert "王阿姨" in due.text and "Not started" in due.text
        assert (await post_form(office, "/console/training/due/nudge", {"staff_id": str(worker), "course_id": str(course_id)})).status_code == 303
        again = await post_form(office, "/console/training/due/nudge", {"staff_id": str(worker), "course_id": str(course_id)})
        assert again.status_code == 429 and "less than 12 hours ago" in again.text
    async with tenant_scope(tenant_a.id):
        course = await services.get_course(course_id)
    assert course.questions[0].choices == ["敲门", "直接进"] and course.questions[0].answer == 1
    async with await signed_in(app, tenant_a, "staff", worker) as me:
        inbox = await me.get("/staff/inbox")
        assert "服务规范与安全" in inbox.text
        listing = await me.get("/staff/training")
        assert "服务规范与安全" in listing.text
        lesson_page = await me.get(f"/staff/training/{course_id}/lessons/{course.lessons[0].key}")
        assert "出示工牌。" in lesson_page.text and "https://video.example/intro.mp4" in lesson_page.text
        started = await post_form(me, f"/staff/training/{course_id}/quiz")
        assert started.status_code == 303
        quiz = await me.get(started.headers["location"])
        # The choices reach the browser, the right one does not: no mark, nothing ticked.
        assert "直接进" in quiz.text and "quiz-answers__right" not in quiz.text and " checked" not in quiz.text
        key = course.questions[0].key
        wrong = await post_form(me, started.headers["location"], {f"q-{key}": "0"})
        result = await me.get(wrong.headers["location"])
        assert "0%" in result.text and "retake the quiz from" in result.text
        again = await post_form(me, started.headers["location"], {f"q-{key}": "1"})
        assert again.status_code == 409 and "already submitted" in again.text
        hostile = await post_form(me, f"/staff/training/{course_id}/quiz/99999999999999999999", {f"q-{key}": "1"})
        assert hostile.status_code in (400, 404)


async def test_editor_refuses_hostile_input_with_the_field_named(app, tenant_a):
    user = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", user.id) as office:
        bad_code = await post_form(office, "/console/training", {"code": "Bad Code!", "title": "x"})
        assert bad_code.status_code == 400 and 'id="field-code"' in bad_code.text
        nul = await post_form(office, "/console/training", {"code": "ok-code", "title": "a\x00b"})
        assert nul.status_code == 400 and "not allowed" in nul.text
        long = await post_form(office, "/console/training", {"code": "ok-code", "title": "长" * 121})
        assert long.status_code == 400 and "too long" in long.text
        created = await post_form(office, "/console/training", {"code": "ok-code", "title": "好课"})
        course_id = int(created.headers["location"].split("/")[3].split("?")[0])
        twice = await post_form(office, "/console/training", {"code": "ok-code", "title": "好课"})
        assert twice.status_code == 409
        mark = await post_form(office, f"/console/training/{course_id}/settings", {"title": "好课", "pass_mark": "1e308", "retake_after_hours": "1"})
        assert mark.status_code == 400
        one_choice = await post_form(office, f"/console/training/{course_id}/questions", {"prompt": "？", "choice0": "只有一个", "answer": "0"})
        assert one_choice.status_code == 400
        no_answer = await post_form(office, f"/console/training/{course_id}/questions", {"prompt": "？", "choice0": "甲", "choice1": "乙"})
        assert no_answer.status_code == 400
        script_video = await post_form(office, f"/console/training/{course_id}/lessons", {"title": "x", "video_link": "javascript:alert(1)"},
                                       files={"image_url:file": ("", b"", "application/octet-stream")})
        assert script_video.status_code == 400
        not_a_picture = await post_form(office, f"/console/training/{course_id}/lessons", {"title": "x"},
                                        files={"image_url:file": ("a.png", b"not a picture", "image/png")})
        assert not_a_picture.status_code == 400
        assert (await post_form(office, f"/console/training/{course_id}/lessons/../remove")).status_code in (400, 404, 405)
        assert (await post_form(office, f"/console/training/{course_id}/lessons/zzz/remove")).status_code == 404
        assert (await office.get("/console/training/99999999999999999999")).status_code in (400, 404)


async def test_another_franchise_and_another_worker_see_nothing(app, tenant_a, tenant_b):
    course_id = await published_course(tenant_a)
    mine, other = await make_worker(tenant_a, "甲"), await make_worker(tenant_a, "乙")
    await read_all(tenant_a, mine, course_id)
    async with tenant_scope(tenant_a.id):
        attempt = await learning.start_attempt(mine, course_id)
        await learning.submit_attempt(mine, course_id, attempt.id, await answers(tenant_a, course_id, right=2))
        certificate_id = await learning.certificate_for(mine, course_id)
    async with tenant_scope(tenant_b.id):
        assert await services.list_courses() == []
        assert await learning.certificate_for(mine, course_id) is None
    b_user = await make_console_user(tenant_b, "owner")
    async with await signed_in(app, tenant_b, "console", b_user.id) as office_b:
        assert (await office_b.get(f"/console/training/{course_id}")).status_code == 404
        assert (await office_b.get(f"/console/training/certificates/{certificate_id}")).status_code == 404
        assert (await post_form(office_b, f"/console/training/{course_id}/publish")).status_code == 404
    async with await signed_in(app, tenant_a, "staff", other) as someone:
        assert (await someone.get(f"/staff/training/certificates/{certificate_id}")).status_code == 404
        assert (await someone.get(f"/staff/training/{course_id}/results/{attempt.id}")).status_code == 404
        assert (await post_form(someone, f"/staff/training/{course_id}/quiz/{attempt.id}", {})).status_code == 404
    async with await signed_in(app, tenant_a, "staff", mine) as me:
        shown = await me.get(f"/staff/training/certificates/{certificate_id}")
        assert shown.status_code == 200 and "甲" in shown.text


async def test_head_office_publishes_to_every_franchise_and_later_ones(app, platform_client, tenant_a, tenant_b, make_tenant):
    operator = await make_operator()
    with_csrf(platform_client)
    assert (await sign_in(platform_client, operator.email, path="/platform/sign-in")).status_code == 303
    code = f"hq-{tenant_a.slug[-6:]}"
    created = await post_form(platform_client, "/platform/training", {"code": code, "title": "总部安全课"})
    assert created.status_code == 303
    hq_id = int(created.headers["location"].split("/")[3].split("?")[0])
    await post_form(platform_client, f"/platform/training/{hq_id}/lessons", {"title": "第一课", "body": "安全第一。"},
                    files={"image_url:file": ("hq.png", png_image(), "image/png")})
    await post_form(platform_client, f"/platform/training/{hq_id}/settings",
                    {"title": "总部安全课", "pass_mark": "80", "retake_after_hours": "24", "category_codes": "cleaning", "onboarding": ""})
    assert (await post_form(platform_client, f"/platform/training/{hq_id}/publish")).status_code == 303
    copies = {}
    for tenant in (tenant_a, tenant_b):
        async with tenant_scope(tenant.id):
            (copy,) = [c for c in await services.list_courses() if c.code == code]
            copies[tenant.id] = copy
            assert copy.origin == "head_office" and copy.categories == ["cleaning"] and copy.state == "published"
    # A franchise may choose where it is required, not change the content.
    user = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", user.id) as office:
        copy_id = copies[tenant_a.id].id
        assert (await post_form(office, f"/console/training/{copy_id}/settings", {"title": "改了", "pass_mark": "1", "retake_after_hours": "0"})).status_code == 409
        assert (await post_form(office, f"/console/training/{copy_id}/required", {"onboarding": "1"})).status_code == 303
    # A republish updates the copies and keeps the franchise's choice.
    await post_form(platform_client, f"/platform/training/{hq_id}/lessons", {"title": "第二课", "body": "再学一课。"})
    assert (await post_form(platform_client, f"/platform/training/{hq_id}/publish")).status_code == 303
    async with tenant_scope(tenant_a.id):
        copy = await services.get_course(copies[tenant_a.id].id)
        assert [lesson.title for lesson in copy.lessons] == ["第一课", "第二课"] and copy.onboarding and copy.categories == []
        # Head office's picture is served on the franchise's own host.
        picture = copy.lessons[0].image_url
    async with await signed_in(app, tenant_a, "console", user.id) as office:
        assert (await office.get(picture)).status_code == 200
    later = await make_tenant()
    async with tenant_scope(later.id) as tenant:
        # Before its copy is made, the requirement already names the course (as head office suggests).
        requirement = await learning.order_requirement(RequirementQuery(tenant=tenant, category="cleaning", item_id=1))
        assert code in requirement.courses
        await sync.ensure_courses(tenant)
        assert code in [c.code for c in await services.list_courses()]


async def test_plugin_courses_are_made_once_and_updated_until_the_office_edits_them(tenant_a, monkeypatch):
    spec = CourseSpec(code="carer-basics", title="护理入门", lessons=[LessonSpec(title="翻身", body="每两小时。")],
                      questions=[QuizQuestionSpec(prompt="多久翻身？", choices=["两小时", "一天"], answer=0),
                                 QuizQuestionSpec(prompt="坏题", choices=["甲"], answer=3)], categories=["care"])
    monkeypatch.setattr(sync, "collect_now", lambda caller: [("elder_care", spec)])
    async with tenant_scope(tenant_a.id) as tenant:
        assert await sync.sync_plugin_courses(tenant) == ["carer-basics"]
        assert await sync.sync_plugin_courses(tenant) == []
        (course,) = await services.list_courses()
        assert course.origin == "plugin" and course.state == "published" and len(course.questions) == 1
    spec = CourseSpec(code="carer-basics", title="护理入门（第二版）", lessons=spec.lessons, questions=spec.questions[:1])
    async with tenant_scope(tenant_a.id) as tenant:
        assert await sync.sync_plugin_courses(tenant) == ["carer-basics"]
        (course,) = await services.list_courses()
        assert course.title == "护理入门（第二版）"
        from platform_core.training.schemas import CourseSettings

        await services.update_settings(course.id, CourseSettings(title="我们的护理入门", categories=["care"]))
    spec = CourseSpec(code="carer-basics", title="护理入门（第三版）", lessons=spec.lessons)
    async with tenant_scope(tenant_a.id) as tenant:
        assert await sync.sync_plugin_courses(tenant) == []
        (course,) = await services.list_courses()
        assert course.title == "我们的护理入门"


@pytest.mark.parametrize("path", ["/staff/training", "/console/training", "/console/training/due"])
async def test_strangers_are_sent_to_sign_in(client_a, path):
    assert (await client_a.get(path)).status_code in (303, 401, 403)


async def test_the_quiz_refuses_hostile_answers_with_the_question_named(app, tenant_a):
    worker = await make_worker(tenant_a)
    course_id = await published_course(tenant_a)
    await read_all(tenant_a, worker, course_id)
    async with tenant_scope(tenant_a.id):
        course = await services.get_course(course_id)
    first, second = (q.key for q in course.questions)
    async with await signed_in(app, tenant_a, "staff", worker) as me:
        started = await post_form(me, f"/staff/training/{course_id}/quiz")
        quiz = started.headers["location"]
        for bad in ("\x00", "9" * 400, "-1", "1e308", ""):
            refused = await post_form(me, quiz, {f"q-{first}": bad, f"q-{second}": "0"})
            assert refused.status_code in (400, 413), bad
            if refused.status_code == 400:
                assert 'id="field-q-' + first + '"' in refused.text and "Choose an answer." in refused.text
        assert (await post_form(me, quiz, {f"q-{first}": "0", f"q-{second}": "0", "q-extra": "1"})).status_code == 303
    user = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", user.id) as office:
        for staff_id, course in (("99999999999999999999", str(course_id)), (str(worker), "abc"), ("", "")):
            assert (await post_form(office, "/console/training/due/nudge", {"staff_id": staff_id, "course_id": course})).status_code in (400, 404)
