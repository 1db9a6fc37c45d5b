"""Two-step verification in Debian's chromium on a phone: a customer whose real name is verified
turns it on (the test's "authenticator" reads the key off the page), signs out, signs in again
with a text code and is asked for the authenticator's code, and ticks "remember this device",
which the next sign-in honours. Screenshots go to $HEARTH_SCREENSHOTS when set."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.testing.browser import screenshot
from platform_core.testing.factories import make_customer
from tests.accounts.test_customer_second_factor import allow_new_code, verify_realname
from tests.accounts.test_sign_in_browser import last_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _sign_in_by_text(page, browser, live_server, host: str) -> None:
    await page.goto(live_server.url(host, "/account/sign-in"))
    await page.fill("input[name=phone]", "13800138000")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    await page.wait_for_selector("input[name=code]")
    await page.fill("input[name=code]", await last_code(browser, live_server, host))
    await page.click("#sign-in-card form[action$='/verify'] button[type=submit]")


async def test_a_verified_customer_turns_on_two_step_verification_and_signs_in_with_it(live_server, page, browser, runtime, make_tenant):
    tenant = await make_tenant(prefix="twostep", name="阳光家政")
    host = f"{tenant.slug}.localhost"
    customer = await make_customer(tenant, "+8613800138000", name="陈女士")
    await verify_realname(tenant, customer)
    token = await create_session(kind="customer", user_id=customer, tenant_id=tenant.id)
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": host, "path": "/"}])

    await page.goto(live_server.url(host, "/account/security"))
    await page.click("form[action='/account/security/2fa/start'] button")
    key = (await page.locator("code.secret").inner_text()).replace(" ", "")
    assert await page.locator("svg.qr-code").count() == 1
    await screenshot(page, "two-step-set-up")
    authenticator = pyotp.TOTP(key)
    await page.fill("input[name=code]", authenticator.now())
    await page.click("form[action='/account/security/2fa/confirm'] button[type=submit]")
    codes = page.locator(".recovery-codes code")
    await codes.first.wait_for()
    assert await codes.count() == 10
    recovery = await codes.all_inner_texts()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    await screenshot(page, "two-step-recovery-codes")

    await page.click(".card form[action='/account/sign-out'] button")
    await _sign_in_by_text(page, browser, live_server, host)
    await page.wait_for_url(re.compile(r"/account/sign-in/2fa$"))
    await page.fill("input[name=code]", "000000" if authenticator.now() != "000000" else "111111")
    await page.click("form[action='/account/sign-in/2fa'] button[type=submit]")
    await page.locator("#field-code-error").wait_for()
    await screenshot(page, "two-step-sign-in-wrong-code")
    # The next step's code: the one just used to turn it on would be a replay.
    await page.fill("input[name=code]", authenticator.at(time.time() + 30))
    await page.check("input[name=remember]")
    await screenshot(page, "two-step-sign-in")
    await page.click("form[action='/account/sign-in/2fa'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/account/?$"))

    await page.goto(live_server.url(host, "/account/security"))
    devices = page.locator(".remembered-devices li")
    assert await devices.count() == 1
    await screenshot(page, "two-step-security")

    # Changing the number asks for the authenticator first (here a recovery code), then the number.
    await page.click("a[href='/account/phone']")
    await page.wait_for_url(re.compile(r"/account/security/confirm\?action=change_phone"))
    await screenshot(page, "two-step-confirm")
    await page.fill("input[name=code]", recovery[0])
    await page.click("form[action='/account/security/confirm'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/account/phone$"))
    await page.locator("input[name=phone]").wait_for()
    await screenshot(page, "two-step-phone")

    await page.goto(live_server.url(host, "/account/security"))
    await page.click(".card form[action='/account/sign-out'] button")
    await allow_new_code(tenant)  # a minute has not passed since the last code
    await _sign_in_by_text(page, browser, live_server, host)
    await page.wait_for_url(re.compile(r"/account/?$"))  # remembered: no second step
