"""WeChat sign-in end to end: the franchise's site and API, the real wechatpy clients, and the
sandbox's WeChat endpoints over HTTP (authorise pages, access_token, userinfo, jscode2session)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from platform_core.db import current_connection
from platform_core.errors import Unauthorized
from platform_core.payments import services as payments
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer,
    make_customer,
    make_item,
    make_order,
    post_form,
    with_session,
)
from plugins.payments_wechat.plugin import NAME as PAY_PLUGIN
from plugins.payments_wechat.plugin import sandbox_values as pay_values

from .conftest import DESKTOP, IN_WECHAT, local, sign_in_through_wechat

PHONE, E164 = "13800138000", "+8613800138000"


async def link_phone(client, sms, phone=PHONE, e164=E164, **extra):
    sent = await post_form(client, "/account/sign-in/code", {"phone": phone, "link": "wechat"})
    assert sent.status_code == 200, sent.text
    return await post_form(client, "/account/sign-in/verify", {"phone": phone, "code": sms.code_for(e164), "link": "wechat", **extra})


async def identities(tenant) -> list[dict]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select customer_id, app_id, subject, unionid, display_name from core_login_identity order by id")
    return [dict(r) for r in rows]


async def sign_out(client) -> None:
    await post_form(client, "/account/sign-out")


async def test_inside_wechat_a_new_person_links_a_phone_once_then_signs_in_without_typing(
        tenant_a, wechat_on, browser_for, wechat_user, sms):
    cfg = await wechat_on(tenant_a)
    amy = wechat_user("amy")
    async with browser_for(tenant_a) as client:
        page = await client.get("/account/sign-in", headers={"User-Agent": IN_WECHAT})
        assert "WeChat" in page.text and 'name="share"' in page.text
        started = await client.get("/account/sign-in/wechat", headers={"User-Agent": IN_WECHAT})
        # Silent: the official account's base authorisation, nothing to approve.
        assert "/connect/oauth2/authorize?" in started.headers["location"] and "scope=snsapi_base" in started.headers["location"]
        back = await amy.authorize(started.headers["location"])
        asked = await client.get(local(back))
        assert asked.status_code == 303 and asked.headers["location"] == "/account/sign-in?link=wechat"
        step = await client.get(asked.headers["location"])
        assert "Link your phone number" in step.text
        done = await link_phone(client, sms)
        assert done.status_code == 303 and done.headers["location"] == "/account"
        methods = await client.get("/account/sign-in-methods")
        assert methods.status_code == 200 and 'data-method="wechat"' in methods.text and "8000" in methods.text
        await sign_out(client)
        again = await sign_in_through_wechat(client, amy)
        assert again.status_code == 303 and again.headers["location"] == "/account"
    [linked] = await identities(tenant_a)
    assert linked["app_id"] == cfg.wechat_login.mp_appid and linked["subject"].startswith("o") and linked["unionid"] == ""
    async with tenant_scope(tenant_a.id):
        methods = await current_connection().fetch("select method from core_customer_sign_in order by id")
    assert [m["method"] for m in methods] == ["wechat", "wechat"]


async def test_sharing_the_profile_links_an_existing_phone_and_the_desktop_qr_finds_the_same_person(
        tenant_a, wechat_on, browser_for, wechat_user, sms):
    cfg = await wechat_on(tenant_a)
    existing = await make_customer(tenant_a, E164, name="")
    amy = wechat_user("amy")
    async with browser_for(tenant_a) as client:
        asked = await sign_in_through_wechat(client, amy, query="share=1")
        assert asked.headers["location"] == "/account/sign-in?link=wechat"
        assert (await link_phone(client, sms)).status_code == 303
        await sign_out(client)
    # On a computer: the website app's QR sign-in; the unionid finds the customer.
    async with browser_for(tenant_a) as desktop:
        started = await desktop.get("/account/sign-in/wechat", headers={"User-Agent": DESKTOP})
        assert "/connect/qrconnect?" in started.headers["location"] and "snsapi_login" in started.headers["location"]
        back = await amy.authorize(started.headers["location"])
        done = await desktop.get(local(back))
        assert done.status_code == 303 and done.headers["location"] == "/account"
    mp, web = await identities(tenant_a)
    assert mp["customer_id"] == web["customer_id"] == existing
    assert (mp["app_id"], web["app_id"]) == (cfg.wechat_login.mp_appid, cfg.wechat_login.web_appid)
    assert mp["unionid"] and mp["unionid"] == web["unionid"] and mp["subject"] != web["subject"]
    async with tenant_scope(tenant_a.id):
        # The nickname WeChat shared names the customer who had no name.
        assert await current_connection().fetchval("select display_name from core_customer where id = $1", existing) == "amy"


async def test_denied_consent_comes_back_without_a_code_and_signs_nobody_in(tenant_a, wechat_on, browser_for, wechat_user):
    await wechat_on(tenant_a)
    async with browser_for(tenant_a) as client:
        refused = await sign_in_through_wechat(client, wechat_user(), ua=DESKTOP, decision="deny")
        assert refused.status_code == 400 and "You did not allow signing in with that service" in refused.text
        assert (await client.get("/account")).status_code == 303


async def test_a_tampered_state_or_one_from_another_browser_is_refused(tenant_a, wechat_on, browser_for, wechat_user):
    await wechat_on(tenant_a)
    amy = wechat_user()
    async with browser_for(tenant_a) as client, browser_for(tenant_a) as other:
        started = await client.get("/account/sign-in/wechat", headers={"User-Agent": IN_WECHAT})
        back = local(await amy.authorize(started.headers["location"]))
        state = parse_qs(urlsplit(back).query)["state"][0]
        tampered = await client.get(back.replace(state, state[:-2] + ("AA" if not state.endswith("AA") else "BB")))
        assert tampered.status_code == 400 and "This sign-in link has expired" in tampered.text
        # The callback carried to another browser (a link sent to a victim) signs nobody in there.
        elsewhere = await other.get(back)
        assert elsewhere.status_code == 400 and (await other.get("/account")).status_code == 303
        # ... and the state was used up by that try.
        assert (await client.get(back)).status_code == 400


async def test_a_used_or_expired_code_is_refused(tenant_a, wechat_on, browser_for, wechat_user, sandbox, sms):
    await wechat_on(tenant_a)
    amy = wechat_user()
    sb = sandbox[0]
    async with browser_for(tenant_a) as client:
        first = await sign_in_through_wechat(client, amy)
        assert first.status_code == 303
        used_code = parse_qs(urlsplit(first.request.url.raw_path.decode()).query)["code"][0]
        # A fresh state with the code WeChat already took back (40163).
        started = await client.get("/account/sign-in/wechat", headers={"User-Agent": IN_WECHAT})
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        reused = await client.get(f"/account/sign-in/wechat/callback?app=mp&code={used_code}&state={state}")
        assert reused.status_code == 400 and "expired or was used already" in reused.text
        # A code older than 5 minutes (40029).
        started = await client.get("/account/sign-in/wechat", headers={"User-Agent": IN_WECHAT})
        back = local(await amy.authorize(started.headers["location"]))
        sb.oauth_codes[parse_qs(urlsplit(back).query)["code"][0]]["issued"] -= 301
        expired = await client.get(back)
        assert expired.status_code == 400 and "expired or was used already" in expired.text


async def test_an_openid_linked_to_another_customer_is_refused(tenant_a, wechat_on, browser_for, wechat_user, sms):
    await wechat_on(tenant_a)
    amy = wechat_user("amy")
    async with browser_for(tenant_a) as client:
        await sign_in_through_wechat(client, amy)
        assert (await link_phone(client, sms)).status_code == 303
    other = await make_customer(tenant_a)
    async with browser_for(tenant_a) as client:
        await with_session(client, tenant_a, "customer", other)
        page = await client.get("/account/sign-in-methods")
        assert 'href="/account/sign-in/wechat?mode=link"' in page.text
        refused = await sign_in_through_wechat(client, amy, query="mode=link")
        assert refused.status_code == 409 and "already linked to another customer" in refused.text
    assert {i["customer_id"] for i in await identities(tenant_a)} != {other}


async def test_linking_from_the_account_and_the_rules_of_unlinking(tenant_a, wechat_on, browser_for, wechat_user):
    await wechat_on(tenant_a)
    with_phone = await make_customer(tenant_a)
    async with browser_for(tenant_a) as client:
        await with_session(client, tenant_a, "customer", with_phone)
        linked = await sign_in_through_wechat(client, wechat_user("bob"), query="mode=link")
        assert linked.status_code == 303 and linked.headers["location"] == "/account/sign-in-methods?done=linked"
        assert "Linked. You can now sign in with it too." in (await client.get(linked.headers["location"])).text
        # With a phone, WeChat can go; the phone always stays.
        gone = await post_form(client, "/account/sign-in-methods/wechat/unlink")
        assert gone.status_code == 303 and not await identities(tenant_a)
        assert (await post_form(client, "/account/sign-in-methods/wechat/unlink")).status_code == 404
    # Without a phone, the only identity is the only way in.
    async with tenant_scope(tenant_a.id):
        phoneless = await current_connection().fetchval(
            "insert into core_customer (tenant_id, display_name) values ($1, 'Wu') returning id", tenant_a.id)
        await current_connection().execute(
            "insert into core_login_identity (tenant_id, customer_id, provider, app_id, subject) values ($1, $2, 'wechat', 'wxapp', 'o-wu')",
            tenant_a.id, phoneless)
    async with browser_for(tenant_a) as client:
        await with_session(client, tenant_a, "customer", phoneless)
        page = await client.get("/account/sign-in-methods")
        assert "Your only way in" in page.text and "/unlink" not in page.text
        refused = await post_form(client, "/account/sign-in-methods/wechat/unlink")
        assert refused.status_code == 409 and "This is your only way to sign in" in refused.text
    assert len(await identities(tenant_a)) == 1


async def test_the_same_wechat_user_is_a_different_customer_at_each_franchise(
        tenant_a, tenant_b, wechat_on, browser_for, wechat_user, sms):
    await wechat_on(tenant_a)
    await wechat_on(tenant_b)
    amy = wechat_user("amy")
    for tenant in (tenant_a, tenant_b):
        async with browser_for(tenant) as client:
            asked = await sign_in_through_wechat(client, amy, query="share=1")
            assert asked.headers["location"] == "/account/sign-in?link=wechat"
            assert (await link_phone(client, sms)).status_code == 303
    [at_a], [at_b] = await identities(tenant_a), await identities(tenant_b)
    # Each franchise's own app: another openid and unionid, another customer.
    assert at_a["subject"] != at_b["subject"] and at_a["unionid"] != at_b["unionid"]


async def test_the_mini_program_exchanges_its_code_and_links_a_phone_through_the_api(
        app, tenant_a, wechat_on, sandbox, sms):
    from platform_core.testing.pytest_plugin import client_for

    cfg = await wechat_on(tenant_a)

    async def js_code(user="mina"):
        async with httpx.AsyncClient() as wx:
            answer = await wx.post(f"{cfg.base_url}/_sandbox/wechat/jscode", json={"appid": cfg.wechat_login.mini_appid, "user": user})
        return answer.json()["code"]

    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        first_code = await js_code()
        first = await api.post("/p/login_wechat/api/mini/session", json={"js_code": first_code})
        assert first.status_code == 200 and first.json()["status"] == "phone_required"
        link_token = first.json()["link_token"]
        assert (await api.post("/api/v1/auth/code", json={"phone": PHONE})).status_code == 202
        wrong = await api.post("/p/login_wechat/api/mini/link", json={"link_token": link_token, "phone": PHONE, "code": "000000"})
        assert wrong.status_code == 400 and "code" in wrong.json()["error"]["fields"]
        done = await api.post("/p/login_wechat/api/mini/link", json={"link_token": link_token, "phone": PHONE, "code": sms.code_for(E164)})
        assert done.status_code == 200 and done.json()["status"] == "signed_in", done.text
        me = await api.get("/api/v1/me", headers=bearer(done.json()["token"]))
        assert me.status_code == 200
        # The link token is used up; the next launch signs in at once.
        again = await api.post("/p/login_wechat/api/mini/link", json={"link_token": link_token, "phone": PHONE, "code": "123456"})
        assert again.status_code == 400 and "link_token" in again.json()["error"]["fields"]
        second = await api.post("/p/login_wechat/api/mini/session", json={"js_code": await js_code()})
        assert second.json()["status"] == "signed_in" and second.json()["customer_id"] == done.json()["customer_id"]
        reused = await api.post("/p/login_wechat/api/mini/session", json={"js_code": first_code})
        assert reused.status_code == 400 and "js_code" in reused.json()["error"]["fields"]
        schema = (await api.get("/schema/openapi.json")).json()
        assert "/p/login_wechat/api/mini/session" in schema["paths"] and "/p/login_wechat/api/mini/link" in schema["paths"]
    [linked] = await identities(tenant_a)
    assert linked["app_id"] == cfg.wechat_login.mini_appid and linked["unionid"]


async def test_the_mini_program_asks_for_the_second_step_of_a_customer_who_has_it_on(app, tenant_a, wechat_on, sandbox, sms):
    from platform_core.accounts import second_factor
    from platform_core.runtime import current_runtime
    from platform_core.testing.factories import totp_code
    from platform_core.testing.pytest_plugin import client_for

    cfg = await wechat_on(tenant_a)
    customer_id = await make_customer(tenant_a, E164)
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_customer set realname_verified_at = now() where id = $1", customer_id)
        await second_factor.start(customer_id)
        cipher = await current_connection().fetchval("select secret_cipher from core_customer_totp where customer_id = $1", customer_id)
        secret = current_runtime().keyring.decrypt(cipher, context="customer-totp")
        await second_factor.confirm(customer_id, totp_code(secret), client="test")
    async with httpx.AsyncClient() as wx:
        js_code = (await wx.post(f"{cfg.base_url}/_sandbox/wechat/jscode",
                                 json={"appid": cfg.wechat_login.mini_appid, "user": "tess"})).json()["code"]
    async with client_for(app, f"{tenant_a.slug}.localhost") as api:
        link_token = (await api.post("/p/login_wechat/api/mini/session", json={"js_code": js_code})).json()["link_token"]
        assert (await api.post("/api/v1/auth/code", json={"phone": PHONE})).status_code == 202
        held = await api.post("/p/login_wechat/api/mini/link", json={"link_token": link_token, "phone": PHONE, "code": sms.code_for(E164)})
        body = held.json()
        assert held.status_code == 200 and body["status"] == "second_factor_required" and body["token"] == "" and body["challenge"]
        done = await api.post("/api/v1/auth/second-factor", json={"challenge": body["challenge"], "code": totp_code(secret, steps=1)})
        assert done.status_code == 200, done.text
        assert (await api.get("/api/v1/me", headers=bearer(done.json()["token"]))).json()["id"] == customer_id


@pytest.mark.parametrize("version", ["v2", "v3"])
async def test_paying_inside_wechat_uses_the_openid_from_sign_in(tenant_a, wechat_on, enable_plugin, browser_for, wechat_user, version):
    cfg = await wechat_on(tenant_a)
    await enable_plugin(tenant_a, PAY_PLUGIN, **pay_values(cfg, version))
    customer = await make_customer(tenant_a)
    order = await make_order(tenant_a, customer_id=customer, item_id=await make_item(tenant_a, price=12000), total=12000)
    async with tenant_scope(tenant_a.id):
        number = await current_connection().fetchval("select number from core_order where id = $1", order)

    async def start():
        async with tenant_scope(tenant_a.id):
            return await payments.start_payment(
                provider_name="wechat", customer_id=customer, amount=12000, currency="CNY", subject="保洁", device="wechat",
                client_ip="127.0.0.1", base_url="http://127.0.0.1:9", return_url=f"http://{tenant_a.slug}.localhost/orders/{number}",
                order_id=order)

    # No openid known yet: the customer is sent through a silent authorisation and back to pay.
    with pytest.raises(Unauthorized) as sent:
        await start()
    assert sent.value.sign_in_path == f"/account/sign-in/wechat?mode=link&silent=1&app_id={cfg.wechat_v3.appid}"
    async with browser_for(tenant_a) as client:
        await with_session(client, tenant_a, "customer", customer)
        pay = await post_form(client, f"/orders/{number}/pay", {"provider": "wechat"}, headers={"User-Agent": IN_WECHAT})
        assert pay.status_code == 303 and pay.headers["location"] == (
            f"/account/sign-in/wechat?mode=link&silent=1&app_id={cfg.wechat_v3.appid}&next=/orders/{number}/pay")
        started = await client.get(pay.headers["location"], headers={"User-Agent": IN_WECHAT})
        assert "scope=snsapi_base" in started.headers["location"]
        back = await client.get(local(await wechat_user("payer").authorize(started.headers["location"])), headers={"User-Agent": IN_WECHAT})
        assert back.status_code == 303 and back.headers["location"] == f"/orders/{number}/pay"
    [linked] = await identities(tenant_a)
    assert linked["customer_id"] == customer and linked["app_id"] == cfg.wechat_v3.appid
    payment = await start()
    assert payment.action.kind == "jsapi" and payment.action.params
    async with tenant_scope(tenant_a.id):
        # The refused attempt left no payment behind.
        assert await current_connection().fetchval("select count(*) from core_payment") == 1


async def test_paying_inside_wechat_with_another_official_account_than_sign_in_is_refused_not_looped(
        tenant_a, wechat_on, enable_plugin, browser_for):
    cfg = await wechat_on(tenant_a)
    await enable_plugin(tenant_a, PAY_PLUGIN, **{**pay_values(cfg, "v3"), "appid": "wxotheraccount01"})
    customer = await make_customer(tenant_a)
    async with browser_for(tenant_a) as client:
        await with_session(client, tenant_a, "customer", customer)
        refused = await client.get("/account/sign-in/wechat?mode=link&silent=1&app_id=wxotheraccount01", headers={"User-Agent": IN_WECHAT})
        assert refused.status_code == 400 and "use different official accounts" in refused.text


async def test_provider_sign_ins_are_limited_per_address(tenant_a, wechat_on, browser_for, wechat_user, monkeypatch):
    from platform_core.accounts import provider_tokens, ratelimit

    monkeypatch.setattr(provider_tokens, "PROVIDER_SIGN_INS", (ratelimit.Limit("provider-test", 1, 3600),))
    await wechat_on(tenant_a)
    amy = wechat_user()
    async with browser_for(tenant_a) as client:
        assert (await sign_in_through_wechat(client, amy)).status_code == 303
        limited = await sign_in_through_wechat(client, amy)
        assert limited.status_code == 429 and limited.headers["retry-after"]
