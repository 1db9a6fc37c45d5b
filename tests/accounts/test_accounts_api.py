"""The customer JSON API: sign in with a code, the profile, the address book, signing out."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.pluginsys import hookimpl
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import api_sign_in, bearer

PHONE = "13800138000"
E164 = "+8613800138000"
OTHER = "13900139000"
OTHER_E164 = "+8613900139000"

ADDRESS = {"contact_name": "王阿姨", "contact_phone": "13700137000", "city": "上海", "district": "徐汇区",
           "street": "漕溪北路 88 号", "detail": "3 号楼 1201", "lat": 31.19, "lng": 121.43}


async def test_sign_in_creates_the_customer_once_and_fires_on_customer_registered_once(runtime, client_a, sms):
    events = []

    class Listener:
        @hookimpl
        def on_customer_registered(self, event):
            events.append(event)

    runtime.pm.register(Listener(), name="core.test_listener")
    try:
        first = await api_sign_in(client_a, sms, PHONE, E164, invite="FRIEND42")
        await client_a.post("/api/v1/auth/code", json={"phone": PHONE})
        assert (await client_a.post("/api/v1/auth/code", json={"phone": PHONE})).status_code == 429
    finally:
        runtime.pm.unregister(name="core.test_listener")
    assert first["token_type"] == "bearer"
    assert first["customer"]["phone"].endswith("8000") and "13800138000" not in first["customer"]["phone"]
    assert len(events) == 1
    assert events[0].customer_id == first["customer"]["id"]
    assert events[0].attribution == {"invite": "FRIEND42"}


async def test_signing_in_again_finds_the_same_customer(runtime, client_a, sms, tenant_a):
    first = await api_sign_in(client_a, sms, PHONE, E164)
    async with tenant_scope(tenant_a.id):
        # Let the next code go out now instead of in 60 seconds.
        await runtime.kv.delete(f"t:{tenant_a.id}:otp:phone:" + runtime.keyring.blind_index(E164, context="phone") + ":send-1m")
    second = await api_sign_in(client_a, sms, PHONE, E164)
    assert second["customer"]["id"] == first["customer"]["id"]
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_customer") == 1


async def test_me_needs_a_token(client_a):
    response = await client_a.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_customer_updates_profile_and_preferences(client_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    response = await client_a.patch("/api/v1/me", headers=bearer(token), json={
        "display_name": "李女士", "email": "li@example.com",
        "preferences": {"preferred_times": ["weekend", "morning"], "pets": "一只猫", "notes": "请换鞋套"},
    })
    assert response.status_code == 200, response.text
    me = (await client_a.get("/api/v1/me", headers=bearer(token))).json()
    assert me["display_name"] == "李女士"
    assert me["preferences"]["preferred_times"] == ["morning", "weekend"]
    bad = await client_a.patch("/api/v1/me", headers=bearer(token), json={"email": "not-an-email"})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"email"}


async def test_customer_sets_and_clears_a_birthday(client_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    assert (await client_a.get("/api/v1/me", headers=bearer(token))).json()["birthday"] is None
    response = await client_a.patch("/api/v1/me", headers=bearer(token), json={"birthday": "1990-03-15"})
    assert response.status_code == 200 and response.json()["birthday"] == "1990-03-15"
    future = await client_a.patch("/api/v1/me", headers=bearer(token), json={"birthday": "2100-01-01"})
    assert future.status_code == 400 and set(future.json()["error"]["fields"]) == {"birthday"}, future.text
    cleared = await client_a.patch("/api/v1/me", headers=bearer(token), json={"birthday": None})
    assert cleared.status_code == 200 and cleared.json()["birthday"] is None


async def test_address_book_crud_and_default(client_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    auth = bearer(token)
    first = (await client_a.post("/api/v1/me/addresses", headers=auth, json=ADDRESS)).json()
    assert first["is_default"] is True
    assert first["contact_phone"].endswith("7000") and "13700137000" not in first["contact_phone"]
    second = await client_a.post("/api/v1/me/addresses", headers=auth, json={**ADDRESS, "label": "公司", "is_default": True})
    assert second.status_code == 201
    listed = (await client_a.get("/api/v1/me/addresses", headers=auth)).json()
    assert [a["is_default"] for a in listed] == [True, False]
    assert listed[0]["id"] == second.json()["id"]
    changed = await client_a.patch(f"/api/v1/me/addresses/{first['id']}", headers=auth, json={"is_default": True, "detail": "5 号楼"})
    assert changed.json()["is_default"] and changed.json()["detail"] == "5 号楼"
    assert (await client_a.delete(f"/api/v1/me/addresses/{first['id']}", headers=auth)).status_code == 204
    remaining = (await client_a.get("/api/v1/me/addresses", headers=auth)).json()
    assert [(a["id"], a["is_default"]) for a in remaining] == [(second.json()["id"], True)]


async def test_address_fields_are_checked_with_field_messages(client_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    response = await client_a.post(
        "/api/v1/me/addresses", headers=bearer(token),
        json={**ADDRESS, "contact_phone": "12345", "lat": 91.0, "city": " "},
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"contact_phone", "lat", "city"}


async def test_customer_b_cannot_read_update_or_delete_customer_as_address(client_a, sms):
    token_a = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    token_b = (await api_sign_in(client_a, sms, OTHER, OTHER_E164))["token"]
    address = (await client_a.post("/api/v1/me/addresses", headers=bearer(token_a), json=ADDRESS)).json()
    path = f"/api/v1/me/addresses/{address['id']}"
    assert (await client_a.get(path, headers=bearer(token_b))).status_code == 404
    assert (await client_a.patch(path, headers=bearer(token_b), json={"city": "北京"})).status_code == 404
    assert (await client_a.delete(path, headers=bearer(token_b))).status_code == 404
    assert (await client_a.get("/api/v1/me/addresses", headers=bearer(token_b))).json() == []
    assert (await client_a.get(path, headers=bearer(token_a))).json()["city"] == "上海"


async def test_a_token_of_one_tenant_is_not_honoured_on_another(client_a, client_b, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    assert (await client_b.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_sign_out_ends_the_token(client_a, sms):
    token = (await api_sign_in(client_a, sms, PHONE, E164))["token"]
    assert (await client_a.post("/api/v1/auth/sign-out", headers=bearer(token))).status_code == 204
    assert (await client_a.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_the_api_is_in_the_openapi_schema_with_stable_operation_ids(client_a):
    schema = (await client_a.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values() if isinstance(op, dict) and "operationId" in op}
    assert {"sendSignInCode", "exchangeCodeForToken", "signOut", "signOutEverywhere", "getMe", "updateMe",
            "listAddresses", "createAddress", "getAddress", "updateAddress", "deleteAddress"} <= operations
