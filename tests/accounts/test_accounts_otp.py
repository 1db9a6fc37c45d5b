"""One-time codes: expiry, single use, the wrong-try limit, superseding, send limits, storage."""

from __future__ import annotations

import logging

import pytest

from platform_core.db import current_connection
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import api_sign_in, bearer

PHONE, E164 = "13800138000", "+8613800138000"


@pytest.fixture
async def tenant_a(make_tenant):
    """An English-speaking franchise, so the messages below read as their msgids."""
    return await make_tenant(prefix="a", name="Franchise A", locale="en")


async def send(client, phone=PHONE):
    return await client.post("/api/v1/auth/code", json={"phone": phone})


async def verify(client, code, phone=PHONE):
    return await client.post("/api/v1/auth/token", json={"phone": phone, "code": code})


async def allow_next_send(tenant, e164=E164):
    """Skip the one-a-minute wait (the hourly and daily counts stay)."""
    index = current_runtime().keyring.blind_index(e164, context="phone")
    await current_runtime().kv.delete(f"t:{tenant.id}:otp:phone:{index}:send-1m")


def field_error(response, field="code") -> str:
    return response.json()["error"]["fields"][field]


async def test_code_expires_after_ten_minutes(client_a, tenant_a, sms):
    await send(client_a)
    async with tenant_scope(tenant_a.id):
        minutes = await current_connection().fetchval(
            "select extract(epoch from expires_at - created_at) / 60 from core_otp_code"
        )
        assert round(minutes) == 10
        await current_connection().execute("update core_otp_code set expires_at = now() - interval '1 second'")
    response = await verify(client_a, sms.code_for(E164))
    assert response.status_code == 400
    assert "expired" in field_error(response)


async def test_code_works_once(client_a, sms):
    await send(client_a)
    code = sms.code_for(E164)
    assert (await verify(client_a, code)).status_code == 200
    again = await verify(client_a, code)
    assert again.status_code == 400
    assert "no longer valid" in field_error(again)


async def test_five_wrong_tries_kill_the_code(client_a, sms):
    await send(client_a)
    code = sms.code_for(E164)
    wrong = "000000" if code != "000000" else "111111"
    answers = [field_error(await verify(client_a, wrong)) for _ in range(5)]
    assert answers[:4] == ["The code is not correct."] * 4
    assert "Too many wrong codes" in answers[4]
    response = await verify(client_a, code)
    assert response.status_code == 400
    assert "Too many wrong codes" in field_error(response)


async def test_four_wrong_tries_still_leave_the_right_code_working(client_a, sms):
    await send(client_a)
    code = sms.code_for(E164)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        await verify(client_a, wrong)
    assert (await verify(client_a, code)).status_code == 200


async def test_a_new_code_supersedes_the_previous_one(runtime, client_a, tenant_a, sms):
    await send(client_a)
    first = sms.code_for(E164)
    await allow_next_send(tenant_a)
    assert (await send(client_a)).status_code == 202
    second = sms.code_for(E164)
    if first != second:
        assert (await verify(client_a, first)).status_code == 400
    assert (await verify(client_a, second)).status_code == 200


async def test_one_code_a_minute_per_phone_with_retry_after(client_a, sms):
    assert (await send(client_a)).status_code == 202
    response = await send(client_a)
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 60
    assert response.json()["error"]["code"] == "rate_limited"
    assert "seconds" in response.json()["error"]["message"]
    assert len(sms.sent_to(E164)) == 1


async def test_five_codes_an_hour_per_phone(runtime, client_a, tenant_a, sms):
    for _ in range(5):
        assert (await send(client_a)).status_code == 202
        await allow_next_send(tenant_a)
    response = await send(client_a)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 60


async def test_twenty_codes_an_hour_per_client_address(client_a, sms):
    statuses = [(await send(client_a, f"1390013{n:04d}")).status_code for n in range(21)]
    assert statuses == [202] * 20 + [429]


async def test_invalid_phone_is_a_field_error(client_a, sms):
    response = await send(client_a, "12345")
    assert response.status_code == 400
    assert field_error(response, "phone") == "Enter a valid mobile number."
    assert sms.messages == []


async def test_sms_is_translated_and_names_the_franchise(client_a, tenant_a, sms):
    await send(client_a)
    [message] = sms.sent_to(E164)
    assert message.purpose == "otp" and message.channel == "sms"
    assert tenant_a.name in message.body and "10" in message.body


async def test_phone_is_stored_encrypted_with_a_blind_index(runtime, client_a, tenant_a, sms):
    await api_sign_in(client_a, sms, PHONE, E164)
    async with tenant_scope(tenant_a.id):
        row = await current_connection().fetchrow("select phone_cipher, phone_index from core_customer")
        otp_row = await current_connection().fetchrow("select phone_index, code_hash from core_otp_code")
    for value in (*row.values(), *otp_row.values()):
        assert "13800138000" not in value and "8000" not in value.split(":")[0]
    assert runtime.keyring.decrypt(row["phone_cipher"], context="phone") == E164
    assert row["phone_index"] == runtime.keyring.blind_index(E164, context="phone")


async def test_codes_and_phones_never_reach_the_logs(client_a, sms):
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record) + repr(getattr(record, "fields", "")))

    handler = Keep()
    for name in ("", "hearth"):
        logging.getLogger(name).addHandler(handler)
    try:
        await api_sign_in(client_a, sms, PHONE, E164)
    finally:
        for name in ("", "hearth"):
            logging.getLogger(name).removeHandler(handler)
    code = sms.code_for(E164)
    assert records
    assert not [r for r in records if code in r or "13800138000" in r]


async def test_frozen_customer_cannot_sign_in_and_loses_their_sessions(runtime, client_a, tenant_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_customer set status = 'frozen'")
    assert (await client_a.get("/api/v1/me", headers=bearer(token))).status_code == 401
    await allow_next_send(tenant_a)
    await send(client_a)
    response = await verify(client_a, sms.code_for(E164))
    assert response.status_code == 403
    assert "frozen" in response.json()["error"]["message"]


async def test_a_chinese_franchise_answers_in_chinese(client_b, tenant_b, sms):
    await client_b.post("/api/v1/auth/code", json={"phone": PHONE})
    assert "验证码" in sms.sent_to(E164)[0].body
    response = await client_b.post("/api/v1/auth/code", json={"phone": "12345"})
    assert response.json()["error"]["fields"]["phone"] == "请输入有效的手机号码。"
