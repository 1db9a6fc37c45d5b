"""Sign-in in Debian's chromium on a phone: every refusal shows in place, waits count down, a new
customer accepts the franchise's terms, an unknown worker is told whom to ask."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts import legal
from platform_core.accounts.schemas import LegalDocumentPublish
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = re.compile(r"\b(\d{6})\b")


async def last_code(browser, live_server, host: str) -> str:
    """The code just texted: in dev mode the franchise's outbox page is the phone."""
    outbox = await browser.new_page()
    await outbox.goto(live_server.url(host, "/dev/outbox"))
    body = await outbox.inner_text(".outbox")
    await outbox.close()
    found = CODE.search(body)
    assert found, body
    return found.group(1)


async def speak(page, live_server, host: str, locale: str) -> None:
    await page.context.add_cookies([{"name": "hearth_locale", "value": locale, "url": live_server.url(host)}])


def shot(live_server, name: str) -> str:
    return str(live_server.log_path.parent / name)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_a_customer_sees_each_sign_in_error_in_place_and_the_countdown(live_server, page, browser, make_tenant, locale):
    tenant = await make_tenant(prefix="signin", name="Bloom Home")
    host = f"{tenant.slug}.localhost"
    await speak(page, live_server, host, locale)
    await page.goto(live_server.url(host, "/account/sign-in"))

    await page.fill("input[name=phone]", "12345")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    error = page.locator("#field-phone-error")
    await error.wait_for()
    assert await page.locator("#field-phone").get_attribute("aria-invalid") == "true"
    await page.screenshot(path=shot(live_server, f"sign-in-bad-phone-{locale}.png"), full_page=True)

    await page.fill("input[name=phone]", "13800138000")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    await page.wait_for_selector("input[name=code]")
    countdown = page.locator("[data-countdown]")
    first = await countdown.inner_text()
    assert re.search(r"\b(59|60)\b", first), first
    assert await page.locator("form:has(input[name=resend]) button[type=submit]").is_disabled()
    await page.wait_for_timeout(1500)  # the page allows no eval, so wait_for_function can't poll
    later = await countdown.inner_text()
    assert later != first and int(re.search(r"\d+", later).group()) < int(re.search(r"\d+", first).group())

    code = await last_code(browser, live_server, host)
    wrong = "000000" if code != "000000" else "111111"
    await page.fill("input[name=code]", wrong)
    await page.click("button:has-text('%s')" % ("Sign in" if locale == "en" else "登录"))
    await page.locator("#field-code-error").wait_for()
    await page.screenshot(path=shot(live_server, f"sign-in-wrong-code-{locale}.png"), full_page=True)

    # Back to the phone step, and asking again too soon: the wait counts down next to the phone.
    await page.click("a:has-text('%s')" % ("Use another number" if locale == "en" else "使用其他号码"))
    await page.fill("input[name=phone]", "13800138000")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    wait = page.locator(".countdown.field__error")
    await wait.wait_for()
    assert re.search(r"\d+", await wait.inner_text())
    await page.screenshot(path=shot(live_server, f"sign-in-wait-{locale}.png"), full_page=True)

    # The code already texted is good: straight to the code step with it.
    await page.click("button[name=have_code]")
    await page.wait_for_selector("input[name=code]")
    await page.fill("input[name=code]", code)
    await page.click("#sign-in-card form[action$='/verify'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/account/?$"))


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_a_new_customer_must_accept_the_terms(live_server, page, browser, make_tenant, locale):
    tenant = await make_tenant(prefix="consent", name="Bloom Home")
    await legal.publish_default_documents(tenant.id)
    host = f"{tenant.slug}.localhost"
    await speak(page, live_server, host, locale)
    await page.goto(live_server.url(host, "/account/sign-in"))
    await page.fill("input[name=phone]", "13900139000")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    await page.wait_for_selector("input[name=code]")
    await page.fill("input[name=code]", await last_code(browser, live_server, host))
    sign_in = page.locator("#sign-in-card form[action$='/verify'] button[type=submit]")
    await sign_in.click()

    box = page.locator("input[name=accept_terms]")
    await box.wait_for()
    assert await page.locator(".consent a[href='/legal/terms']").count() == 1
    assert await page.locator(".consent a[href='/legal/privacy']").count() == 1
    await sign_in.click()  # without ticking: told so, in place
    await page.locator("#field-accept_terms-error").wait_for()
    await page.screenshot(path=shot(live_server, f"sign-in-consent-{locale}.png"), full_page=True)
    await page.check("input[name=accept_terms]")
    await sign_in.click()
    await page.wait_for_url(re.compile(r"/account/?$"))

    await page.goto(live_server.url(host, "/legal/privacy"))
    assert "Bloom Home" in await page.inner_text(".legal")
    await page.screenshot(path=shot(live_server, f"legal-privacy-{locale}.png"), full_page=True)


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_the_staff_sign_in_tells_an_unknown_number_to_ask_the_franchise(live_server, page, make_tenant, locale):
    tenant = await make_tenant(prefix="staffin", name="Bloom Home")
    await make_worker(tenant)
    host = f"{tenant.slug}.localhost"
    await speak(page, live_server, host, locale)
    await page.goto(live_server.url(host, "/staff/sign-in"))
    await page.fill("input[name=phone]", "13500135000")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    error = page.locator("#field-phone-error")
    await error.wait_for()
    assert ("Ask the franchise to add you" if locale == "en" else "请联系门店") in await error.inner_text()
    await page.screenshot(path=shot(live_server, f"staff-sign-in-unknown-{locale}.png"), full_page=True)


async def test_the_owner_publishes_the_terms_from_the_console(live_server, desktop_page, make_tenant):
    from platform_core.testing.factories import PASSWORD, make_console_user

    tenant = await make_tenant(prefix="legal", name="Bloom Home", locale="en")
    owner = await make_console_user(tenant, "owner")
    async with tenant_scope(tenant.id) as scoped:
        await legal.publish_document(scoped, "terms", LegalDocumentPublish(body_zh="# 总则\n\n第一条", body_en="# General\n\n1."), by="Bea")
    host = f"{tenant.slug}.localhost"
    page = desktop_page
    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", owner.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/console/?$"))
    await page.click("nav >> text=Terms & privacy")
    await page.wait_for_url(re.compile(r"/console/legal/terms"))
    await page.fill("textarea[name=body_zh]", "# 总则\n\n第一条 服务内容（修订）")
    await page.click("button:has-text('Publish version 2')")
    await page.wait_for_url(re.compile(r"done=published"))
    assert "Version 2" in await page.inner_text(".legal-history")
    await page.screenshot(path=shot(live_server, "console-legal.png"), full_page=True)
