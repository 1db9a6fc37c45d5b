"""The franchise's user agreement and privacy policy: published in versions from the console,
shown on the site, accepted by new customers at sign-in and again after a new version."""

from __future__ import annotations

import pytest

from platform_core.accounts import legal
from platform_core.accounts.schemas import LegalDocumentPublish
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    console_client,
    make_customer,
    post_form,
    with_csrf,
)

PHONE, E164 = "13800138000", "+8613800138000"


async def publish(tenant, kind="terms", zh="第一条 服务内容", en="1. The service"):
    async with tenant_scope(tenant.id):
        return await legal.publish_document(tenant, kind, LegalDocumentPublish(body_zh=zh, body_en=en), by="test")


async def send_code(client, sms):
    sent = await post_form(client, "/account/sign-in/code", {"phone": PHONE})
    assert sent.status_code == 200, sent.text
    return sms.code_for(E164)


async def customers(tenant) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select count(*) from core_customer")


async def acceptances(tenant) -> list[tuple[str, int]]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select d.kind, d.version, a.accepted_at from core_legal_acceptance a join core_legal_document d on d.id = a.document_id "
            "order by d.kind")
    assert all(r["accepted_at"] is not None for r in rows)
    return [(r["kind"], r["version"]) for r in rows]


async def test_a_new_customer_must_accept_the_documents_in_force(client_a, tenant_a, sms):
    await publish(tenant_a, "terms")
    await publish(tenant_a, "privacy", "我们收集您的手机号", "We collect your phone number")
    browser = with_csrf(client_a)
    code = await send_code(browser, sms)

    asked = await post_form(browser, "/account/sign-in/verify", {"phone": PHONE, "code": code})
    assert asked.status_code == 400
    assert 'name="accept_terms"' in asked.text and 'href="/legal/terms"' in asked.text and 'href="/legal/privacy"' in asked.text
    assert f'value="{code}"' in asked.text  # the code is kept: ticking the box is all that is left
    assert 'id="field-accept_terms-error"' not in asked.text  # asked, not scolded, the first time
    assert await customers(tenant_a) == 0

    unticked = await post_form(browser, "/account/sign-in/verify", {
        "phone": PHONE, "code": code, "consent_asked": "1", "terms_version": "1", "privacy_version": "1"})
    assert unticked.status_code == 400 and 'id="field-accept_terms-error"' in unticked.text
    assert await customers(tenant_a) == 0

    accepted = await post_form(browser, "/account/sign-in/verify", {
        "phone": PHONE, "code": code, "consent_asked": "1", "accept_terms": "1", "terms_version": "1", "privacy_version": "1"})
    assert accepted.status_code == 303, accepted.text
    assert await acceptances(tenant_a) == [("privacy", 1), ("terms", 1)]
    security = await browser.get("/account/security")  # the customer sees what they accepted, and when
    assert "Terms you accepted" in security.text and 'href="/legal/privacy"' in security.text


async def test_a_version_published_while_the_box_was_shown_is_asked_for_again(client_a, tenant_a, sms):
    await publish(tenant_a, "terms")
    browser = with_csrf(client_a)
    code = await send_code(browser, sms)
    await publish(tenant_a, "terms", "第一条 服务内容（修订）", "1. The service (revised)")
    stale = await post_form(browser, "/account/sign-in/verify", {
        "phone": PHONE, "code": code, "consent_asked": "1", "accept_terms": "1", "terms_version": "1", "privacy_version": ""})
    assert stale.status_code == 400 and 'name="terms_version" value="2"' in stale.text
    assert await customers(tenant_a) == 0


async def test_a_new_version_is_accepted_at_the_next_sign_in(client_a, tenant_a, runtime, sms):
    await publish(tenant_a, "terms")
    browser = with_csrf(client_a)
    code = await send_code(browser, sms)
    await post_form(browser, "/account/sign-in/verify", {
        "phone": PHONE, "code": code, "accept_terms": "1", "terms_version": "1", "privacy_version": ""})
    await publish(tenant_a, "terms", "第一条 服务内容（修订）", "1. The service (revised)")

    index = runtime.keyring.blind_index(E164, context="phone")
    await runtime.kv.delete(f"t:{tenant_a.id}:otp:phone:{index}:send-1m")
    code = await send_code(browser, sms)
    asked = await post_form(browser, "/account/sign-in/verify", {"phone": PHONE, "code": code})
    assert asked.status_code == 400 and "We have updated our terms" in asked.text
    again = await post_form(browser, "/account/sign-in/verify", {
        "phone": PHONE, "code": code, "accept_terms": "1", "terms_version": "2", "privacy_version": ""})
    assert again.status_code == 303
    assert await acceptances(tenant_a) == [("terms", 1), ("terms", 2)]


async def test_a_franchise_without_documents_asks_for_nothing(client_a, tenant_a, sms):
    browser = with_csrf(client_a)
    code = await send_code(browser, sms)
    signed_in = await post_form(browser, "/account/sign-in/verify", {"phone": PHONE, "code": code})
    assert signed_in.status_code == 303
    assert (await browser.get("/legal/terms")).status_code == 404


async def test_the_app_api_needs_accept_terms_from_a_new_customer(client_a, tenant_a, sms):
    await publish(tenant_a, "privacy")
    assert (await client_a.post("/api/v1/auth/code", json={"phone": PHONE})).status_code == 202
    refused = await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})
    assert refused.status_code == 400 and "accept_terms" in refused.json()["error"]["fields"]
    document = await client_a.get("/api/v1/legal/privacy")
    assert document.status_code == 200 and document.json()["version"] == 1
    token = await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164), "accept_terms": True})
    assert token.status_code == 200
    assert await acceptances(tenant_a) == [("privacy", 1)]


async def test_a_customer_from_before_the_documents_accepts_them_at_the_next_sign_in(client_a, tenant_a, sms):
    await make_customer(tenant_a, PHONE)
    await publish(tenant_a, "terms")
    browser = with_csrf(client_a)
    code = await send_code(browser, sms)
    asked = await post_form(browser, "/account/sign-in/verify", {"phone": PHONE, "code": code})
    assert asked.status_code == 400 and 'name="accept_terms"' in asked.text


async def test_the_owner_publishes_versions_and_the_site_shows_the_one_in_force(client_a, tenant_a):
    owner = await console_client(client_a, tenant_a, "owner")
    empty = await owner.get("/console/legal/terms")
    assert empty.status_code == 200 and "Publish version 1" in empty.text
    first = await post_form(owner, "/console/legal/terms", {"body_zh": "# 总则\n\n第一条 服务内容", "body_en": ""})
    assert first.status_code == 303
    second = await post_form(owner, "/console/legal/terms", {"body_zh": "# 总则\n\n第一条 服务内容（修订）", "body_en": "# General\n\n1. The service"})
    assert second.status_code == 303
    history = await owner.get("/console/legal/terms")
    assert "Version 2" in history.text and "Version 1" in history.text and "Publish version 3" in history.text
    unchanged = await post_form(owner, "/console/legal/terms", {"body_zh": "# 总则\n\n第一条 服务内容（修订）", "body_en": "# General\n\n1. The service"})
    assert unchanged.status_code == 400 and 'id="field-body_zh-error"' in unchanged.text
    blank = await post_form(owner, "/console/legal/terms", {"body_zh": "  ", "body_en": "x"})
    assert blank.status_code == 400 and 'id="field-body_zh-error"' in blank.text

    site = await client_a.get("/legal/terms")  # English (with_csrf's locale): the English text
    assert site.status_code == 200 and "<h2>General</h2>" in site.text and "Version 2" in site.text
    client_a.cookies.set("hearth_locale", "zh_CN")
    zh = await client_a.get("/legal/terms")
    assert "第一条 服务内容（修订）" in zh.text and "<h2>总则</h2>" in zh.text


async def test_markup_in_a_document_is_shown_as_text(client_a, tenant_a):
    await publish(tenant_a, "terms", zh="<script>alert(1)</script>", en="")
    page = await client_a.get("/legal/terms")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text


@pytest.mark.parametrize("role", ["dispatcher", "finance", "support"])
async def test_only_owners_and_managers_edit_the_documents(client_a, tenant_a, role):
    staff = await console_client(client_a, tenant_a, role)
    assert (await staff.get("/console/legal/terms")).status_code == 403
    assert (await post_form(staff, "/console/legal/terms", {"body_zh": "改"})).status_code == 403


async def test_demo_defaults_are_published_once(tenant_a):
    first = await legal.publish_default_documents(tenant_a.id)
    assert len(first) == 2
    assert await legal.publish_default_documents(tenant_a.id) == []
    async with tenant_scope(tenant_a.id):
        terms = await legal.current_document("terms")
    assert tenant_a.display_name in terms.body_zh and tenant_a.display_name in terms.body_en
    assert "本协议" in terms.body_zh and "This agreement" in terms.body_en
