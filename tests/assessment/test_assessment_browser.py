"""The office upholds a complaint, applies the month's rules and approves the deduction; the
worker sees it on a phone and appeals; the office decides and the worker reads the answer. In
Debian's chromium, in Chinese."""

from __future__ import annotations

import re

import pytest

from platform_core.assessment import scorecards
from platform_core.assessment.schemas import AssessmentSettings
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user

from .helpers import a_month_of_work

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_complaint_becomes_a_deduction_the_worker_appeals_and_the_office_decides(
    live_server, desktop_page, page, make_tenant,
):
    tenant = await make_tenant(prefix="qa", name="Quality Franchise", locale="zh_CN")
    owner = await make_console_user(tenant, "owner")
    work = await a_month_of_work(tenant, owner.id, decided=False)
    async with tenant_scope(tenant.id):
        await scorecards.save_settings(AssessmentSettings(min_jobs=1, complaint_deduction=5000), by=owner.id)
        this_month = f"{scorecards.this_month():%Y-%m}"
    host = f"{tenant.slug}.localhost"

    office = desktop_page
    await sign_in_page(office, tenant, "console", owner.id)
    await office.goto(live_server.url(host, f"/console/feedback/{work.complaint_id}"))
    assert "李师傅" in await office.inner_text("#complaint-outcome")
    await office.select_option("#complaint-outcome select[name=outcome]", "upheld")
    await office.fill("#complaint-outcome input[name=reason]", "客户有照片为证")
    await office.click("#complaint-outcome button[type=submit]")
    await office.wait_for_url(re.compile(r"done=decided"))
    assert "投诉成立" in await office.inner_text("#complaint-outcome")
    await screenshot(office, "console-complaint-upheld")

    # The month's rules: the upheld complaint proposes a ¥50 deduction.
    await office.goto(live_server.url(host, f"/console/quality/scorecards?month={this_month}"))
    await office.click("#apply-rules")
    await office.wait_for_url(re.compile(r"done=applied"))
    row = office.locator("[data-testid=assessment-items] tbody tr", has_text="李师傅")
    assert "50.00" in await row.inner_text() and "待审批" in await row.inner_text()
    await screenshot(office, "console-scorecards-applied")

    await office.goto(live_server.url(host, "/console/finance/adjustments"))
    adjustment = office.locator("[data-testid=adjustments] tbody tr", has_text="李师傅")
    await adjustment.locator("form[action$='/approve'] button").click()
    await office.wait_for_url(re.compile(r"done=approved"))

    # The last month's cards, "why this score".
    await office.goto(live_server.url(host, "/console/quality/scorecards"))
    await office.click("#compute")
    await office.wait_for_url(re.compile(r"done=computed"))
    await office.locator("[data-testid=scorecards] tbody tr", has_text="李师傅").locator("a").click()
    await office.wait_for_url(re.compile(r"/console/quality/scorecards/\d+$"))
    assert "准时到达" in await office.inner_text("[data-testid=score-parts]")
    await screenshot(office, "console-scorecard")

    phone = page
    await sign_in_page(phone, tenant, "staff", work.poor)
    await phone.goto(live_server.url(host, "/staff/earnings"))
    await phone.click("#scorecard-link")
    await phone.wait_for_url(re.compile(r"/staff/scorecard$"))
    item = phone.locator("#items article").first
    assert "已批准" in await item.inner_text() or "已审批" in await item.inner_text() or "50.00" in await item.inner_text()
    await screenshot(phone, "staff-scorecard")
    await item.locator("summary").click()
    await item.locator("textarea[name=comment]").fill("那天暴雨堵车，我提前打电话告诉了客户")
    await item.locator("button[type=submit]").click()
    await phone.wait_for_url(re.compile(r"done=appealed"))
    assert "申诉待处理" in await phone.inner_text("#items")

    await office.goto(live_server.url(host, "/console/quality/appeals"))
    appeal = office.locator("[data-testid=open-appeal]", has_text="李师傅")
    assert "暴雨堵车" in await appeal.inner_text()
    await screenshot(office, "console-appeals")
    await appeal.locator("input[name=note]").fill("核实属实，扣款退还")
    await appeal.locator("button[value=upheld]").click()
    await office.wait_for_url(re.compile(r"done=decided"))
    assert "申诉成立" in await office.inner_text("[data-testid=decided-appeals]")

    await phone.goto(live_server.url(host, "/staff/scorecard"))
    text = await phone.inner_text("#items")
    assert "申诉成立" in text and "核实属实，扣款退还" in text
    await screenshot(phone, "staff-scorecard-decided")

    # The service quality page: the low rating's words, the suggested worker put on watch, a note.
    await office.goto(live_server.url(host, f"/console/quality?month={work.month:%Y-%m}"))
    assert "地板没拖干净" in await office.inner_text("[data-testid=low-reviews]")
    assert "李师傅" in await office.inner_text("[data-testid=watch-suggestions]")
    await office.fill("#watch form[action='/console/quality/watch'] input[name=reason]", "投诉成立且准时率低，观察一个月")
    await office.click("#watch form[action='/console/quality/watch'] button[type=submit]")
    await office.wait_for_url(re.compile(r"done=watched"))
    assert "观察一个月" in await office.inner_text("[data-testid=watch-list]")
    await office.select_option("#notes select[name=staff_id]", str(work.poor))
    await office.fill("#notes textarea[name=note]", "上门前一小时电话确认，堵车提前告知客户")
    await office.click("#notes button[type=submit]")
    await office.wait_for_url(re.compile(r"done=noted"))
    assert "电话确认" in await office.inner_text("[data-testid=coaching-notes]")
    await screenshot(office, "console-quality")

    await office.goto(live_server.url(host, "/console/quality/formula"))
    await office.select_option("select[name=month]", f"{work.month:%Y-%m}")
    await office.click("#preview")
    assert "李师傅" in await office.inner_text("[data-testid=preview]")
    await screenshot(office, "console-formula-preview")
