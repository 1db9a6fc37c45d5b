"""The malformed requests issue 8 lists, each answered the way a client can act on: 400 with the
field named (the house error body under /api), or 404 for an id no row can have."""

from __future__ import annotations

import pytest

from platform_core.testing.factories import (
    CSRF,
    bearer_for,
    console_client,
    make_customer,
    make_worker,
    post_form,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.openapi import PLUGIN_API

BEYOND_64_BITS = 2**63


@pytest.fixture
async def token(tenant_a) -> dict[str, str]:
    return await bearer_for(tenant_a, "customer", await make_customer(tenant_a))


def error_fields(response) -> set[str]:
    assert response.status_code == 400, response.text
    return set(response.json()["error"]["fields"])


async def test_ids_past_64_bits_name_nothing(client_a, token):
    assert (await client_a.get(f"/api/v1/me/addresses/{BEYOND_64_BITS}", headers=token)).status_code == 404
    assert (await client_a.get(f"/api/v1/workers/{BEYOND_64_BITS}")).status_code == 404
    assert (await client_a.get(f"/workers/{BEYOND_64_BITS}")).status_code == 404
    # Within 64 bits but never a row id: the typed bound refuses it before any query.
    assert "address_id" in str((await client_a.get("/api/v1/me/addresses/0", headers=token)).json())


async def test_ids_in_bodies_are_bounded_and_typed(client_a, token):
    assert "item_id" in str((await client_a.post("/api/v1/quotes", headers=token, json={"item_id": BEYOND_64_BITS})).json())
    assert "item_id" in str((await client_a.post("/api/v1/quotes", headers=token, json={"item_id": "1"})).json())
    marked = await client_a.post("/api/v1/notifications/read", headers=token, json={"ids": [1, BEYOND_64_BITS]})
    assert marked.status_code == 400


async def test_nul_in_text_is_refused_with_the_field_named(client_a, token):
    address = {"contact_name": "王\x00阿姨", "contact_phone": "13700137000", "city": "上海", "street": "漕溪北路 88 号"}
    assert "contact_name" in str((await client_a.post("/api/v1/me/addresses", headers=token, json=address)).json())
    assert error_fields(await client_a.get("/api/v1/catalog/items?category=%00")) == {"category"}
    assert error_fields(await client_a.get("/api/v1/catalog/items?skills=%00")) == {"skills"}


async def test_broken_utf8_deep_json_and_huge_numbers_are_bad_requests(client_a, token):
    assert (await client_a.get("/api/v1/catalog/items?category=%ff%fe")).status_code == 400
    assert (await client_a.get("/api/v1/catalog/items/%ff%fe")).status_code == 404
    json_headers = {**token, "content-type": "application/json"}
    assert (await client_a.post("/api/v1/me/addresses", headers=json_headers, content=b'{"city": "\xff"}')).status_code == 400
    assert (await client_a.post("/api/v1/me/addresses", headers=json_headers, content=b"[" * 1000 + b"]" * 1000)).status_code == 400
    position = await client_a.post("/api/v1/staff/orders/1/position", headers=json_headers, content=b'{"lat": 1e308, "lng": 1e308}')
    assert position.status_code in (400, 401)
    assert (await client_a.get("/api/v1/workers/1/reviews?limit=99999999999999999999999")).status_code == 400


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_dates_far_from_ours_are_refused(client_a, token, day):
    assert error_fields(await client_a.get(f"/api/v1/availability?item=x&date={day}", headers=token)) == {"date"}
    placed = await client_a.post("/api/v1/orders", headers=token, json={"item_id": 1, "slot_start": f"{day}T09:00:00+08:00"})
    assert placed.status_code == 400


async def test_a_huge_page_number_is_an_empty_page_or_a_bad_request(app, tenant_a):
    async with await console_client(client_for(app, f"{tenant_a.slug}.localhost"), tenant_a, "owner") as client:
        for page in (str(BEYOND_64_BITS), "9" * 40, "99999999"):
            assert (await client.get(f"/console/orders?page={page}")).status_code in (200, 400)


async def test_the_console_sign_in_refuses_nul_in_the_email_naming_the_field(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        client.cookies.set("hearth_csrf", CSRF)
        client.cookies.set("hearth_locale", "en")
        answer = await post_form(client, "/console/sign-in", {"email": "owner\x00@example.com", "password": "x" * 12})
        assert answer.status_code == 400
        # The sign-in form again, the message at its field, the email kept for correcting.
        assert 'name="password"' in answer.text
        assert "This value contains characters that are not allowed." in answer.text


async def test_the_openapi_document_lists_the_api_with_its_error_body(client_a):
    document = (await client_a.get("/schema/openapi.json")).json()
    # The JSON API only: the core's under /api/, a plugin's under /p/{plugin}/api/.
    assert document["paths"] and all(path.startswith("/api/") or PLUGIN_API.match(path) for path in document["paths"])
    address = document["paths"]["/api/v1/me/addresses/{address_id}"]["get"]
    assert {"400", "401", "404"} <= set(address["responses"])
    assert address["responses"]["404"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert document["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message", "fields"]
    parameter = address["parameters"][0]["schema"]
    assert parameter["minimum"] == 1 and parameter["maximum"] > 9e18  # 2**63 - 1, as a JSON number


async def test_digits_int_can_not_read_are_refused_or_ignored_never_a_500(app, tenant_a):
    # "²" and "³" are digits to str.isdigit(); int() refuses them.
    async with await console_client(client_for(app, f"{tenant_a.slug}.localhost"), tenant_a, "owner") as console:
        for path in ("/console/payments?page=²", "/console/orders?page=³", "/console/finance/payouts?page=²"):
            assert (await console.get(path)).status_code in (200, 400), path
        worker = await make_worker(tenant_a)
        assert (await console.get(f"/console/workers/{worker}?jobs=²")).status_code == 200
