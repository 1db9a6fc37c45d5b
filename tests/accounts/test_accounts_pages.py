"""Customer and staff pages: sign-in by code in a browser, the account pages, CSRF, sessions."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from platform_core.db import current_connection
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import LoginIdentity, LoginProvider
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import api_sign_in, bearer, post_form, with_csrf
from platform_core.testing.pytest_plugin import client_for

PHONE, E164 = "13800138000", "+8613800138000"


async def browser_sign_in(client, sms, phone=PHONE, e164=E164, *, base="/account/sign-in", next_path="", headers=None):
    page = await client.get(base + (f"?next={next_path}" if next_path else ""))
    assert page.status_code == 200, page.text
    csrf = client.cookies.get("hearth_csrf")
    sent = await client.post(f"{base}/code", data={"csrf_token": csrf, "phone": phone, "next": next_path}, headers=headers)
    assert sent.status_code == 200, sent.text
    return await client.post(
        f"{base}/verify",
        data={"csrf_token": csrf, "phone": phone, "code": sms.code_for(e164), "next": next_path}, headers=headers,
    )


async def test_customer_signs_in_with_a_code_and_sees_the_account(client_a, sms):
    response = await browser_sign_in(client_a, sms)
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert "hearth_sid" in response.cookies
    account = await client_a.get("/account")
    assert account.status_code == 200
    assert "8000" in account.text and "13800138000" not in account.text


async def test_each_sign_in_is_recorded_with_its_method_address_and_device(client_a, tenant_a, sms):
    await browser_sign_in(client_a, sms, headers={"User-Agent": "Mozilla/5.0 (iPhone)\x00"})
    async with tenant_scope(tenant_a.id):
        record = await current_connection().fetchrow("select method, ip, device from core_customer_sign_in")
    assert (record["method"], record["device"]) == ("phone_code", "Mozilla/5.0 (iPhone)") and record["ip"]


async def test_account_pages_send_visitors_to_sign_in_with_next(client_a):
    response = await client_a.get("/account/addresses")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/sign-in?next=/account/addresses"


async def test_next_is_honoured_for_local_paths_only(client_a, app, tenant_a, sms):
    local = await browser_sign_in(client_a, sms, next_path="/account/addresses")
    assert local.headers["location"] == "/account/addresses"
    async with client_for(app, f"{tenant_a.slug}.localhost") as other:
        away = await browser_sign_in(other, sms, "13900139000", "+8613900139000", next_path="https://evil.example/")
    assert away.headers["location"] == "/account"


async def test_sign_in_errors_show_next_to_the_field(client_a, sms):
    await client_a.get("/account/sign-in")
    csrf = client_a.cookies.get("hearth_csrf")
    response = await client_a.post("/account/sign-in/code", data={"csrf_token": csrf, "phone": "12345"})
    assert response.status_code == 400
    assert 'id="field-phone-error"' in response.text
    assert "<html" in response.text


async def test_htmx_gets_the_card_alone_and_a_client_redirect(client_a, sms):
    response = await browser_sign_in(client_a, sms, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/account"
    await client_a.post("/account/sign-out", data={"csrf_token": client_a.cookies.get("hearth_csrf")})
    card = await client_a.post(
        "/account/sign-in/code", headers={"HX-Request": "true"},
        data={"csrf_token": client_a.cookies.get("hearth_csrf"), "phone": "13900139000"},
    )
    assert card.status_code == 200
    assert 'id="sign-in-card"' in card.text and "<html" not in card.text


async def test_form_post_without_csrf_token_is_refused(client_a, sms):
    await browser_sign_in(client_a, sms)
    response = await client_a.post("/account", data={"display_name": "Mallory"})
    assert response.status_code == 403


async def test_profile_form_saves_preferences_and_marks_bad_fields(client_a, sms):
    await browser_sign_in(client_a, sms)
    csrf = client_a.cookies.get("hearth_csrf")
    saved = await client_a.post("/account", data={
        "csrf_token": csrf, "display_name": "李女士", "email": "", "preferred_times": ["morning", "weekend"],
        "pets": "一只猫", "language": "zh_CN", "notes": "",
    })
    assert saved.status_code == 303
    page = await client_a.get(saved.headers["location"])
    assert "李女士" in page.text and "一只猫" in page.text
    bad = await client_a.post("/account", data={"csrf_token": csrf, "display_name": "x", "email": "nope"})
    assert bad.status_code == 400
    assert 'id="field-email-error"' in bad.text


async def test_profile_form_keeps_a_birthday_and_refuses_a_bad_one(client_a, sms):
    await browser_sign_in(client_a, sms)
    csrf = client_a.cookies.get("hearth_csrf")
    saved = await client_a.post("/account", data={"csrf_token": csrf, "display_name": "李女士", "birthday": "1988-02-29"})
    assert saved.status_code == 303
    assert 'value="1988-02-29"' in (await client_a.get("/account")).text
    bad = await client_a.post("/account", data={"csrf_token": csrf, "display_name": "李女士", "birthday": "1988-02-30"})
    assert bad.status_code == 400 and 'id="field-birthday-error"' in bad.text


async def test_address_book_pages(client_a, sms):
    await browser_sign_in(client_a, sms)
    csrf = client_a.cookies.get("hearth_csrf")
    empty = await client_a.get("/account/addresses")
    assert empty.status_code == 200 and 'class="empty"' in empty.text
    form = {"csrf_token": csrf, "label": "家", "contact_name": "王阿姨", "contact_phone": "13700137000",
            "city": "上海", "street": "漕溪北路 88 号"}
    refused = await client_a.post("/account/addresses", data={**form, "street": " "})
    assert refused.status_code == 400 and 'id="field-street-error"' in refused.text
    created = await client_a.post("/account/addresses", data=form)
    assert created.status_code == 303
    listed = await client_a.get("/account/addresses")
    assert "漕溪北路" in listed.text and "13700137000" not in listed.text
    address_id = re.search(r"/account/addresses/(\d+)/edit", listed.text).group(1)
    edited = await client_a.post(f"/account/addresses/{address_id}", data={**form, "contact_phone": "", "street": "衡山路 1 号"})
    assert edited.status_code == 303
    assert "衡山路" in (await client_a.get("/account/addresses")).text
    deleted = await client_a.post(f"/account/addresses/{address_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert "衡山路" not in (await client_a.get("/account/addresses")).text


async def test_another_tenants_session_cookie_is_not_honoured(client_a, app, tenant_b, sms):
    await browser_sign_in(client_a, sms)
    cookie = client_a.cookies.get("hearth_sid")
    async with client_for(app, f"{tenant_b.slug}.localhost") as other:
        other.cookies.set("hearth_sid", cookie)
        response = await other.get("/account")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/sign-in")


async def test_sign_out_everywhere_ends_other_sessions_and_tokens(client_a, app, tenant_a, runtime, tenant_b, sms):
    await browser_sign_in(client_a, sms)
    # A second browser and an app, signed in as the same customer.
    async with client_for(app, f"{tenant_a.slug}.localhost") as second:
        index = runtime.keyring.blind_index(E164, context="phone")
        await runtime.kv.delete(f"t:{tenant_a.id}:otp:phone:{index}:send-1m")
        app_token = (await api_sign_in(second, sms, PHONE, E164))["token"]
        await runtime.kv.delete(f"t:{tenant_a.id}:otp:phone:{index}:send-1m")
        await browser_sign_in(second, sms)
        assert (await second.get("/account")).status_code == 200
        done = await client_a.post("/account/sign-out-everywhere", data={"csrf_token": client_a.cookies.get("hearth_csrf")})
        assert done.status_code == 303
        assert (await second.get("/account")).status_code == 303
    assert (await client_a.get("/api/v1/me", headers=bearer(app_token))).status_code == 401
    assert (await client_a.get(done.headers["location"])).status_code == 200  # this browser stays in


async def test_sign_out_ends_this_browsers_session(client_a, sms):
    await browser_sign_in(client_a, sms)
    cookie = client_a.cookies.get("hearth_sid")
    response = await client_a.post("/account/sign-out", data={"csrf_token": client_a.cookies.get("hearth_csrf")})
    assert response.status_code == 303
    client_a.cookies.set("hearth_sid", cookie)
    assert (await client_a.get("/account")).status_code == 303


# --- staff ------------------------------------------------------------------------------------

STAFF_PHONE, STAFF_E164 = "13600136000", "+8613600136000"


@pytest.fixture
async def worker(runtime, tenant_a):
    from platform_core.accounts.services import ensure_staff

    async with tenant_scope(tenant_a.id) as tenant:
        await ensure_staff(runtime.keyring, tenant, name="张师傅", phone=STAFF_PHONE)


async def test_staff_sign_in_tells_an_unknown_number_to_ask_the_franchise(client_a, worker, sms):
    with_csrf(client_a)
    unknown = await post_form(client_a, "/staff/sign-in/code", {"phone": "13500135000"}, headers={"HX-Request": "true"})
    assert unknown.status_code == 400
    assert 'id="field-phone-error"' in unknown.text
    assert "Ask the franchise to add you" in unknown.text
    assert sms.sent_to("+8613500135000") == []
    known = await post_form(client_a, "/staff/sign-in/code", {"phone": STAFF_PHONE})
    assert known.status_code == 200 and len(sms.sent_to(STAFF_E164)) == 1


async def test_a_switched_off_worker_is_told_so(client_a, tenant_a, worker, sms):
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_staff set status = 'inactive'")
    refused = await post_form(with_csrf(client_a), "/staff/sign-in/code", {"phone": STAFF_PHONE})
    assert refused.status_code == 400
    assert "Your worker account is switched off" in refused.text and sms.sent_to(STAFF_E164) == []


async def test_trying_numbers_on_the_staff_sign_in_meets_the_send_limit(client_a, worker, sms):
    with_csrf(client_a)
    answers = [
        (await post_form(client_a, "/staff/sign-in/code", {"phone": f"1350013{n:04d}"})).status_code for n in range(21)
    ]
    assert answers[:20] == [400] * 20
    assert answers[20] == 429


async def test_staff_signs_in_and_sees_their_home(client_a, worker, sms):
    response = await browser_sign_in(client_a, sms, STAFF_PHONE, STAFF_E164, base="/staff/sign-in")
    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    home = await client_a.get("/staff/")
    assert home.status_code == 200
    assert "张师傅" in home.text
    assert 'href="/staff/jobs"' in home.text and 'href="/staff/availability"' in home.text
    # A staff session is not a customer session.
    assert (await client_a.get("/account")).status_code == 303


# --- sign in with a login provider from a plugin ----------------------------------------------


class ExampleLogin:
    """A plugin offering a third-party sign-in, as WeChat and QQ will."""

    def __init__(self) -> None:
        self.provider = LoginProvider(name="examplelogin", label="Example ID", authorize_url=self.authorize, complete=self.complete)

    @hookimpl
    def provide_login_providers(self):
        return [self.provider]

    async def authorize(self, tenant, state, redirect_uri):
        return f"https://id.example/authorize?state={state}&redirect_uri={redirect_uri}"

    async def complete(self, tenant, query, redirect_uri):
        return LoginIdentity(provider="examplelogin", subject="user-" + query["code"], display_name="Example User")


@pytest.fixture
async def login_plugin(runtime, tenant_a):
    runtime.pm.register(ExampleLogin(), name="examplelogin")
    # The relay keys its subsets by what is registered: the plugin is seen (and left out where off) at once.
    async with tenant_scope(tenant_a.id):
        await current_connection().execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, 'examplelogin', true)", tenant_a.id
        )
    yield
    runtime.pm.unregister(name="examplelogin")


async def link_phone(client, sms, *, link="examplelogin", phone=PHONE, e164=E164, send=True, **extra):
    """The phone step of a provider's first sign-in: a code to `phone` (unless one was sent), then verify with it."""
    csrf = client.cookies.get("hearth_csrf")
    if send:
        sent = await client.post("/account/sign-in/code", data={"csrf_token": csrf, "phone": phone, "link": link})
        assert sent.status_code == 200, sent.text
    return await client.post("/account/sign-in/verify", data={
        "csrf_token": csrf, "phone": phone, "code": sms.code_for(e164), "link": link, **extra})


async def test_sign_in_through_a_login_provider_plugin(runtime, client_a, client_b, tenant_a, login_plugin, sms):
    events = []

    class Listener:
        @hookimpl
        def on_customer_registered(self, event):
            events.append(event)

    runtime.pm.register(Listener(), name="core.test_listener")
    try:
        page = await client_a.get("/account/sign-in")
        assert "Example ID" in page.text
        started = await client_a.get("/account/sign-in/examplelogin?next=/account/addresses&invite=F1")
        assert started.status_code == 303
        query = parse_qs(urlsplit(started.headers["location"]).query)
        assert query["redirect_uri"] == [f"http://{tenant_a.slug}.localhost/account/sign-in/examplelogin/callback"]
        state = query["state"][0]
        # A first sign-in that brings no phone asks for one.
        asked = await client_a.get(f"/account/sign-in/examplelogin/callback?state={state}&code=42")
        assert asked.status_code == 303 and asked.headers["location"] == "/account/sign-in?link=examplelogin"
        step = await client_a.get(asked.headers["location"])
        assert "绑定手机号" in step.text and 'name="link" value="examplelogin"' in step.text  # "Link your phone number"
        done = await link_phone(client_a, sms, next="/account/addresses", invite="F1")
        assert done.status_code == 303 and done.headers["location"] == "/account/addresses"
        assert (await client_a.get("/account/addresses")).status_code == 200
        replay = await client_a.get(f"/account/sign-in/examplelogin/callback?state={state}&code=42")
        assert replay.status_code == 400
    finally:
        runtime.pm.unregister(name="core.test_listener")
    assert len(events) == 1 and events[0].attribution == {"provider": "examplelogin", "invite": "F1"}
    async with tenant_scope(tenant_a.id):
        linked = await current_connection().fetchrow("select provider, subject, customer_id from core_login_identity")
        name = await current_connection().fetchval("select display_name from core_customer")
    assert (linked["provider"], linked["subject"], linked["customer_id"]) == ("examplelogin", "user-42", events[0].customer_id)
    assert name == "Example User"
    # Tenant B does not have the plugin on.
    assert (await client_b.get("/account/sign-in/examplelogin")).status_code == 404


async def test_a_new_customer_through_a_login_provider_accepts_the_terms_first(client_a, tenant_a, login_plugin, sms):
    from platform_core.accounts import legal
    from platform_core.accounts.schemas import LegalDocumentPublish

    async with tenant_scope(tenant_a.id) as tenant:
        await legal.publish_document(tenant, "terms", LegalDocumentPublish(body_zh="第一条"), by="test")

    async def through_provider(query: str):
        started = await client_a.get(f"/account/sign-in/examplelogin?{query}")
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        return await client_a.get(f"/account/sign-in/examplelogin/callback?state={state}&code=7")

    page = await client_a.get("/account/sign-in")
    assert 'name="accept_terms"' in page.text and 'name="terms_version" value="1"' in page.text
    assert (await through_provider("next=/account")).status_code == 303
    refused = await link_phone(client_a, sms)
    assert refused.status_code == 400 and 'name="accept_terms"' in refused.text
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_customer") == 0
    # The box ticked on the sign-in page before going to the provider counts.
    assert (await through_provider("next=/account&accept_terms=1&terms_version=1&privacy_version=")).status_code == 303
    done = await link_phone(client_a, sms, send=False)  # the code refused with the box unticked is still good
    assert done.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_legal_acceptance") == 1
    # Accepted once, the next sign-in through the provider needs no box and no phone.
    await client_a.post("/account/sign-out", data={"csrf_token": client_a.cookies.get("hearth_csrf")})
    again = await through_provider("next=/account")
    assert again.status_code == 303 and again.headers["location"] == "/account"
