"""Customers' two-step verification: set-up behind real-name verification, the sign-in's second
step on a new device (pages and API), remembered devices, recovery codes, limits and replays,
the step-up before changing the phone, turning it off."""

from __future__ import annotations

import re

from platform_core.accounts.phones import phone_index
from platform_core.db import current_connection
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer,
    bearer_for,
    make_customer,
    post_form,
    signed_in,
    totp_code,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

PHONE, E164 = "13800138000", "+8613800138000"
RECOVERY = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


async def verify_realname(tenant, customer_id: int) -> None:
    """What the office's approval of the real-name verification sets."""
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_customer set realname_verified_at = now() where id = $1", customer_id)


async def customer_secret(tenant, customer_id: int) -> str:
    async with tenant_scope(tenant.id):
        cipher = await current_connection().fetchval("select secret_cipher from core_customer_totp where customer_id = $1", customer_id)
    return current_runtime().keyring.decrypt(cipher, context="customer-totp")


async def allow_new_code(tenant, e164: str = E164) -> None:
    """Lift the one-code-a-minute limit, for a test that signs in again at once."""
    index = phone_index(current_runtime().keyring, e164)
    await current_runtime().kv.delete(f"t:{tenant.id}:otp:phone:{index}:send-1m")


async def sign_in_by_code(client, sms, tenant, phone=PHONE, e164=E164):
    """The phone-code sign-in of the site, up to its answer to the code."""
    await allow_new_code(tenant, e164)
    with_csrf(client)
    await client.get("/account/sign-in")
    assert (await post_form(client, "/account/sign-in/code", {"phone": phone})).status_code == 200
    return await post_form(client, "/account/sign-in/verify", {"phone": phone, "code": sms.code_for(e164)})


async def customer_with_two_step(app, tenant, sms, phone=PHONE, e164=E164) -> tuple[int, str, list[str]]:
    """A customer of `phone` (signed up by code, real name verified) who turned two-step
    verification on through the security page: (id, secret, recovery codes)."""
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        assert (await sign_in_by_code(client, sms, tenant, phone, e164)).status_code == 303
        async with tenant_scope(tenant.id):
            customer_id = await current_connection().fetchval(
                "select id from core_customer where phone_index = $1", phone_index(current_runtime().keyring, e164))
        await verify_realname(tenant, customer_id)
        assert (await post_form(client, "/account/security/2fa/start")).status_code == 303
        secret = await customer_secret(tenant, customer_id)
        confirmed = await post_form(client, "/account/security/2fa/confirm", {"code": totp_code(secret)})
        assert confirmed.status_code == 200, confirmed.text
        codes = RECOVERY.findall(confirmed.text)
        assert len(codes) == 10
    return customer_id, secret, codes


async def test_setting_up_is_refused_without_a_verified_real_name(client_a, tenant_a, sms):
    await sign_in_by_code(client_a, sms, tenant_a)
    page = await client_a.get("/account/security")
    assert "Verify your real name first." in page.text and 'href="/account/verification"' in page.text
    assert "/account/security/2fa/start" not in page.text
    refused = await post_form(client_a, "/account/security/2fa/start")
    assert refused.status_code == 403
    assert "Verify your real name first" in refused.text


async def test_a_verified_customer_sets_it_up_with_a_qr_code_and_a_code(client_a, tenant_a, sms):
    await sign_in_by_code(client_a, sms, tenant_a)
    async with tenant_scope(tenant_a.id):
        customer_id = await current_connection().fetchval("select id from core_customer")
    await verify_realname(tenant_a, customer_id)
    await post_form(client_a, "/account/security/2fa/start")
    page = await client_a.get("/account/security")
    secret = await customer_secret(tenant_a, customer_id)
    assert "<svg" in page.text and secret[:4] + " " + secret[4:8] in page.text
    wrong = await post_form(client_a, "/account/security/2fa/confirm", {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and 'id="field-code-error"' in wrong.text
    right = await post_form(client_a, "/account/security/2fa/confirm", {"code": totp_code(secret)})
    codes = RECOVERY.findall(right.text)
    assert len(codes) == 10 and "10 recovery codes left." in right.text
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        stored = await conn.fetchval("select secret_cipher from core_customer_totp where customer_id = $1", customer_id)
        hashes = [r["code_hash"] for r in await conn.fetch("select code_hash from core_customer_recovery_code")]
    assert secret not in stored  # encrypted at rest
    assert len(hashes) == 10 and not set(hashes) & set(codes)  # kept hashed
    again = await client_a.get("/account/security")
    assert not RECOVERY.findall(again.text)  # shown once


async def test_a_new_device_is_asked_for_the_code_and_a_remembered_one_is_not(app, tenant_a, sms):
    customer_id, secret, _ = await customer_with_two_step(app, tenant_a, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as phone:
        held = await sign_in_by_code(phone, sms, tenant_a)
        assert held.status_code == 303 and held.headers["location"] == "/account/sign-in/2fa"
        assert "hearth_sid" not in held.cookies
        assert (await phone.get("/account")).status_code == 303  # no session before the second step
        assert (await phone.get("/account/sign-in/2fa")).status_code == 200
        wrong = await post_form(phone, "/account/sign-in/2fa", {"code": "12345"})
        assert wrong.status_code == 400 and "That code is not right." in wrong.text
        passed = await post_form(phone, "/account/sign-in/2fa", {"code": totp_code(secret, steps=1), "remember": "1"})
        assert passed.status_code == 303 and passed.headers["location"] == "/account"
        assert (await phone.get("/account")).status_code == 200
        security = await phone.get("/account/security")
        assert "Forget all devices" in security.text
        await post_form(phone, "/account/sign-out")
        again = await sign_in_by_code(phone, sms, tenant_a)
        assert again.status_code == 303 and again.headers["location"] == "/account"  # remembered: no second step
    async with tenant_scope(tenant_a.id):
        methods = [r["method"] for r in await current_connection().fetch(
            "select method from core_customer_sign_in where customer_id = $1", customer_id)]
    assert methods.count("phone_code") == 3  # set-up, the second step, the remembered device


async def test_the_held_sign_in_belongs_to_its_browser_and_is_used_once(app, tenant_a, sms):
    _, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as phone, client_for(app, f"{tenant_a.slug}.localhost") as other:
        await sign_in_by_code(phone, sms, tenant_a)
        with_csrf(other)
        assert (await other.get("/account/sign-in/2fa")).headers["location"] == "/account/sign-in"
        stolen = await post_form(other, "/account/sign-in/2fa", {"code": codes[0]})
        assert stolen.status_code == 400 and "This sign-in has expired." in stolen.text
        held = phone.cookies.get("hearth_2fa")
        assert (await post_form(phone, "/account/sign-in/2fa", {"code": codes[0]})).status_code == 303
        phone.cookies.set("hearth_2fa", held, path="/account/sign-in")
        assert (await post_form(phone, "/account/sign-in/2fa", {"code": codes[1]})).status_code == 400


async def test_a_recovery_code_signs_in_once_and_forgets_no_device(app, tenant_a, sms):
    customer_id, secret, codes = await customer_with_two_step(app, tenant_a, sms)

    async def second_step(code: str, **extra) -> int:
        async with client_for(app, f"{tenant_a.slug}.localhost") as phone:
            await sign_in_by_code(phone, sms, tenant_a)
            return (await post_form(phone, "/account/sign-in/2fa", {"code": code.upper(), **extra})).status_code

    assert await second_step(codes[0], remember="1") == 303
    assert await second_step(codes[0]) == 400
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        used = await conn.fetchval("select count(*) from core_customer_recovery_code where used_at is not null")
        devices = await conn.fetchval("select count(*) from core_customer_device where customer_id = $1", customer_id)
    assert used == 1 and devices == 1


async def test_a_code_is_not_accepted_twice(app, tenant_a, sms):
    _, secret, _ = await customer_with_two_step(app, tenant_a, sms)
    code = totp_code(secret, steps=1)
    async with client_for(app, f"{tenant_a.slug}.localhost") as first:
        await sign_in_by_code(first, sms, tenant_a)
        assert (await post_form(first, "/account/sign-in/2fa", {"code": code})).status_code == 303
    async with client_for(app, f"{tenant_a.slug}.localhost") as second:
        await sign_in_by_code(second, sms, tenant_a)
        replay = await post_form(second, "/account/sign-in/2fa", {"code": code})
        assert replay.status_code == 400 and "That code was just used." in replay.text


async def test_wrong_codes_are_limited_per_customer(app, tenant_a, sms):
    await customer_with_two_step(app, tenant_a, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as phone:
        await sign_in_by_code(phone, sms, tenant_a)
        answers = [(await post_form(phone, "/account/sign-in/2fa", {"code": "zzzzz-zzzzz"})) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [400] * 10
    assert answers[10].status_code == 429 and int(answers[10].headers["Retry-After"]) > 0
    assert "Too many attempts." in answers[10].text


async def test_the_api_answers_a_challenge_then_the_token_and_remembers_the_app(app, client_a, tenant_a, sms):
    _, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    await allow_new_code(tenant_a)
    await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
    asked = await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})
    assert asked.status_code == 401
    body = asked.json()
    assert body["error"]["code"] == "second_factor_required" and body["challenge"] and body["expires_in"] == 300
    reused = await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})
    assert reused.status_code == 400  # the text code is spent on the first challenge
    wrong = await client_a.post("/api/v1/auth/second-factor", json={"challenge": body["challenge"], "code": "000000x"})
    assert wrong.status_code == 400 and "code" in wrong.json()["error"]["fields"]
    answered = await client_a.post("/api/v1/auth/second-factor",
                                   json={"challenge": body["challenge"], "code": totp_code(secret, steps=1), "remember_device": True})
    assert answered.status_code == 200, answered.text
    token, device = answered.json()["token"], answered.json()["device_token"]
    assert (await client_a.get("/api/v1/me", headers=bearer(token))).status_code == 200
    again = await client_a.post("/api/v1/auth/second-factor", json={"challenge": body["challenge"], "code": codes[0]})
    assert again.status_code == 400  # the challenge is used up

    await allow_new_code(tenant_a)
    await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
    remembered = await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164), "device_token": device})
    assert remembered.status_code == 200 and remembered.json()["token"]
    status = await client_a.get("/api/v1/me/second-factor", headers=bearer(remembered.json()["token"]))
    assert status.json() == {"allowed": True, "enabled": True, "recovery_codes_left": 10, "remembered_devices": 1}


async def test_the_openapi_schema_documents_the_second_step(client_a):
    schema = (await client_a.get("/schema/openapi.json")).json()
    token = schema["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "401" in token
    assert "/api/v1/auth/second-factor" in schema["paths"] and "/api/v1/me/second-factor/confirm" in schema["paths"]


async def test_changing_the_phone_asks_for_the_code_first_and_tells_the_old_number(app, tenant_a, sms):
    customer_id, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as phone:
        await sign_in_by_code(phone, sms, tenant_a)
        await post_form(phone, "/account/sign-in/2fa", {"code": codes[0]})
        asked = await phone.get("/account/phone")
        assert asked.status_code == 303
        assert asked.headers["location"] == "/account/security/confirm?action=change_phone&next=/account/phone"
        # A form posted without the step-up goes the same way, back to the page it came from.
        posted = await post_form(phone, "/account/phone/code", {"phone": "13900139000"},
                                 headers={"referer": f"http://{tenant_a.slug}.localhost/account/phone"})
        assert posted.headers["location"] == "/account/security/confirm?action=change_phone&next=/account/phone"
        confirm = await phone.get(asked.headers["location"])
        assert "change your phone number" in confirm.text
        wrong = await post_form(phone, "/account/security/confirm", {"code": "000000x", "action": "change_phone", "next": "/account/phone"})
        assert wrong.status_code == 400 and 'id="field-code-error"' in wrong.text
        ok = await post_form(phone, "/account/security/confirm",
                             {"code": codes[1], "action": "change_phone", "next": "/account/phone"})
        assert ok.headers["location"] == "/account/phone"
        assert (await phone.get("/account/phone")).status_code == 200

        other = await make_customer(tenant_a, "+8613700137000")
        taken = await post_form(phone, "/account/phone/code", {"phone": "13700137000"})
        assert taken.status_code == 409 and 'id="field-phone-error"' in taken.text
        sent = await post_form(phone, "/account/phone/code", {"phone": "13900139000"})
        assert sent.status_code == 200 and "+86 139****9000" in sent.text
        wrong_code = await post_form(phone, "/account/phone", {"phone": "13900139000", "code": "000000" if sms.code_for("+8613900139000") != "000000" else "111111"})
        assert wrong_code.status_code == 400 and 'id="field-code-error"' in wrong_code.text
        changed = await post_form(phone, "/account/phone", {"phone": "13900139000", "code": sms.code_for("+8613900139000")})
        assert changed.headers["location"] == "/account/security?done=phone"
    keyring = current_runtime().keyring
    async with tenant_scope(tenant_a.id):
        index = await current_connection().fetchval("select phone_index from core_customer where id = $1", customer_id)
    assert index == phone_index(keyring, "+8613900139000") and other
    told = sms.sent_to(E164)[-1].body
    assert "changed to +86 139****9000" in told


async def test_without_two_step_verification_the_phone_changes_without_a_step_up(app, client_a, tenant_a, sms):
    await sign_in_by_code(client_a, sms, tenant_a)
    assert (await client_a.get("/account/phone")).status_code == 200
    await post_form(client_a, "/account/phone/code", {"phone": "13900139000"})
    same = await post_form(client_a, "/account/phone/code", {"phone": PHONE})
    assert same.status_code == 400 and "This is already your number." in same.text
    changed = await post_form(client_a, "/account/phone", {"phone": "13900139000", "code": sms.code_for("+8613900139000")})
    assert changed.status_code == 303


async def test_turning_it_off_needs_a_code_and_forgets_the_devices(app, tenant_a, sms):
    customer_id, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as phone:
        await sign_in_by_code(phone, sms, tenant_a)
        await post_form(phone, "/account/sign-in/2fa", {"code": codes[0], "remember": "1"})
        refused = await post_form(phone, "/account/security/2fa/off", {"code": "000000x"})
        assert refused.status_code == 400 and "That code is not right." in refused.text
        off = await post_form(phone, "/account/security/2fa/off", {"code": totp_code(secret, steps=1)})
        assert off.headers["location"] == "/account/security?done=2fa-off"
        page = await phone.get(off.headers["location"])
        assert "Two-step verification is off." in page.text
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        left = [await conn.fetchval(f"select count(*) from {table} where customer_id = $1", customer_id)
                for table in ("core_customer_totp", "core_customer_recovery_code", "core_customer_device")]
    assert left == [0, 0, 0]
    async with client_for(app, f"{tenant_a.slug}.localhost") as later:
        assert (await sign_in_by_code(later, sms, tenant_a)).headers["location"] == "/account"


async def test_the_api_step_up_confirms_a_token_for_ten_minutes(app, client_a, tenant_a, sms):
    _, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    await allow_new_code(tenant_a)
    await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
    challenge = (await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})).json()["challenge"]
    token = (await client_a.post("/api/v1/auth/second-factor", json={"challenge": challenge, "code": codes[0]})).json()["token"]
    confirmed = await client_a.post("/api/v1/me/second-factor/confirm", json={"code": totp_code(secret, steps=1)}, headers=bearer(token))
    assert confirmed.status_code == 200 and confirmed.json() == {"valid_for": 600}


async def test_new_recovery_codes_need_a_recent_code(app, tenant_a, sms):
    _, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as phone:
        await sign_in_by_code(phone, sms, tenant_a)
        await post_form(phone, "/account/sign-in/2fa", {"code": codes[0]})
        asked = await post_form(phone, "/account/security/2fa/recovery-codes",
                                headers={"referer": f"http://{tenant_a.slug}.localhost/account/security"})
        assert asked.headers["location"] == "/account/security/confirm?action=new_recovery_codes&next=/account/security"
        await post_form(phone, "/account/security/confirm", {"code": codes[1], "action": "new_recovery_codes", "next": "/account/security"})
        fresh = RECOVERY.findall((await post_form(phone, "/account/security/2fa/recovery-codes")).text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)


async def test_the_api_changes_the_phone_after_the_step_up(app, client_a, tenant_a, sms):
    _, secret, codes = await customer_with_two_step(app, tenant_a, sms)
    await allow_new_code(tenant_a)
    await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
    challenge = (await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})).json()["challenge"]
    headers = bearer((await client_a.post("/api/v1/auth/second-factor", json={"challenge": challenge, "code": codes[0]})).json()["token"])
    refused = await client_a.post("/api/v1/me/phone/code", json={"phone": "13900139000"}, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "second_factor_required"
    await client_a.post("/api/v1/me/second-factor/confirm", json={"code": codes[1]}, headers=headers)
    assert (await client_a.post("/api/v1/me/phone/code", json={"phone": "13900139000"}, headers=headers)).status_code == 202
    changed = await client_a.post("/api/v1/me/phone", json={"phone": "13900139000", "code": sms.code_for("+8613900139000")},
                                  headers=headers)
    assert changed.status_code == 200 and changed.json() == {"phone": "+86 139****9000"}
    assert (await client_a.get("/api/v1/me", headers=headers)).json()["phone"] == "+86 139****9000"


async def test_wrong_codes_are_limited_per_client_across_customers(runtime, tenant_a):
    from platform_core.accounts import second_factor
    from platform_core.errors import HearthError, RateLimited

    customers = [await make_customer(tenant_a) for _ in range(4)]
    answers = []
    async with tenant_scope(tenant_a.id):
        for attempt in range(31):
            try:
                await second_factor.verify(customers[attempt % 4], "zzzzz-zzzzz", client="203.0.113.7")
            except HearthError as exc:
                answers.append(exc)
    assert not any(isinstance(a, RateLimited) for a in answers[:30])
    assert isinstance(answers[30], RateLimited) and answers[30].retry_after > 0


async def test_closing_the_account_asks_for_a_recent_code(app, client_a, tenant_a, sms):
    customer_id, secret, _codes = await customer_with_two_step(app, tenant_a, sms)
    async with await signed_in(app, tenant_a, "customer", customer_id) as site:
        asked = await site.get("/account/close")
        assert asked.status_code == 303 and asked.headers["location"].startswith("/account/security/confirm?action=close_account")
    headers = await bearer_for(tenant_a, "customer", customer_id)
    refused = await client_a.post("/api/v1/me/close", json={"confirmation": "注销我的账户"}, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "second_factor_required"
    # The set-up used this window's code: the next one (a code is good once).
    confirmed = await client_a.post("/api/v1/me/second-factor/confirm", json={"code": totp_code(secret, steps=1)}, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    assert (await client_a.post("/api/v1/me/close", json={"confirmation": "注销我的账户"}, headers=headers)).status_code == 204
