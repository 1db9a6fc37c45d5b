"""Signing in with QQ through the sandbox's stand-in for QQ Connect, over real HTTP: the whole
way in, a denied consent, a tampered state, a spent or stale code, a wrong app key, an account
already linked, and the key kept out of the database's plain text and out of the logs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest

from platform_core.accounts import identities
from platform_core.db import current_connection
from platform_core.errors import Conflict
from platform_core.plugin_api import LoginIdentity
from platform_core.pluginsys.services import set_plugin_config
from platform_core.sandbox.config import qq_app_id, qq_app_key
from platform_core.sandbox.keys import load_or_create
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import console_client, make_customer, post_form
from platform_core.testing.pytest_plugin import client_for
from plugins.login_qq import plugin
from plugins.login_qq.client import QQError, parse_body
from plugins.login_qq.config import LoginQQConfig
from plugins.login_qq.tests.helpers import IPHONE, Journey, customers, site


async def test_a_customer_signs_in_with_qq_and_lands_where_they_were_going(app, franchise, sms):
    tenant, config = franchise
    async with site(app, tenant) as browser:
        page = await browser.get("/account/sign-in")
        assert 'formaction="/account/sign-in/login_qq"' in page.text
        journey = Journey(browser)
        qq_url = await journey.to_qq()
        assert qq_url.startswith(f"{config.api_base}/oauth2.0/authorize?")  # straight to QQ's consent page
        query = parse_qs(urlsplit(qq_url).query)
        assert query["client_id"] == [config.app_id] and (query["response_type"], query["scope"]) == (["code"], ["get_user_info"])
        assert query["redirect_uri"] == [f"http://{tenant.slug}.localhost/account/sign-in/login_qq/callback"]
        assert "display" not in query  # a computer gets QQ's full-size page
        done = await journey.first_sign_in(sms)  # a first sign-in links a phone number
        assert done.status_code == 303 and done.headers["location"] == "/account/addresses"
        assert (await browser.get("/account/addresses")).status_code == 200
        profile = await browser.get("/account")
        assert profile.status_code == 200 and "晴天小Q" in profile.text
    (customer,) = await customers(tenant)
    # The unionid (the franchise's developer account), not the app's openid.
    assert customer["display_name"] == "晴天小Q" and customer["subject"].startswith("UID_")
    async with tenant_scope(tenant.id):
        assert await current_connection().fetchval("select method from core_customer_sign_in") == "login_qq"


async def test_a_phone_gets_qqs_mobile_consent_page(app, franchise):
    tenant, _config = franchise
    async with site(app, tenant) as browser:
        qq_url = await Journey(browser).to_qq(IPHONE)
    assert parse_qs(urlsplit(qq_url).query)["display"] == ["mobile"]


async def test_denied_consent_says_so_on_the_sign_in_page(app, franchise):
    tenant, _config = franchise
    async with site(app, tenant) as browser:
        journey = Journey(browser)
        back = await journey.decide("deny")
        assert "usercancel=1" in back and not journey.code
        refused = await journey.back_at_site(back)
    assert refused.status_code == 400
    assert "You did not allow signing in with that service. Sign in with your phone number, or try again." in refused.text
    assert 'name="phone"' in refused.text  # the phone sign-in is right there
    assert await customers(tenant) == []


async def test_a_tampered_state_is_refused_and_signs_no_one_in(app, franchise):
    tenant, _config = franchise
    async with site(app, tenant) as browser:
        journey = Journey(browser)
        back = await journey.decide()
        tampered = re.sub(r"state=([^&]+)", lambda m: "state=" + m.group(1)[::-1], back)
        refused = await journey.back_at_site(tampered)
        assert refused.status_code == 400 and "This sign-in link has expired. Please try again." in refused.text
        assert (await browser.get("/account")).status_code == 303  # still signed out
    assert await customers(tenant) == []


async def test_a_code_is_good_once(app, franchise):
    tenant, _config = franchise
    async with site(app, tenant) as browser:
        first = Journey(browser)
        assert (await first.sign_in()).status_code == 303
        # A new start (a fresh state) with the spent code: QQ refuses it (100020).
        second = Journey(browser)
        back = await second.decide()
        replayed = back.replace(second.code, first.code)
        refused = await second.back_at_site(replayed)
    assert refused.status_code == 400
    assert "That QQ sign-in has expired or was already used. Please try again." in refused.text


async def test_a_code_older_than_ten_minutes_is_refused(app, franchise, sandbox):
    tenant, _config = franchise
    sb, _data_dir, _port = sandbox
    async with site(app, tenant) as browser:
        journey = Journey(browser)
        back = await journey.decide()
        sb.qq.grants[journey.code].issued -= 601
        refused = await journey.back_at_site(back)
    assert refused.status_code == 400
    assert "That QQ sign-in has expired or was already used. Please try again." in refused.text
    assert await customers(tenant) == []


async def test_a_wrong_app_key_fails_clearly_and_tells_the_log_why(app, franchise, every_log):
    tenant, config = franchise
    wrong = "0" * 32
    await set_plugin_config(tenant.id, "login_qq", {"app_key": wrong}, actor="test")
    async with site(app, tenant) as browser:
        refused = await Journey(browser).sign_in()
    assert refused.status_code == 400
    assert "Signing in with QQ is not available at the moment. Please sign in with your phone number." in refused.text
    logged = "\n".join(every_log.lines)
    assert f"QQ sign-in at {tenant.slug} refused by QQ Connect: client secret is illegal (100009)" in logged
    assert wrong not in logged and config.app_key not in logged


async def test_the_app_key_is_encrypted_at_rest_and_never_logged(app, franchise, every_log):
    tenant, config = franchise
    async with site(app, tenant) as browser:
        assert (await Journey(browser).sign_in()).status_code == 303
    logged = "\n".join(every_log.lines)
    assert "/oauth2.0/token" in logged and "client_secret=***" in logged  # the token request, without its key
    assert config.app_key not in logged
    async with tenant_scope(tenant.id):
        stored = await current_connection().fetchval(
            "select config::text from core_tenant_plugin where plugin_name = 'login_qq'")
    assert config.app_id in stored and config.app_key not in stored


async def test_a_qq_account_already_linked_belongs_to_its_customer(app, franchise, sms):
    tenant, _config = franchise
    async with site(app, tenant) as browser:
        assert (await Journey(browser).first_sign_in(sms, "sunny")).status_code == 303
    async with site(app, tenant) as browser:
        signed_in = await Journey(browser).sign_in("sunny")  # linked: no phone step the second time
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account/addresses"
        assert (await Journey(browser).first_sign_in(sms, "ajie")).status_code == 303
    linked = await customers(tenant)
    assert [c["display_name"] for c in linked] == ["晴天小Q", "阿杰"]
    # Another customer (one who signed in with a phone) can not take the linked QQ account over.
    other = await make_customer(tenant)
    async with tenant_scope(tenant.id) as context:
        identity = LoginIdentity(provider=plugin.PROVIDER.name, subject=linked[0]["subject"])
        assert await identities.find_owner(identity) == linked[0]["id"]
        with pytest.raises(Conflict) as refused:
            await identities.link_identity(context, other, identity)
    assert refused.value.fields["provider"].startswith("This account is already linked to another customer.")


async def test_the_console_shows_the_callback_to_register_at_qq_connect(app, franchise):
    tenant, config = franchise
    async with client_for(app, f"{tenant.slug}.localhost") as browser:
        await console_client(browser, tenant, "owner")
        settings = (await browser.get("/console/plugins")).text
    assert f"http://{tenant.slug}.localhost/account/sign-in/login_qq/callback" in settings
    assert "Callback URL to register at QQ Connect" in settings and config.app_key not in settings


async def test_a_wrong_app_id_is_refused_beside_its_field(app, franchise):
    tenant, config = franchise
    async with client_for(app, f"{tenant.slug}.localhost") as browser:
        await console_client(browser, tenant, "owner")
        refused = await post_form(browser, "/console/plugins/login_qq/config", {"app_id": "QQ123", "api_base": config.api_base})
    assert refused.status_code == 400
    assert 'id="cfg-login_qq-app_id-error"' in refused.text
    assert "The APP ID is the number QQ Connect shows for your app." in refused.text


async def test_an_unset_app_refuses_to_start(app, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="qunset")
    await enable_plugin(tenant, "login_qq")
    async with site(app, tenant) as browser:
        refused = await browser.get("/account/sign-in/login_qq")
    assert refused.status_code == 400
    assert "Signing in with QQ is not available at the moment." in refused.text


# --- QQ's answers, without the database ---------------------------------------------------------


def test_qqs_answer_shapes_are_all_read():
    assert parse_body('callback( {"client_id":"101","openid":"ABC"} );\n') == {"client_id": "101", "openid": "ABC"}
    assert parse_body('{"openid": "ABC", "unionid": "UID_X"}')["unionid"] == "UID_X"
    assert parse_body("access_token=T&expires_in=7776000&refresh_token=R")["access_token"] == "T"
    with pytest.raises(QQError):
        parse_body("<html>502 Bad Gateway</html>")


def test_the_sandbox_speaks_qqs_errors_and_jsonp(sandbox):
    sb, data_dir, port = sandbox
    base, app_id = sb.base_url, qq_app_id("dev")
    key = qq_app_key(load_or_create(data_dir), app_id)
    token = {"grant_type": "authorization_code", "client_id": app_id, "code": "NOPE", "redirect_uri": "http://x/cb"}
    bad_key = httpx.get(f"{base}/oauth2.0/token", params={**token, "client_secret": "f" * 32, "fmt": "json"}).json()
    assert bad_key["error"] == 100009
    unknown = httpx.get(f"{base}/oauth2.0/token", params={**token, "client_secret": key}).text
    assert unknown.startswith("callback(") and parse_body(unknown)["error"] == 100019
    me = parse_body(httpx.get(f"{base}/oauth2.0/me", params={"access_token": "NOPE"}).text)
    assert me["error"] == 100016
    info = httpx.get(f"{base}/user/get_user_info", params={"access_token": "NOPE", "oauth_consumer_key": app_id, "openid": "X"}).json()
    assert info["ret"] != 0
    assert httpx.get(f"{base}/oauth2.0/authorize", params={"response_type": "code", "client_id": "12"}).status_code == 400


def test_a_sandbox_user_has_an_openid_per_app_and_a_unionid_per_developer(sandbox):
    sb, data_dir, _port = sandbox
    keys = load_or_create(data_dir)

    def ids(app_id: str, user: str) -> dict:
        back = "http://site.localhost/cb"
        approved = httpx.post(f"{sb.base_url}/oauth2.0/authorize", data={
            "client_id": app_id, "redirect_uri": back, "state": "s", "user": user, "decision": "approve"})
        code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
        token = httpx.get(f"{sb.base_url}/oauth2.0/token", params={
            "grant_type": "authorization_code", "client_id": app_id, "client_secret": qq_app_key(keys, app_id),
            "code": code, "redirect_uri": back, "fmt": "json"}).json()
        return httpx.get(f"{sb.base_url}/oauth2.0/me", params={"access_token": token["access_token"], "unionid": "1", "fmt": "json"}).json()

    web, app, other_developer = qq_app_id("dev", 0), qq_app_id("dev", 1), qq_app_id("another", 0)
    first, again, second_app, elsewhere = ids(web, "sunny"), ids(web, "sunny"), ids(app, "sunny"), ids(other_developer, "sunny")
    assert first == again  # stable
    assert second_app["openid"] != first["openid"] and second_app["unionid"] == first["unionid"]
    assert elsewhere["unionid"] != first["unionid"]
    assert ids(web, "lily")["unionid"] != first["unionid"]


def test_the_config_refuses_what_qq_connect_would_never_show():
    with pytest.raises(msgspec.ValidationError, match="app_id"):
        msgspec.convert({"app_id": "abc"}, LoginQQConfig)
    with pytest.raises(msgspec.ValidationError, match="app_key"):
        msgspec.convert({"app_id": "101234567", "app_key": "short"}, LoginQQConfig)
    with pytest.raises(msgspec.ValidationError, match="api_base"):
        msgspec.convert({"api_base": "https://graph.qq.com\x00"}, LoginQQConfig)
    assert LoginQQConfig().base == "https://graph.qq.com"
