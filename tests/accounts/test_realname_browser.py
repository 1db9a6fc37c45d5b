"""Real-name verification in Debian's chromium: a customer on a phone fills in the form and
uploads the photos of their ID; an owner at a desk opens the queue, sees the photos through
their signed links, and approves; the customer then sees "verified". Screenshots go to
$HEARTH_SCREENSHOTS when set (for looking at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user, make_customer, png_image

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def card_png(path: Path, tint: tuple[int, int, int]) -> Path:
    """A 320×200 picture of a card: a tinted ground with a darker photo box and text lines."""
    def pixel(x: int, y: int) -> bytes:
        if 20 <= x < 110 and 40 <= y < 160:
            return bytes(c // 2 for c in tint)
        if 130 <= x < 290 and 50 <= y < 170 and (y - 50) % 24 < 8:
            return b"\x90\x90\x90"
        return bytes(tint)

    path.write_bytes(png_image(320, 200, pixel))
    return path


async def test_a_customer_verifies_on_a_phone_and_an_owner_approves(live_server, page, desktop_page, runtime, make_tenant,
                                                                     tmp_path):
    tenant = await make_tenant(prefix="kyc", name="阳光家政")
    customer = await make_customer(tenant, name="王小明")
    owner = await make_console_user(tenant, "owner")
    host = f"{tenant.slug}.localhost"

    await sign_in_page(page, tenant, "customer", customer)
    await page.goto(live_server.url(host, "/account/verification"))
    await page.fill("#field-full_name", "王小明")
    await page.fill("#field-id_number", "110105194912310021")  # a wrong check character first
    await page.set_input_files("#field-front", str(card_png(tmp_path / "front.png", (214, 232, 250))))
    await page.set_input_files("#field-back", str(card_png(tmp_path / "back.png", (250, 236, 214))))
    await page.click("form[action='/account/verification'] button[type=submit]")
    error = page.locator("#field-id_number-error")
    await error.wait_for()
    await screenshot(page, "realname-customer-error-phone")
    await page.fill("#field-id_number", "11010519491231002X")
    await page.set_input_files("#field-front", str(tmp_path / "front.png"))
    await page.set_input_files("#field-back", str(tmp_path / "back.png"))
    await page.locator("#preview-back[src^='data:']").wait_for()  # the chosen photo shows in its tile
    await screenshot(page, "realname-customer-photos-phone")
    await page.click("form[action='/account/verification'] button[type=submit]")
    await page.locator("[data-state=pending]").wait_for()
    assert "1101**********002X" in await page.inner_text("main")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "realname-customer-pending-phone")

    desk = desktop_page
    await sign_in_page(desk, tenant, "console", owner.id)
    await desk.goto(live_server.url(host, "/console/verifications"))
    await desk.click("a.btn--primary[href^='/console/verifications/']")
    await desk.locator("img.id-photo").first.wait_for()
    loaded = await desk.eval_on_selector_all("img.id-photo", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
    assert loaded == [320, 320]  # both photos came through their signed links
    await desk.reload()  # the access log now shows the two views
    assert sorted(await desk.eval_on_selector_all("[data-access]", "rows => rows.map(r => r.dataset.access)")) == ["back", "front"]
    await screenshot(desk, "realname-console-review")
    await desk.click("form[action$='/approve'] button")
    await desk.wait_for_url("**/console/verifications/*?done=approved")
    assert await desk.locator("form[action$='/revoke']").count() == 1  # approved: only revoking is left

    await page.goto(live_server.url(host, "/account/verification"))
    await page.locator("[data-state=approved]").wait_for()
    await screenshot(page, "realname-customer-verified-phone")
