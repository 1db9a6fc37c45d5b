"""A worker opens a due course on a phone, reads the lessons, fails the quiz, waits, passes and
sees the certificate; the office sees who is due, in Debian's chromium. The live server is its
own process, so the wait passes by moving the failed attempt's retake time back in the database."""

from __future__ import annotations

import re

import asyncpg
import pytest

from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user, make_worker
from platform_core.training import services

from .helpers import published_course

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _answer(page, course, *, right: bool) -> None:
    for question in course.questions:
        choice = question.answer if right else (question.answer + 1) % len(question.choices)
        await page.check(f"input[name='q-{question.key}'][value='{choice}']")


async def test_a_worker_fails_waits_and_passes_a_due_course_on_a_phone(live_server, desktop_page, page, make_tenant, hearth_owner_url):
    tenant = await make_tenant(prefix="learn", name="Training Franchise", locale="zh_CN")
    worker = await make_worker(tenant, "赵阿姨")
    course_id = await published_course(tenant, code="first-day", categories=(), onboarding=True, pass_mark=100, retake_after_hours=24)
    async with tenant_scope(tenant.id):
        course = await services.get_course(course_id)
    host = f"{tenant.slug}.localhost"

    await sign_in_page(page, tenant, "staff", worker)
    await page.goto(live_server.url(host, "/staff/training"))
    due = page.locator("[data-testid=due]")
    assert course.title in await due.inner_text()
    await screenshot(page, "staff-training-due")
    await due.locator("a", has_text=course.title).click()
    await page.wait_for_url(re.compile(rf"/staff/training/{course_id}$"))
    await page.click(f"a[href$='/lessons/{course.lessons[0].key}']")
    assert "出示工牌。" in await page.inner_text("main")
    await screenshot(page, "staff-training-lesson")
    await page.click(f"a[href$='/lessons/{course.lessons[1].key}']")
    await page.click(f"a[href='/staff/training/{course_id}']")
    await page.click(f"form[action='/staff/training/{course_id}/quiz'] button")
    await page.wait_for_url(re.compile(r"/quiz/\d+$"))
    await _answer(page, course, right=False)
    await screenshot(page, "staff-training-quiz")
    await page.click("form[action*='/quiz/'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/results/\d+$"))
    result = page.locator("[data-testid=quiz-result]")
    assert "0%" in await result.inner_text() and await page.locator("[data-testid=retake-at]").count() == 1
    await screenshot(page, "staff-training-failed")
    await page.goto(live_server.url(host, f"/staff/training/{course_id}"))
    assert await page.locator("[data-testid=retake-wait]").count() == 1

    conn = await asyncpg.connect(hearth_owner_url)
    try:
        await conn.execute("update core_training_attempt set retake_at = now() - interval '1 minute' where tenant_id = $1", tenant.id)
    finally:
        await conn.close()
    await page.reload()
    await page.click(f"form[action='/staff/training/{course_id}/quiz'] button")
    await page.wait_for_url(re.compile(r"/quiz/\d+$"))
    await _answer(page, course, right=True)
    await page.click("form[action*='/quiz/'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/results/\d+$"))
    assert "100%" in await page.locator("[data-testid=quiz-result]").inner_text()
    await page.click("a[href^='/staff/training/certificates/']")
    await page.wait_for_url(re.compile(r"/staff/training/certificates/\d+$"))
    number = await page.locator("[data-testid=certificate-number]").inner_text()
    assert re.match(r"^TC\d{8}-\d{6}$", number) and "赵阿姨" in await page.inner_text("main")
    await screenshot(page, "staff-training-certificate")

    owner = await make_console_user(tenant, "owner")
    office = desktop_page
    await sign_in_page(office, tenant, "console", owner.id)
    await office.goto(live_server.url(host, f"/console/training/{course_id}"))
    await screenshot(office, "console-training-course")
    await office.goto(live_server.url(host, "/console/training/due"))
    row = office.locator("[data-testid=due] tbody tr", has_text="赵阿姨")
    assert course.title in await row.inner_text()
    await screenshot(office, "console-training-due")


async def test_head_office_writes_a_course_and_a_franchise_offers_it(live_server, desktop_page, page, make_tenant, hearth_settings):
    from platform_core.accounts.sessions import SESSION_COOKIE, create_session
    from platform_core.testing.factories import make_operator

    tenant = await make_tenant(prefix="hq", name="HQ Course Franchise", locale="zh_CN")
    worker = await make_worker(tenant, "钱师傅")
    operator = await make_operator()
    token = await create_session(kind="operator", user_id=operator.id, tenant_id=None)
    hq = desktop_page
    await hq.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": hearth_settings.platform_host, "path": "/"}])
    code = f"hq-{tenant.slug[-6:]}"
    await hq.goto(live_server.url(hearth_settings.platform_host, "/platform/training"))
    await hq.fill("input[name=title]", "总部：防疫与个人卫生")
    await hq.fill("input[name=code]", code)
    await hq.click("form[action='/platform/training'] button[type=submit]")
    await hq.wait_for_url(re.compile(r"/platform/training/\d+\?done=created"))
    lesson_form = hq.locator("form[action$='/lessons']")
    await lesson_form.locator("input[name=title]").fill("勤洗手")
    await lesson_form.locator("textarea[name=body]").fill("进门、如厕后、接触食物前用肥皂洗手 20 秒。")
    await lesson_form.locator("button[type=submit]").click()
    await hq.wait_for_url(re.compile(r"done=lesson"))
    await screenshot(hq, "platform-training-course")
    await hq.click("form[action$='/publish'] button")
    await hq.wait_for_url(re.compile(r"done=published"))

    await sign_in_page(page, tenant, "staff", worker)
    await page.goto(live_server.url(f"{tenant.slug}.localhost", "/staff/training"))
    assert "总部：防疫与个人卫生" in await page.inner_text("main")
