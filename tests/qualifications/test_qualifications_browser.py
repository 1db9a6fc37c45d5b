"""A candidate applies on /join from a phone, the office approves each document and the
application in the console, and the new worker signs in to the staff app with a code and finds
their credentials, in Debian's chromium."""

from __future__ import annotations

import asyncio
import re
import secrets
import time

import pytest

from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user, make_item, png_image

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CODE = re.compile(r"\b(\d{6})\b")


async def _code_from_outbox(browser, live_server, host: str, digits: str) -> str:
    """The newest code texted to the number ending in `digits` (the dev outbox is that phone)."""
    outbox = await browser.new_page()
    try:
        for _ in range(60):
            await outbox.goto(live_server.url(host, "/dev/outbox"))
            for entry in await outbox.locator(".outbox li").all():
                text = await entry.inner_text()
                found = CODE.search(await entry.locator(".outbox__body").inner_text())
                if digits in text and found:
                    return found.group(1)
            await asyncio.sleep(0.5)
    finally:
        await outbox.close()
    raise AssertionError("no code reached the outbox")


async def test_a_candidate_applies_from_a_phone_is_approved_and_signs_in_to_the_staff_app(
    live_server, browser, page, desktop_page, make_tenant, tmp_path,
):
    tenant = await make_tenant(prefix="join", name="Join Franchise", locale="zh_CN")
    category = f"clean-{secrets.token_hex(3)}"
    await make_item(tenant, category=category, title="日常保洁")
    host = f"{tenant.slug}.localhost"
    phone_number = f"139{secrets.randbelow(10**8):08d}"
    id_photo, certificate = tmp_path / "id.png", tmp_path / "health.png"
    id_photo.write_bytes(png_image(40, 25))
    certificate.write_bytes(png_image(30, 40, pixel=lambda x, y: b"\x20\xa0\x60"))

    phone = page
    await phone.goto(live_server.url(host, "/join"))
    await screenshot(phone, "join-start")
    await phone.fill("input[name=phone]", phone_number)
    await phone.click("form[action='/join/code'] button[type=submit]")
    first_code_at = time.monotonic()
    await phone.wait_for_selector("input[name=code]")
    await phone.fill("input[name=code]", await _code_from_outbox(browser, live_server, host, phone_number[-4:]))
    await phone.click("form[action='/join/verify'] button[type=submit]")
    await phone.wait_for_selector("form[action='/join'][method=post]")
    await phone.fill("input[name=name]", "刘秀英")
    await phone.select_option("select[name=gender]", "female")
    await phone.fill("input[name=birth_year]", "1980")
    await phone.fill("input[name=years_experience]", "6")
    await phone.check(f"input[name=categories][value='{category}']")
    await phone.check("input[name=skills][value=cleaning]")
    await phone.fill("input[name=districts]", "天河区, 越秀区")
    await phone.fill("textarea[name=bio]", "做家政六年，擅长收纳。")
    await phone.fill("input[name=id_number]", "440106198003150023")
    await phone.set_input_files("input[name=id_photo]", str(id_photo))
    await phone.select_option("select[name=doc0_kind]", "health_certificate")
    await phone.fill("input[name=doc0_number]", "GZ-HC-778812")
    await phone.fill("input[name=doc0_issuer]", "广州市疾控中心")
    await phone.fill("input[name=doc0_issued_on]", "2026-03-01")
    await phone.fill("input[name=doc0_expires_on]", "2027-03-01")
    await phone.set_input_files("input[name=doc0_photo]", str(certificate))
    await screenshot(phone, "join-form")
    await phone.click("form[action='/join'] > button[type=submit]")
    await phone.wait_for_url(re.compile(r"/join\?done=submitted"))
    assert "审核" in await phone.inner_text("main")
    await screenshot(phone, "join-submitted")

    office = desktop_page
    owner = await make_console_user(tenant, "owner")
    await sign_in_page(office, tenant, "console", owner.id)
    await office.goto(live_server.url(host, "/console/staff/applications"))
    await office.click("[data-testid=applications] a:has-text('刘秀英')")
    await office.wait_for_url(re.compile(r"/console/staff/applications/\d+$"))
    assert "GZ-HC-778812" not in await office.inner_text("main")
    await screenshot(office, "console-application")
    for _ in range(2):
        await office.click("form[action*='/documents/'][action$='/approve'] button")
        await office.wait_for_url(re.compile(r"done=document"))
    await office.select_option("select[name=background_check]", "clear")
    await office.fill("textarea[name=interview_note]", "沟通顺畅，经验丰富。")
    await office.click("form[action$='/notes'] button")
    await office.wait_for_url(re.compile(r"done=notes"))
    await office.click("form[action$='/approve']:not([action*='/documents/']) button")
    await office.wait_for_url(re.compile(r"done=approved"))
    assert "申请已通过" in await office.inner_text("main")
    await screenshot(office, "console-application-approved")

    # One code a minute per phone (accounts.ratelimit): the new worker signs in a minute later.
    await asyncio.sleep(max(0.0, 61 - (time.monotonic() - first_code_at)))
    await phone.goto(live_server.url(host, "/staff/sign-in"))
    await phone.fill("input[name=phone]", phone_number)
    await phone.click("#sign-in-card button[type=submit]:not([name])")
    await phone.wait_for_selector("input[name=code]")
    await phone.fill("input[name=code]", await _code_from_outbox(browser, live_server, host, phone_number[-4:]))
    await phone.click("#sign-in-card button.btn--primary")
    await phone.wait_for_url(re.compile(r"/staff/?$"))
    await phone.click("#credentials-link")
    await phone.wait_for_url(re.compile(r"/staff/credentials$"))
    text = await phone.inner_text("#credentials")
    assert "健康证" in text and "身份证" in text and "2027-03-01" in text
    await screenshot(phone, "staff-credentials")
