"""Two-step verification between franchises: a remembered device, a held sign-in and an API
challenge of franchise A mean nothing at franchise B, even for the same phone number."""

from __future__ import annotations

from platform_core.testing.factories import post_form, totp_code
from platform_core.testing.pytest_plugin import client_for
from tests.accounts.test_customer_second_factor import (
    E164,
    PHONE,
    allow_new_code,
    customer_with_two_step,
    sign_in_by_code,
)


async def test_a_device_remembered_at_a_is_asked_again_at_b(app, tenant_a, tenant_b, sms):
    _, secret_a, _ = await customer_with_two_step(app, tenant_a, sms)
    _, secret_b, _ = await customer_with_two_step(app, tenant_b, sms)
    async with client_for(app, f"{tenant_a.slug}.localhost") as at_a:
        await sign_in_by_code(at_a, sms, tenant_a)
        passed = await post_form(at_a, "/account/sign-in/2fa", {"code": totp_code(secret_a, steps=1), "remember": "1"})
        assert passed.status_code == 303
        device = at_a.cookies.get("hearth_device")
        held_at_a = at_a.cookies.get("hearth_2fa")
    assert device
    async with client_for(app, f"{tenant_b.slug}.localhost") as at_b:
        at_b.cookies.set("hearth_device", device, path="/account/sign-in")
        asked = await sign_in_by_code(at_b, sms, tenant_b)
        assert asked.headers["location"] == "/account/sign-in/2fa"
        # B's code does not answer a sign-in held at A, and A's code opens nothing at B.
        at_b.cookies.set("hearth_2fa", held_at_a or "none", path="/account/sign-in")
        wrong_secret = await post_form(at_b, "/account/sign-in/2fa", {"code": totp_code(secret_a, steps=-1)})
        assert wrong_secret.status_code == 400


async def test_an_api_challenge_of_a_is_unknown_at_b(app, client_a, client_b, tenant_a, tenant_b, sms):
    await customer_with_two_step(app, tenant_a, sms)
    _, secret_b, _ = await customer_with_two_step(app, tenant_b, sms)
    await allow_new_code(tenant_a)
    await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
    challenge = (await client_a.post("/api/v1/auth/token", json={"phone": PHONE, "code": sms.code_for(E164)})).json()["challenge"]
    answered = await client_b.post("/api/v1/auth/second-factor", json={"challenge": challenge, "code": totp_code(secret_b, steps=1)})
    assert answered.status_code == 400 and "token" not in answered.json()
