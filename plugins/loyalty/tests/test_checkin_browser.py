"""Check-in and tasks in Debian's chromium on a phone: the customer checks in by the button, gets a
share link and copies it; the console's tasks list and form on a desktop."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_customer, make_item
from plugins.loyalty import tasks

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(os.environ.get("LOYALTY_SHOTS", "")) if os.environ.get("LOYALTY_SHOTS") else None


async def _sign_in(page, live_server, tenant, kind: str, user_id: int) -> str:
    host = f"{tenant.slug}.localhost"
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url(host)},
                                    {"name": "hearth_locale", "value": "en", "url": live_server.url(host)}])
    return host


async def _shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_a_customer_checks_in_and_shares_a_service_on_a_phone(live_server, page, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ckb", name="Sunny Home", timezone="Asia/Shanghai", locale="en")
    await enable_plugin(tenant, "loyalty", checkin_points=5)
    await make_item(tenant, slug="deep-clean", title="Deep clean")
    async with tenant_scope(tenant.id):
        await tasks.save_task(tasks.TaskInput(code="profile", kind="profile", title="Complete your profile", reward_points=50))
        await tasks.save_task(tasks.TaskInput(code="share", kind="share_visit", title="Share a service", reward_points=20,
                                              description="A friend opens your link"))
    customer = await make_customer(tenant)
    host = await _sign_in(page, live_server, tenant, "customer", customer)

    await page.goto(live_server.url(host, "/p/loyalty/checkin"))
    await _shot(page, "checkin-before")
    await page.click("[data-testid=checkin-button]")
    await page.wait_for_url(re.compile(r"/p/loyalty/checkin\?done=ok$"))
    assert await page.locator(".checkin-day--done").count() == 1
    assert "Checked in today" in await page.inner_text("main")
    await _shot(page, "checkin-after")

    await page.goto(live_server.url(host, "/p/loyalty/tasks"))
    await page.select_option("select[name=item_id]", label="Deep clean")
    await page.click("text=Get my link")
    await page.wait_for_url(re.compile(r"/p/loyalty/tasks#share-"))
    link = await page.input_value(".share-link input")
    assert re.search(r"/p/loyalty/s/[A-Za-z0-9]+$", link)
    await page.click(".share-link button")
    await page.wait_for_function("document.querySelector('.share-link button').textContent === 'Copied'")
    await _shot(page, "tasks")


async def test_the_console_lists_and_edits_tasks(live_server, desktop_page, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ckc", name="Sunny Home", timezone="Asia/Shanghai", locale="en")
    await enable_plugin(tenant, "loyalty")
    await make_item(tenant, slug="deep-clean", title="Deep clean")
    async with tenant_scope(tenant.id):
        await tasks.save_task(tasks.TaskInput(code="review", kind="review", title="Review an order", reward_points=30))
    owner = await make_console_user(tenant, "owner")
    page = desktop_page
    host = await _sign_in(page, live_server, tenant, "console", owner.id)
    await page.goto(live_server.url(host, "/p/loyalty/console/tasks"))
    assert "Review an order" in await page.inner_text("main")
    await _shot(page, "console-tasks")
    await page.click("text=New task")
    await page.fill("input[name=title]", "Priority for sharers")
    await page.fill("input[name=code]", "sharer")
    await page.select_option("select[name=kind]", "share_signup")
    await page.fill("input[name=priority_days]", "30")
    await page.check("input[name=priority_item_ids]")
    await page.fill("input[name=priority_held_back]", "1")
    await _shot(page, "console-task-form")
    await page.click("text=Save task")
    await page.wait_for_url(re.compile(r"/p/loyalty/console/tasks$"))
    assert "Priority for sharers" in await page.inner_text("main")
