"""Console sign-in: neutral errors, rate limits, TOTP enrolment and sign-in, recovery codes,
tenants kept apart."""

from __future__ import annotations

import pytest

from platform_core.testing.factories import (
    PASSWORD,
    make_console_user,
    post_form,
    sign_in,
    totp_code,
    totp_secret,
    unique_email,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

JSON = {"accept": "application/json"}


@pytest.fixture
async def console_a(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        yield with_csrf(client)


async def test_owner_signs_in_and_sees_the_dashboard(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    response = await sign_in(console_a, owner.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/"
    dashboard = await console_a.get("/console/")
    assert dashboard.status_code == 200
    assert "Franchise A" in dashboard.text
    assert owner.display_name in dashboard.text


async def test_console_pages_send_strangers_to_sign_in(console_a):
    response = await console_a.get("/console/users")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in?next=")


async def test_unknown_email_and_wrong_password_get_the_same_answer(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    wrong_password = await sign_in(console_a, owner.email, "not-the-password")
    unknown = await sign_in(console_a, unique_email("nobody"), "not-the-password")
    assert wrong_password.status_code == unknown.status_code == 400
    assert "The email or password is wrong." in wrong_password.text
    assert "The email or password is wrong." in unknown.text
    assert "hearth_sid" not in wrong_password.cookies and "hearth_sid" not in unknown.cookies


async def test_sign_in_is_rate_limited_per_email(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    for _ in range(10):
        assert (await sign_in(console_a, owner.email, "wrong-password-1")).status_code == 400
    limited = await sign_in(console_a, owner.email, PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    # Another account from the same place is still let through.
    other = await make_console_user(tenant_a, "manager")
    assert (await sign_in(console_a, other.email)).status_code == 303


async def test_a_successful_sign_in_resets_the_email_counter(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    for _ in range(9):
        await sign_in(console_a, owner.email, "wrong-password-1")
    assert (await sign_in(console_a, owner.email)).status_code == 303
    console_a.cookies.delete("hearth_sid")
    for _ in range(9):
        assert (await sign_in(console_a, owner.email, "wrong-password-1")).status_code == 400


async def test_disabled_user_cannot_sign_in(console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    support = await make_console_user(tenant_a, "support")
    await sign_in(console_a, owner.email)
    assert (await post_form(console_a, f"/console/users/{support.id}", {"status": "disabled"})).status_code == 303
    console_a.cookies.delete("hearth_sid")
    response = await sign_in(console_a, support.email)
    assert response.status_code == 400
    assert "This account is disabled." in response.text


async def enrol_totp(client, tenant, user) -> tuple[str, list[str]]:
    """Set up 2FA through the security page; returns the secret and the recovery codes shown."""
    assert (await post_form(client, "/console/account/security/totp/start")).status_code == 303
    page = await client.get("/console/account/security")
    assert "<svg" in page.text  # the QR code, rendered on the server
    secret = await totp_secret(tenant, user.id)
    assert " ".join(secret[i:i + 4] for i in range(0, 8, 4)) in page.text  # the key for typing in
    confirmed = await post_form(client, "/console/account/security/totp/confirm", {"code": totp_code(secret)})
    assert confirmed.status_code == 200
    import re

    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", confirmed.text)
    assert len(codes) == 10
    return secret, codes


async def test_totp_enrolment_needs_a_correct_code(console_a, tenant_a, runtime):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    await post_form(console_a, "/console/account/security/totp/start")
    wrong = await post_form(console_a, "/console/account/security/totp/confirm", {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right." in wrong.text
    page = await console_a.get("/console/account/security")
    assert "/console/account/security/totp/confirm" in page.text  # still waiting to be confirmed


async def test_sign_in_with_totp_asks_for_a_code(app, console_a, tenant_a, runtime):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    secret, _ = await enrol_totp(console_a, tenant_a, owner)
    await post_form(console_a, "/console/sign-out")

    async with client_for(app, f"{tenant_a.slug}.localhost") as browser:
        with_csrf(browser)
        first = await sign_in(browser, owner.email)
        assert first.status_code == 303
        assert first.headers["location"].startswith("/console/sign-in/2fa")
        # Password alone does not open the console.
        assert (await browser.get("/console/")).status_code == 303
        assert (await post_form(browser, "/console/sign-in/2fa", {"code": "123456"})).status_code == 400
        code = totp_code(secret)
        passed = await post_form(browser, "/console/sign-in/2fa", {"code": code, "next": "/console/users"})
        assert passed.status_code == 303
        assert passed.headers["location"] == "/console/users"
        assert (await browser.get("/console/")).status_code == 200

    async with client_for(app, f"{tenant_a.slug}.localhost") as replay:
        with_csrf(replay)
        await sign_in(replay, owner.email)
        # The same code a second time is a replay, even inside its 30 seconds.
        assert (await post_form(replay, "/console/sign-in/2fa", {"code": code})).status_code == 400


async def test_a_recovery_code_works_once(app, console_a, tenant_a, runtime):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    _, codes = await enrol_totp(console_a, tenant_a, owner)

    async def second_step(code: str) -> int:
        async with client_for(app, f"{tenant_a.slug}.localhost") as browser:
            with_csrf(browser)
            await sign_in(browser, owner.email)
            return (await post_form(browser, "/console/sign-in/2fa", {"code": code.upper()})).status_code

    assert await second_step(codes[0]) == 303
    assert await second_step(codes[0]) == 400
    assert await second_step(codes[1]) == 303


async def test_regenerated_recovery_codes_replace_the_old_ones(app, console_a, tenant_a, runtime):
    import re

    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    _, old_codes = await enrol_totp(console_a, tenant_a, owner)
    fresh = await post_form(console_a, "/console/account/security/recovery-codes")
    new_codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", fresh.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    async with client_for(app, f"{tenant_a.slug}.localhost") as browser:
        with_csrf(browser)
        await sign_in(browser, owner.email)
        assert (await post_form(browser, "/console/sign-in/2fa", {"code": old_codes[0]})).status_code == 400


async def test_turning_2fa_off_needs_the_password(console_a, tenant_a, runtime):
    owner = await make_console_user(tenant_a, "owner")
    await sign_in(console_a, owner.email)
    await enrol_totp(console_a, tenant_a, owner)
    refused = await post_form(console_a, "/console/account/security/totp/disable", {"password": "wrong-password-1"})
    assert refused.status_code == 400
    done = await post_form(console_a, "/console/account/security/totp/disable", {"password": PASSWORD})
    assert done.status_code == 303
    console_a.cookies.delete("hearth_sid")
    assert (await sign_in(console_a, owner.email)).headers["location"] == "/console/"


async def test_changing_the_password_signs_out_other_sessions(app, console_a, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    async with client_for(app, f"{tenant_a.slug}.localhost") as other_device:
        with_csrf(other_device)
        await sign_in(other_device, owner.email)
        await sign_in(console_a, owner.email)
        short = await post_form(console_a, "/console/account/security/password",
                                {"current_password": PASSWORD, "new_password": "short"})
        assert short.status_code == 400
        assert "Use at least 10 characters." in short.text
        changed = await post_form(console_a, "/console/account/security/password",
                                  {"current_password": PASSWORD, "new_password": "a-new-long-password"})
        assert changed.status_code == 303
        assert (await console_a.get("/console/")).status_code == 200
        assert (await other_device.get("/console/")).status_code == 303
    console_a.cookies.delete("hearth_sid")
    assert (await sign_in(console_a, owner.email, "a-new-long-password")).status_code == 303


async def test_console_user_of_a_cannot_sign_in_on_b(app, tenant_a, tenant_b):
    owner_a = await make_console_user(tenant_a, "owner")
    async with client_for(app, f"{tenant_b.slug}.localhost") as console_b:
        with_csrf(console_b)
        response = await sign_in(console_b, owner_a.email)
        assert response.status_code == 400
        assert "The email or password is wrong." in response.text


async def test_a_session_from_a_is_not_honoured_on_b(app, console_a, tenant_a, tenant_b):
    owner_a = await make_console_user(tenant_a, "owner")
    response = await sign_in(console_a, owner_a.email)
    token = response.cookies["hearth_sid"]
    async with client_for(app, f"{tenant_b.slug}.localhost") as console_b:
        console_b.cookies.set("hearth_sid", token)
        assert (await console_b.get("/console/users")).status_code == 303


async def test_console_users_list_shows_only_this_tenants_users(app, console_a, tenant_a, tenant_b):
    owner_a = await make_console_user(tenant_a, "owner")
    owner_b = await make_console_user(tenant_b, "owner")
    await sign_in(console_a, owner_a.email)
    page = await console_a.get("/console/users")
    assert owner_a.email in page.text
    assert owner_b.email not in page.text
    # B's user id on A's host is not found.
    response = await post_form(console_a, f"/console/users/{owner_b.id}", {"role": "support"}, headers=JSON)
    assert response.status_code == 404


async def test_console_is_not_served_on_the_platform_host(platform_client):
    response = await platform_client.get("/console/sign-in", headers=JSON)
    assert response.status_code == 404


async def test_sign_in_page_renders_and_the_next_is_kept_local(console_a):
    page = await console_a.get("/console/sign-in?next=//evil.example/")
    assert page.status_code == 200
    assert 'name="next" value="/console/"' in page.text
