"""The platform console: operators only, on the platform host only; tenants created, suspended, resumed."""

from __future__ import annotations

import secrets

import pytest

from platform_core.testing.factories import (
    PASSWORD,
    make_console_user,
    make_operator,
    post_form,
    sign_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

JSON = {"accept": "application/json"}


@pytest.fixture
async def operator_client(platform_client):
    operator = await make_operator()
    with_csrf(platform_client)
    response = await sign_in(platform_client, operator.email, path="/platform/sign-in")
    assert response.status_code == 303
    assert response.headers["location"] == "/platform/tenants"
    return platform_client


async def test_platform_pages_send_strangers_to_sign_in(platform_client):
    response = await platform_client.get("/platform/tenants")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/platform/sign-in")


async def test_operator_sees_the_tenants(operator_client, tenant_a, tenant_b):
    assert (await operator_client.get("/platform/")).headers["location"] == "/platform/tenants"
    page = await operator_client.get("/platform/tenants")
    assert page.status_code == 200
    assert tenant_a.slug in page.text and tenant_b.slug in page.text


async def test_platform_console_refuses_tenant_hosts(app, tenant_a):
    operator = await make_operator()
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        with_csrf(client)
        assert (await client.get("/platform/sign-in", headers=JSON)).status_code == 404
        assert (await sign_in(client, operator.email, path="/platform/sign-in")).status_code == 404
        assert (await client.get("/platform/tenants", headers=JSON)).status_code == 404


async def test_console_users_cannot_use_the_platform_console(app, platform_client, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    with_csrf(platform_client)
    # Their email is not an operator's...
    assert (await sign_in(platform_client, owner.email, path="/platform/sign-in")).status_code == 400
    # ...and a console session carried over to the platform host counts for nothing.
    async with client_for(app, f"{tenant_a.slug}.localhost") as console:
        token = (await sign_in(with_csrf(console), owner.email)).cookies["hearth_sid"]
    platform_client.cookies.set("hearth_sid", token)
    assert (await platform_client.get("/platform/tenants")).status_code == 303


async def test_operator_creates_a_tenant_with_field_errors_first(app, operator_client):
    bad = await post_form(operator_client, "/platform/tenants", {"slug": "Not A Slug!", "name": "New Franchise"})
    assert bad.status_code == 400
    assert "lowercase letters, digits and hyphens" in bad.text
    slug = f"new-{secrets.token_hex(3)}"
    created = await post_form(operator_client, "/platform/tenants", {
        "slug": slug, "name": "New Franchise", "locale": "en", "timezone": "Europe/London", "currency": "GBP",
    })
    assert created.status_code == 303
    assert created.headers["location"].startswith(f"/platform/tenants/{slug}")
    detail = await operator_client.get(f"/platform/tenants/{slug}")
    assert detail.status_code == 200 and "New Franchise" in detail.text
    taken = await post_form(operator_client, "/platform/tenants", {"slug": slug, "name": "Again"})
    assert taken.status_code == 409
    bad_zone = await post_form(operator_client, "/platform/tenants", {"slug": f"z-{slug}", "name": "Zone", "timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 400 and "Unknown time zone." in bad_zone.text
    async with client_for(app, f"{slug}.localhost") as site:
        assert (await site.get("/console/sign-in")).status_code == 200


async def test_operator_suspends_and_resumes_a_tenant(app, operator_client, tenant_a):
    no_reason = await post_form(operator_client, f"/platform/tenants/{tenant_a.slug}/suspend", {"reason": ""})
    assert no_reason.status_code == 400
    suspended = await post_form(operator_client, f"/platform/tenants/{tenant_a.slug}/suspend", {"reason": "Unpaid royalties"})
    assert suspended.status_code == 303
    async with client_for(app, f"{tenant_a.slug}.localhost") as site:
        page = await site.get("/console/sign-in")
        assert page.status_code in (403, 503)
        assert "temporarily unavailable" in page.text.lower() or "暂停" in page.text
        detail = await operator_client.get(f"/platform/tenants/{tenant_a.slug}")
        assert "Unpaid royalties" in detail.text
        resumed = await post_form(operator_client, f"/platform/tenants/{tenant_a.slug}/resume")
        assert resumed.status_code == 303
        assert (await site.get("/console/sign-in")).status_code == 200


async def test_operator_sets_up_2fa_and_signs_in_with_a_code(app, operator_client, hearth_settings):
    import re

    import pyotp

    await post_form(operator_client, "/platform/account/security/totp/start")
    page = await operator_client.get("/platform/account/security")
    secret = re.search(r'<code class="mono secret">([A-Z2-7 ]+)</code>', page.text).group(1).replace(" ", "")
    confirmed = await post_form(operator_client, "/platform/account/security/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    email = re.search(r'<div class="muted">([^<]+@[^<]+)</div>', page.text).group(1)
    async with client_for(app, hearth_settings.platform_host) as again:
        with_csrf(again)
        first = await sign_in(again, email, PASSWORD, path="/platform/sign-in")
        assert first.headers["location"].startswith("/platform/sign-in/2fa")
        assert (await again.get("/platform/tenants")).status_code == 303
        code = pyotp.TOTP(secret).at(__import__("time").time() + 30)  # the next step's code: still accepted
        assert (await post_form(again, "/platform/sign-in/2fa", {"code": code})).status_code == 303
        assert (await again.get("/platform/tenants")).status_code == 200
