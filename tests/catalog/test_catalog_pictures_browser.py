"""A manager uploads a service's cover picture in the console, in Debian's chromium, and the
customer's page shows it."""

from __future__ import annotations

import re

import pytest

from platform_core.catalog import services
from platform_core.catalog.schemas import CategoryCreate, ServiceItemCreate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import PASSWORD, make_console_user
from tests.catalog.test_catalog_console import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_manager_uploads_an_items_picture(live_server, desktop_page, make_tenant, tmp_path):
    tenant = await make_tenant(prefix="pics", name="Picture Home", locale="en")
    async with tenant_scope(tenant.id) as ctx:
        category = await services.create_category(ctx, CategoryCreate(code="cleaning", title="Cleaning", icon="broom"))
        item = await services.create_item(ctx, ServiceItemCreate(
            category_id=category.id, slug="deep-clean", title="Deep cleaning", duration_minutes=240, pricing_model="fixed", price=39900))
    manager = await make_console_user(tenant, "manager")
    host = f"{tenant.slug}.localhost"
    page = desktop_page
    picture = tmp_path / "kitchen.png"
    picture.write_bytes(png(64, 40))

    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", manager.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/?$"))
    await page.goto(live_server.url(host, f"/console/catalog/items/{item.id}"))
    assert await page.locator("input[name=cover_url]").get_attribute("type") == "hidden"  # nothing to type

    await page.set_input_files("input[name='cover_url:file']", str(picture))
    assert await page.locator("#preview-cover_url").is_visible()  # shown before it is saved
    await page.click("button.btn--primary:has-text('Save')")
    await page.wait_for_url(re.compile(rf"/console/catalog/items/{item.id}\?done=item-saved"))
    src = await page.get_attribute("#preview-cover_url", "src")
    assert src and src.startswith("/media/")
    assert await page.evaluate("document.getElementById('preview-cover_url').naturalWidth") == 64
    await page.screenshot(path=str(live_server.log_path.parent / "console-item-picture.png"), full_page=True)

    await page.goto(live_server.url(host, "/services/deep-clean"))
    assert await page.locator(f"img[src='{src}']").count() >= 1
