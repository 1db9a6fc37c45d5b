"""The Plugins pages: a franchise turns plugins on and configures them; the platform sees the
catalog and sets defaults; the announcements banner reaches the customer site."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest

from platform_core.accounts.console_schemas import ConsoleUserCreate, OperatorCreate
from platform_core.accounts.console_services import create_console_user, create_operator
from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.db import tenant_transaction
from platform_core.pluginsys.services import (
    enable_plugin,
    get_platform_default,
    get_plugin_config,
    set_platform_default,
    set_plugin_config,
)
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.pytest_plugin import client_for

CSRF = "plugins-test-csrf"


async def _signed_in(client, *, kind: str, user_id: int, tenant_id: int | None):
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant_id)
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set("hearth_csrf", CSRF)
    return client


async def _console_user(tenant, role: str):
    async with tenant_scope(tenant.id):
        return await create_console_user(ConsoleUserCreate(
            email=f"{role}-{secrets.token_hex(4)}@example.com", display_name=f"{role.title()} Person", role=role,
            password="correct-horse-battery",
        ))


@pytest.fixture
async def owner_a(client_a, runtime, tenant_a):
    user = await _console_user(tenant_a, "owner")
    return await _signed_in(client_a, kind="console", user_id=user.id, tenant_id=tenant_a.id)


@pytest.fixture
async def operator_client(app, runtime, hearth_settings):
    async with tenant_transaction(None):
        operator = await create_operator(OperatorCreate(
            email=f"op-{secrets.token_hex(4)}@example.com", display_name="Olivia Operator", password="correct-horse-battery",
        ))
    async with client_for(app, hearth_settings.platform_host) as client:
        yield await _signed_in(client, kind="operator", user_id=operator.id, tenant_id=None)


async def test_franchise_owner_sees_the_plugins_page_with_its_settings_form(owner_a):
    response = await owner_a.get("/console/plugins")
    assert response.status_code == 200
    assert 'id="plugin-announcements"' in response.text
    assert 'name="starts_on"' in response.text and 'type="date"' in response.text
    assert '<select class="select" id="cfg-announcements-level" name="level"' in response.text


async def test_console_users_without_plugins_permission_are_refused(client_a, runtime, tenant_a):
    user = await _console_user(tenant_a, "dispatcher")
    client = await _signed_in(client_a, kind="console", user_id=user.id, tenant_id=tenant_a.id)
    assert (await client.get("/console/plugins")).status_code == 403


async def test_plugins_page_needs_a_console_sign_in(client_a):
    response = await client_a.get("/console/plugins")
    assert response.status_code == 303 and response.headers["location"].startswith("/console/sign-in")


async def test_owner_turns_a_plugin_on_for_their_franchise_only(owner_a, runtime, tenant_a, tenant_b):
    response = await owner_a.post("/console/plugins/announcements/toggle", data={"csrf_token": CSRF, "enabled": "on"})
    assert response.status_code == 303
    async with tenant_scope(tenant_a.id) as a:
        assert "announcements" in a.enabled_plugins
    async with tenant_scope(tenant_b.id) as b:
        assert "announcements" not in b.enabled_plugins
    page = await owner_a.get(response.headers["location"])
    assert 'id="toggle-announcements" name="enabled" value="on" checked' in page.text


async def test_htmx_toggle_swaps_just_the_card(owner_a, tenant_a):
    await owner_a.post("/console/plugins/announcements/toggle", data={"csrf_token": CSRF, "enabled": "on"})
    response = await owner_a.post(
        "/console/plugins/announcements/toggle", data={"csrf_token": CSRF}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<article") and 'id="plugin-announcements"' in response.text
    async with tenant_scope(tenant_a.id) as a:
        assert "announcements" not in a.enabled_plugins


async def test_settings_errors_show_next_to_their_fields_and_nothing_is_saved(owner_a, runtime, tenant_a):
    response = await owner_a.post("/console/plugins/announcements/config", data={
        "csrf_token": CSRF, "title": "x" * 81, "level": "loud", "show_on": "customer", "starts_on": "soon", "ends_on": "",
    })
    assert response.status_code == 400
    assert 'id="cfg-announcements-level-error"' in response.text
    assert 'id="cfg-announcements-starts_on-error"' in response.text
    assert 'id="cfg-announcements-title-error"' in response.text
    assert (await get_plugin_config(tenant_a.id, "announcements")).title == ""


async def test_saving_settings_keeps_untouched_fields_inheriting(owner_a, runtime, tenant_a):
    response = await owner_a.post("/console/plugins/announcements/config", data={
        "csrf_token": CSRF, "title": "春节休息", "body": "", "level": "info", "show_on": "customer", "starts_on": "", "ends_on": "",
    })
    assert response.status_code == 303
    config = await get_plugin_config(tenant_a.id, "announcements")
    assert config.title == "春节休息"
    page = await owner_a.get("/console/plugins")
    assert "春节休息" in page.text


async def test_announcement_shows_on_the_customer_site_while_its_dates_hold(client_a, client_b, runtime, tenant_a, tenant_b):
    today = date.today()
    for tenant in (tenant_a, tenant_b):
        await set_plugin_config(tenant.id, "announcements", {"title": "Closed for the holiday", "show_on": "both"})
    await enable_plugin(tenant_a.id, "announcements", actor="test")
    assert "Closed for the holiday" in (await client_a.get("/account/sign-in")).text
    # B has the same config but the plugin off: no banner.
    assert "Closed for the holiday" not in (await client_b.get("/account/sign-in")).text
    # Outside its dates the notice is gone.
    await set_plugin_config(tenant_a.id, "announcements", {"ends_on": str(today - timedelta(days=2)), "starts_on": str(today - timedelta(days=5))})
    assert "Closed for the holiday" not in (await client_a.get("/account/sign-in")).text


async def test_platform_catalog_shows_who_has_each_plugin_and_sets_defaults(operator_client, runtime, tenant_a):
    await enable_plugin(tenant_a.id, "announcements", actor="test")
    response = await operator_client.get("/platform/plugins")
    assert response.status_code == 200
    assert tenant_a.slug in response.text and 'id="plugin-announcements"' in response.text
    try:
        saved = await operator_client.post("/platform/plugins/announcements/defaults", data={
            "csrf_token": CSRF, "title": "", "body": "", "level": "warning", "show_on": "customer", "starts_on": "", "ends_on": "",
        })
        assert saved.status_code == 303
        assert (await get_platform_default("announcements")).level == "warning"
        assert (await get_plugin_config(tenant_a.id, "announcements")).level == "warning"
        bad = await operator_client.post("/platform/plugins/announcements/defaults", data={"csrf_token": CSRF, "level": "loud"})
        assert bad.status_code == 400 and 'id="cfg-announcements-level-error"' in bad.text
    finally:
        await set_platform_default("announcements", {}, reset=("level",))


async def test_platform_catalog_is_for_operators_only(platform_client, client_a):
    assert (await platform_client.get("/platform/plugins")).status_code == 303
    assert (await client_a.get("/platform/plugins")).status_code == 404
