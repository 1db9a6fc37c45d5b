"""The owner's coupon pages in chromium: a percent-off template with a public code, an off-peak
discount rule, a coupon issued by hand to a customer found by phone, five one-time codes
downloaded as CSV, and the coupon revoked after the confirm step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from platform_core.testing.factories import make_console_user, make_customer, make_item
from tests.web.test_console_dashboard_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_the_owner_sets_up_coupons_and_a_discount_rule_issues_one_and_revokes_it(live_server, desktop_page, make_tenant):
    tenant = await make_tenant(prefix="cpn", name="Bloom Home", locale="en")
    owner = await make_console_user(tenant, "owner")
    await make_item(tenant, title="Deep cleaning")
    await make_customer(tenant, "+8613912345678", name="Zhou Min")
    host = f"{tenant.slug}.localhost"
    page = desktop_page
    shots = live_server.log_path.parent
    await sign_in(page, live_server, host, owner.email)

    # A percent-off template: the kind's own fields show once it is chosen.
    await page.click("nav.sidebar__nav a[href='/console/marketing/coupon-templates']")
    await page.screenshot(path=str(shots / "coupons-templates-empty.png"), full_page=True)
    await page.click("main a[href='/console/marketing/coupon-templates/new']")
    assert not await page.is_visible("#field-percent_off")
    await page.fill("#field-name", "Spring 15% off")
    await page.select_option("#field-kind", "percent_off")
    assert await page.is_visible("#field-percent_off") and not await page.is_visible("#field-amount_off")
    await page.fill("#field-percent_off", "15")
    await page.fill("#field-max_discount", "50")
    await page.fill("#field-min_spend", "100")
    await page.fill("#field-public_code", "spring15")
    await page.screenshot(path=str(shots / "coupons-template-form.png"), full_page=True)
    await page.click("button:has-text('Save coupon template')")
    await page.wait_for_url(re.compile(r"/coupon-templates/\d+\?done=template$"))
    template_url = page.url.split("?")[0]
    assert "15% off, up to" in await page.inner_text("main") and "SPRING15" in await page.inner_text("main")

    # Issued by hand to the customer whose phone is typed, with a reason.
    await page.fill("#field-phone", "139 1234 5678")
    await page.fill("#field-reason", "Sorry for the late visit")
    await page.click("button:has-text('Issue coupon')")
    await page.wait_for_url(re.compile(r"\?done=issued$"))
    assert (await page.inner_text("[data-count=available]")).strip() == "1"
    assert "Zhou Min" in await page.inner_text("[data-testid=coupons]")

    # Five one-time codes for a partner, downloaded as CSV.
    await page.fill("#field-count", "5")
    await page.fill("#field-batch", "Sunshine Agency")
    await page.click("button:has-text('Generate codes')")
    await page.wait_for_url(re.compile(r"\?done=batch"))
    async with page.expect_download() as info:
        await page.click("[data-testid=batches] a:has-text('CSV')")
    download = await info.value
    lines = Path(await download.path()).read_text().strip().splitlines()
    assert lines[0] == "code,batch,redeemed" and len(lines) == 6
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{12},Sunshine Agency,no", line) for line in lines[1:])
    await page.goto(template_url)
    await page.screenshot(path=str(shots / "coupons-template.png"), full_page=True)

    # An off-peak rule: weekday mornings.
    await page.click("nav.sidebar__nav a[href='/console/marketing/discount-rules']")
    await page.click("main a[href='/console/marketing/discount-rules/new']")
    await page.fill("#field-name", "Weekday mornings")
    await page.fill("#field-percent_off", "10")
    await page.fill("#field-time_from", "08:00")
    await page.fill("#field-time_until", "11:00")
    await page.screenshot(path=str(shots / "coupons-rule-form.png"), full_page=True)
    await page.click("button:has-text('Save discount rule')")
    await page.wait_for_url(re.compile(r"/discount-rules\?done=rule$"))
    rules = await page.inner_text("[data-testid=rules]")
    assert "Weekday mornings" in rules and "Mon Tue Wed Thu Fri" in rules and "08:00–11:00" in rules
    await page.screenshot(path=str(shots / "coupons-rules.png"), full_page=True)

    # The issued coupon is revoked after the confirm step.
    await page.click("nav.sidebar__nav a[href='/console/marketing/coupons']")
    await page.screenshot(path=str(shots / "coupons-issued.png"), full_page=True)
    await page.click("[data-testid=coupons] a:has-text('Revoke')")
    await page.fill("#field-reason", "Issued to the wrong customer")
    await page.screenshot(path=str(shots / "coupons-revoke.png"), full_page=True)
    await page.click("button:has-text('Revoke coupon')")
    await page.wait_for_url(re.compile(r"done=revoked$"))
    listed = await page.inner_text("[data-testid=coupons]")
    assert "Revoked" in listed and "Revoke\n" not in listed
    await page.goto(template_url)
    assert (await page.inner_text("[data-count=revoked]")).strip() == "1"
