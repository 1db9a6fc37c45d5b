"""The owner edits a service's booking form in the console (a choice and a number with bounds,
a mistake shown and fixed) and the customer's booking page asks those questions."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.testing.factories import (
    PASSWORD,
    make_console_user,
    make_customer,
    make_item,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_owner_adds_booking_questions_and_the_customer_is_asked_them(live_server, desktop_page, runtime, make_tenant):
    tenant = await make_tenant(prefix="fields", name="Fields Franchise", locale="en")
    item_id = await make_item(tenant, slug="repair", title="Appliance repair", pricing_model="quote", price=5000)
    owner = await make_console_user(tenant, "owner")
    host = f"{tenant.slug}.localhost"
    page = desktop_page

    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", owner.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/console/?$"))
    await page.goto(live_server.url(host, f"/console/catalog/items/{item_id}"))

    await page.click("button[name=op][value='field-add:select']")
    await page.fill("#field-field-0-label", "Appliance")
    await page.fill("#field-field-0-choices", "Air conditioner\nFridge")
    await page.check("#field-field-0-required")
    await page.click("button[name=op][value='field-add:number']")
    await page.fill("#field-field-1-label", "Indoor units")
    await page.fill("#field-field-1-min", "5")
    await page.fill("#field-field-1-max", "2")
    await page.click(".form-actions button:has-text('Save')")
    summary = page.locator(".error-summary")
    await summary.wait_for()
    assert "The largest value can not be below the smallest." in await page.inner_text("#booking-fields")
    assert await page.input_value("#field-field-0-label") == "Appliance"  # nothing typed is lost
    await page.screenshot(path=str(live_server.log_path.parent / "console-booking-fields.png"), full_page=True)
    await page.fill("#field-field-1-min", "1")
    await page.fill("#field-field-1-max", "6")
    await page.click(".form-actions button:has-text('Save')")
    await page.wait_for_url(re.compile(rf"/console/catalog/items/{item_id}\?done=item-saved"))

    customer_id = await make_customer(tenant)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    await page.context.add_cookies([{"name": "hearth_sid", "value": token, "url": live_server.url(host)}])
    await page.goto(live_server.url(host, "/book/repair"))
    form = await page.inner_text("form.book")
    assert "Appliance" in form and "Indoor units" in form
    assert await page.locator("select[name^='fields.'] option", has_text="Fridge").count() == 1
    assert await page.get_attribute("input[type=number][name^='fields.']", "max") == "6"
