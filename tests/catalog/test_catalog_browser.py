"""The catalog as people use it in Debian's chromium: a customer browses on a phone; a manager adds
a service with its steps in the console and it appears on the site."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.console_schemas import ConsoleUserCreate
from platform_core.accounts.console_services import create_console_user
from platform_core.catalog import services
from platform_core.catalog.schemas import (
    CategoryCreate,
    ServiceItemCreate,
    Step,
    StepsBlock,
)
from platform_core.tenancy.context import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_customer_browses_the_services_on_a_phone_and_opens_one(live_server, page, make_tenant):
    tenant = await make_tenant(prefix="browse", name="Browse Home", locale="en", currency="HKD")
    async with tenant_scope(tenant.id) as ctx:
        cleaning = await services.create_category(ctx, CategoryCreate(code="cleaning", title="Home cleaning", icon="broom"))
        await services.create_item(ctx, ServiceItemCreate(
            category_id=cleaning.id, slug="daily-cleaning", title="Regular home cleaning", duration_minutes=180,
            pricing_model="hourly", price=15000, min_quantity=3, cover_url="/static/core/img/catalog/daily-cleaning.svg",
            content=[StepsBlock(steps=[Step(title="Dust and tidy"), Step(title="Floors", detail="Vacuumed and mopped")])],
        ))
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([{"name": "hearth_locale", "value": "en", "url": live_server.url(host)}])

    await page.goto(live_server.url(host, "/"))
    await page.click(".tabbar >> text=Services")
    await page.wait_for_url(re.compile(r"/services$"))
    assert "HK$150.00" in await page.inner_text("main")
    await page.click("text=Regular home cleaning")
    await page.wait_for_url(re.compile(r"/services/daily-cleaning$"))
    steps = await page.inner_text("ol.steps")
    assert "Dust and tidy" in steps and "Vacuumed and mopped" in steps
    assert await page.get_attribute("a:has-text('Book now')", "href") == "/book/daily-cleaning"
    await page.screenshot(path=str(live_server.log_path.parent / "catalog-item.png"), full_page=True)


async def test_manager_adds_a_service_in_the_console_and_customers_see_it(live_server, desktop_page, make_tenant):
    tenant = await make_tenant(prefix="shop", name="Shop Home", locale="en")
    async with tenant_scope(tenant.id) as ctx:
        await create_console_user(ConsoleUserCreate(
            email="manager@shop.example", display_name="Max Manager", role="manager", password="correct-horse-battery"))
        await services.create_category(ctx, CategoryCreate(code="appliances", title="Appliances", icon="snowflake"))
    host = f"{tenant.slug}.localhost"
    page = desktop_page

    await page.goto(live_server.url(host, "/console/catalog"))
    await page.wait_for_url(re.compile(r"/console/sign-in"))
    await page.fill("input[name=email]", "manager@shop.example")
    await page.fill("input[name=password]", "correct-horse-battery")
    await page.click("button[type=submit]:visible")
    await page.wait_for_url(re.compile(r"/console/catalog$"))

    await page.click("a:has-text('Add a service'):visible")
    await page.fill("input[name=title]", "Air conditioner cleaning")
    await page.fill("input[name=slug]", "aircon")
    await page.select_option("select[name=category_id]", label="Appliances")
    await page.fill("input[name=price]", "480")
    await page.fill("input[name=duration_value]", "90")
    await page.select_option("select[name=duration_unit]", "minutes")
    await page.click("button[value='add-block:steps']")
    await page.fill("textarea[name=content-0-steps]", "Check | We run the unit\nWash | Filters and coil")
    await page.click("button.btn--primary:has-text('Save')")
    await page.wait_for_url(re.compile(r"/console/catalog/items/\d+\?done=item-created"))
    assert "The service has been added." in await page.inner_text("main")

    await page.goto(live_server.url(host, "/services/aircon"))
    assert "We run the unit" in await page.inner_text("ol.steps")
