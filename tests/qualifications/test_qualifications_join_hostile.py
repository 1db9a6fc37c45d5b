"""Hostile and wrong input on /join: every field bounded and named, NUL refused at its field,
files checked by their structure, nothing half-written, the phone code required first, and the
sends and applications limited per phone and address."""

from __future__ import annotations

import secrets

import pytest

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_item,
    post_form,
    random_phone,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

from .helpers import application_files, application_form, join_verified


async def _applications(tenant) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select count(*) from core_staff_application")


@pytest.fixture
async def category(tenant_a) -> str:
    code = f"clean-{secrets.token_hex(3)}"
    await make_item(tenant_a, category=code)
    return code


@pytest.fixture
async def candidate(app, tenant_a, sms):
    async with with_csrf(client_for(app, f"{tenant_a.slug}.localhost")) as client:
        await join_verified(client, sms, random_phone())
        yield client


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": "刘\x00秀英"}, "name", "characters that are not allowed"),
    ({"name": "长" * 41}, "name", "too long"),
    ({"bio": "很" * 1001}, "bio", "too long"),
    ({"years_experience": "61"}, "years_experience", "too large"),
    ({"birth_year": "9999"}, "birth_year", ""),
    ({"id_number": "12"}, "id_number", "Enter the number on your ID card."),
    ({"categories": ["no-such-kind"]}, "categories", "Choose from the kinds of work offered."),
    ({"doc0_kind": "bogus"}, "doc0_kind", "Choose one of the kinds offered."),
    ({"doc0_expires_on": ""}, "doc0_expires_on", "This kind of certificate expires: enter its expiry date."),
    ({"doc0_expires_on": "2020-01-01"}, "doc0_expires_on", "This certificate has expired already."),
    ({"doc0_issued_on": "2026-13-40"}, "doc0_issued_on", "Enter a date as YYYY-MM-DD."),
    ({"doc0_issuer": "x\x00"}, "doc0_issuer", "characters that are not allowed"),
])
async def test_a_wrong_field_is_named_and_nothing_is_written(tenant_a, category, candidate, overrides, field, message):
    sent = await post_form(candidate, "/join", application_form(category, **overrides), files=application_files())
    assert sent.status_code == 400, sent.text[:300]
    assert f'id="field-{field}' in sent.text and message in sent.text
    assert await _applications(tenant_a) == 0


async def test_photos_are_checked_by_what_they_are_not_their_name(tenant_a, category, candidate):
    files = {"id_photo": ("id.png", b"GIF89a not an image", "image/png"), "doc0_photo": ("c.jpg", b"\xff\xd8\xff\xe0broken", "image/jpeg")}
    sent = await post_form(candidate, "/join", application_form(category), files=files)
    assert sent.status_code == 400 and "Upload a JPEG, PNG or WebP photo." in sent.text
    missing = await post_form(candidate, "/join", application_form(category), files={})
    assert missing.status_code == 400 and "Choose a photo to upload." in missing.text
    assert await _applications(tenant_a) == 0


async def test_applying_needs_the_phone_proved_first_and_one_open_application_per_phone(app, tenant_a, category, candidate):
    async with with_csrf(client_for(app, f"{tenant_a.slug}.localhost")) as stranger:
        stranger.cookies.set("hearth_join", "forged-token")
        refused = await post_form(stranger, "/join", application_form(category), files=application_files())
        assert refused.status_code == 400 and "Confirm your phone number first." in refused.text
        wrong = await post_form(stranger, "/join/verify", {"phone": random_phone(), "code": "000000"})
        assert wrong.status_code == 400
    assert (await post_form(candidate, "/join", application_form(category), files=application_files())).status_code == 303
    again = await post_form(candidate, "/join/more", {"doc0_kind": "childcare", "doc0_number": "Y-1"}, files=application_files())
    assert again.status_code == 409
    assert await _applications(tenant_a) == 1


async def test_sending_codes_is_limited_per_phone(app, tenant_a, sms):
    phone = random_phone()
    async with with_csrf(client_for(app, f"{tenant_a.slug}.localhost")) as client:
        answers = [(await post_form(client, "/join/code", {"phone": phone})).status_code for _ in range(4)]
    assert answers[0] == 200 and 429 in answers
