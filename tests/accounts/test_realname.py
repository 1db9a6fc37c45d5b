"""Real-name verification: the ID rules, the customer's submission (page and API), encryption
at rest, the console's review with `kyc`, the signed photo links and their log, the race between
two reviewers, and resubmission after a rejection."""

from __future__ import annotations

import asyncio
import struct
import time
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from platform_core.accounts import realname
from platform_core.accounts.console_schemas import ConsoleUser
from platform_core.accounts.idnumbers import (
    hk_check,
    mask_id_number,
    normalize_id_number,
    resident_check,
)
from platform_core.accounts.ratelimit import Limit
from platform_core.db import current_connection
from platform_core.errors import Conflict, ValidationFailed
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_console_user,
    make_customer,
    png_image,
    post_form,
    signed_in,
)

TODAY = date(2026, 12, 3)
RESIDENT = "11010519491231002X"
OTHER_RESIDENT = "31010419900101123" + resident_check("31010419900101123")


def png() -> bytes:
    return png_image(4, 3, lambda x, y: b"\xc8\x50\x30")


def jpeg() -> bytes:
    """The smallest structure photo_type accepts as a JPEG: SOI, an APP0, a baseline frame, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 480, 640, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


PHOTOS = {"front": ("front.png", png(), "image/png"), "back": ("back.jpg", jpeg(), "image/jpeg")}
FIELDS = {"full_name": "王小明", "id_type": "resident_id", "id_number": RESIDENT}


# --------------------------------------------------------------------------- the rules, without a database


@pytest.mark.parametrize("number", [RESIDENT, RESIDENT.lower(), OTHER_RESIDENT, "110105 19491231 002X"])
def test_valid_resident_ids_pass_the_mod_11_2_check(number):
    assert normalize_id_number("resident_id", number, today=TODAY) == number.replace(" ", "").upper()


@pytest.mark.parametrize(("number", "why"), [
    ("110105194912310021", "not valid"),        # wrong check character
    ("11010519491331002X", "birth date"),       # month 13
    ("11010520990101002X", "birth date"),       # born in the future
    ("1101051949123100", "18 characters"),      # too short
    ("1101051949123100XX", "18 characters"),    # X only at the end
])
def test_invalid_resident_ids_are_refused_with_the_reason(number, why):
    with pytest.raises(ValidationFailed) as refused:
        normalize_id_number("resident_id", number, today=TODAY)
    assert why in refused.value.fields["id_number"]


def test_hong_kong_ids_check_their_digit_with_one_or_two_letters():
    assert hk_check("A", "123456") == "3"
    assert normalize_id_number("hk_id", "A123456(3)", today=TODAY) == "A123456(3)"
    assert normalize_id_number("hk_id", "a1234563", today=TODAY) == "A123456(3)"
    two = "AB987654" + hk_check("AB", "987654")
    assert normalize_id_number("hk_id", two, today=TODAY).startswith("AB987654(")
    for bad in ("A123456(4)", "1234567", "ABC123456(1)"):
        with pytest.raises(ValidationFailed):
            normalize_id_number("hk_id", bad, today=TODAY)


def test_passports_need_bounded_alphanumerics_and_a_real_nationality():
    assert normalize_id_number("passport", "e1234 5678", nationality="US", today=TODAY) == "E12345678"
    with pytest.raises(ValidationFailed) as refused:
        normalize_id_number("passport", "E12345678", nationality="ZZ", today=TODAY)
    assert "nationality" in refused.value.fields
    for bad in ("E12", "E1234567890123456789012", "E1234-5678!"):
        with pytest.raises(ValidationFailed):
            normalize_id_number("passport", bad, nationality="US", today=TODAY)


def test_numbers_are_masked_to_their_ends():
    assert mask_id_number("resident_id", "310101199001011234") == "3101**********1234"
    assert mask_id_number("hk_id", "A123456(3)") == "A****56(3)"


def test_photos_are_checked_by_their_structure():
    assert realname.photo_type(png(), "front") == "image/png"
    assert realname.photo_type(jpeg(), "front") == "image/jpeg"
    for fake in (b"%PDF-1.4 not a photo", b"\xff\xd8\xff" + b"\x00" * 40, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40):
        with pytest.raises(ValidationFailed) as refused:
            realname.photo_type(fake, "front")
        assert refused.value.fields == {"front": "Upload a JPEG, PNG or WebP photo."}


# --------------------------------------------------------------------------- the customer's side


async def submit_page(client, fields=None, photos=None):
    return await post_form(client, "/account/verification", {**FIELDS, **(fields or {})}, files=photos or PHOTOS)


async def test_a_customer_submits_and_sees_the_masked_number_under_review(app, tenant_a):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        empty = await client.get("/account/verification")
        sent = await submit_page(client)
        shown = await client.get("/account/verification")
        again = await submit_page(client)
    assert empty.status_code == 200 and "Verify your real name" in empty.text
    assert sent.status_code == 303
    assert "Under review" in shown.text and "1101**********002X" in shown.text and RESIDENT not in shown.text
    assert again.status_code == 409 and "already under review" in again.text


@pytest.mark.parametrize(("photos", "field", "message"), [
    ({"front": ("id.pdf", b"%PDF-1.4 fake", "image/png"), "back": PHOTOS["back"]}, "front", "Upload a JPEG, PNG or WebP photo."),
    ({"front": PHOTOS["front"], "back": ("big.png", png() + b"\x00" * (3 * 1024 * 1024), "image/png")}, "back",
     "The photo is too large (at most 3 MB)."),
    ({"front": PHOTOS["front"]}, "back", "Choose a photo to upload."),
])
async def test_uploads_that_are_not_photos_or_too_large_are_refused_beside_the_field(app, tenant_a, photos, field, message):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        answer = await submit_page(client, photos=photos)
    assert answer.status_code == 400
    assert f'id="field-{field}-error"' in answer.text and message in answer.text
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_realname_submission where customer_id = $1", customer) == 0


async def test_the_api_takes_the_same_form_and_names_the_wrong_field(app, tenant_a, client_a):
    customer = await make_customer(tenant_a)
    headers = await bearer_for(tenant_a, "customer", customer)
    bad = await client_a.post("/api/v1/account/verification", headers=headers, data={**FIELDS, "id_number": "110105194912310021"},
                              files=PHOTOS)
    good = await client_a.post("/api/v1/account/verification", headers=headers, data=FIELDS, files=PHOTOS)
    seen = await client_a.get("/api/v1/account/verification", headers=headers)
    assert bad.status_code == 400 and "id_number" in bad.text
    assert good.status_code == 201 and good.json()["state"] == "pending"
    assert seen.json()["id_number_masked"] == "1101**********002X" and seen.json()["id_types"] == ["resident_id", "passport"]
    assert RESIDENT not in seen.text


async def test_a_hong_kong_franchise_offers_its_own_card(app, make_tenant):
    hk = await make_tenant(currency="HKD", timezone="Asia/Hong_Kong")
    customer = await make_customer(hk)
    async with await signed_in(app, hk, "customer", customer) as client:
        html = (await client.get("/account/verification")).text
        sent = await submit_page(client, {"id_type": "hk_id", "id_number": "A123456(3)", "full_name": "Chan Tai Man"})
    assert html.index("Hong Kong identity card") < html.index("Mainland resident ID card")
    assert sent.status_code == 303


async def test_the_database_holds_no_plain_id_number_nor_plain_photo(app, tenant_a):
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        assert (await submit_page(client)).status_code == 303
    async with tenant_scope(tenant_a.id):
        rows = await current_connection().fetch(
            "select s::text as submission from core_realname_submission s where customer_id = $1", customer)
        photos = await current_connection().fetch(
            "select p.sealed from core_realname_photo p join core_realname_submission s on s.id = p.submission_id "
            "where s.customer_id = $1", customer)
    dumped = rows[0]["submission"]
    assert RESIDENT not in dumped and RESIDENT[6:14] not in dumped and "19491231" not in dumped
    assert len(photos) == 2
    for row in photos:
        sealed = bytes(row["sealed"])
        assert not sealed.startswith((b"\x89PNG", b"\xff\xd8")) and png() not in sealed and b"IHDR" not in sealed


# --------------------------------------------------------------------------- the console's side


async def pending_submission(app, tenant, fields=None) -> tuple[int, int]:
    customer = await make_customer(tenant)
    async with await signed_in(app, tenant, "customer", customer) as client:
        assert (await submit_page(client, fields)).status_code == 303
    async with tenant_scope(tenant.id):
        submission = await current_connection().fetchval(
            "select id from core_realname_submission where customer_id = $1 and state = 'pending'", customer)
    return customer, submission


async def test_review_needs_the_kyc_permission(app, tenant_a):
    _, submission = await pending_submission(app, tenant_a)
    support = await make_console_user(tenant_a, "support")
    manager = await make_console_user(tenant_a, "manager")
    async with await signed_in(app, tenant_a, "console", support.id) as client:
        refused = [await client.get("/console/verifications"), await client.get(f"/console/verifications/{submission}"),
                   await post_form(client, f"/console/verifications/{submission}/approve")]
    async with await signed_in(app, tenant_a, "console", manager.id) as client:
        queue = await client.get("/console/verifications")
        approved_only = await client.get("/console/verifications?state=approved")
        page = await client.get(f"/console/verifications/{submission}")
        too_big = await client.get("/console/verifications/99999999999999999999")
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert queue.status_code == 200 and "王小明" in queue.text and "1101**********002X" in queue.text
    assert approved_only.status_code == 200 and "王小明" not in approved_only.text and "Nothing to review" in approved_only.text
    assert page.status_code == 200 and RESIDENT not in page.text
    assert 400 <= too_big.status_code < 500


def photo_url(html: str, side: str) -> str:
    start = html.index(f"/photos/{side}?")
    end = html.index('"', start)
    return html[html.rindex('"', 0, start) + 1:end].replace("&amp;", "&")


async def test_photos_open_through_signed_links_and_every_view_is_logged(app, tenant_a, tenant_b):
    _, submission = await pending_submission(app, tenant_a)
    owner = await make_console_user(tenant_a, "owner")
    owner_b = await make_console_user(tenant_b, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        html = (await client.get(f"/console/verifications/{submission}")).text
        front = photo_url(html, "front")
        shown = await client.get(front)
        tampered = await client.get(front.replace("/photos/front", "/photos/back"))
        query = parse_qs(urlsplit(front).query)
        expired_link = f"/console/verifications/{submission}/photos/front?expires={int(time.time()) - 1}&sig={query['sig'][0]}"
        expired = await client.get(expired_link)
        reveal = await post_form(client, f"/console/verifications/{submission}/reveal")
        logged = (await client.get(f"/console/verifications/{submission}")).text
    async with await signed_in(app, tenant_b, "console", owner_b.id) as other:
        elsewhere = await other.get(front)
    assert shown.status_code == 200 and shown.content == png() and shown.headers["content-type"] == "image/png"
    assert "no-store" in shown.headers["cache-control"]
    assert tampered.status_code == 403 and expired.status_code == 403
    assert elsewhere.status_code in (403, 404)
    assert reveal.status_code == 200 and RESIDENT in reveal.text
    assert "Viewed the front photo" in logged and "Revealed the full ID number" in logged and "Owner Person" in logged
    assert "Viewed the back photo" not in logged
    async with tenant_scope(tenant_a.id):
        actions = [r["action"] for r in await current_connection().fetch(
            "select action from core_realname_access where submission_id = $1 order by id", submission)]
    assert actions == ["front", "reveal"]


async def test_approval_verifies_the_customer_and_tells_them(app, tenant_a):
    customer, submission = await pending_submission(app, tenant_a)
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        done = await post_form(client, f"/console/verifications/{submission}/approve")
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = (await client.get("/account/verification")).text
        inbox = (await client.get("/account/inbox")).text
    assert done.status_code == 303
    assert "Your real name is verified" in page and "1101**********002X" in page
    # Written in the franchise's language, as every inbox entry is.
    assert "您已完成实名认证" in inbox and 'href="/account/verification"' in inbox
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval(
            "select realname_verified_at is not null from core_customer where id = $1", customer)


async def test_rejection_needs_a_reason_the_customer_sees_and_then_resubmits(app, tenant_a):
    customer, submission = await pending_submission(app, tenant_a)
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        blank = await post_form(client, f"/console/verifications/{submission}/reject", {"reason": " "})
        control = await post_form(client, f"/console/verifications/{submission}/reject", {"reason": "bad\x07"})
        done = await post_form(client, f"/console/verifications/{submission}/reject", {"reason": "The photo is blurred"})
    assert blank.status_code == 400 and "field-reason-error" in blank.text
    assert control.status_code == 400
    assert done.status_code == 303
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = (await client.get("/account/verification")).text
        inbox = (await client.get("/account/inbox")).text
        again = await submit_page(client)
    assert "The photo is blurred" in page and "Verify your real name" in page
    assert "The photo is blurred" in inbox
    assert again.status_code == 303


async def test_revoking_clears_the_verified_mark(app, tenant_a):
    customer, submission = await pending_submission(app, tenant_a)
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        await post_form(client, f"/console/verifications/{submission}/approve")
        done = await post_form(client, f"/console/verifications/{submission}/revoke", {"reason": "Document reported stolen"})
    assert done.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert not await current_connection().fetchval(
            "select realname_verified_at is not null from core_customer where id = $1", customer)


async def test_an_id_verified_for_one_customer_is_refused_for_another(app, tenant_a, tenant_b):
    _, submission = await pending_submission(app, tenant_a)
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        await post_form(client, f"/console/verifications/{submission}/approve")
    second = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", second) as client:
        refused = await submit_page(client)
    assert refused.status_code == 400 and "already verified for another account" in refused.text
    # Another franchise is another world: the same person may verify there.
    _, elsewhere = await pending_submission(app, tenant_b)
    assert elsewhere


async def test_two_reviewers_racing_one_wins_the_other_gets_409(app, tenant_a):
    _, submission = await pending_submission(app, tenant_a)
    users = [await make_console_user(tenant_a, "owner") for _ in range(2)]
    reviewers = [ConsoleUser(id=u.id, email=u.email, display_name=u.display_name, role=u.role, status=u.status,
                             totp_enabled=False, last_sign_in_at=None, created_at=u.created_at) for u in users]

    async def review(reviewer, approve):
        async with tenant_scope(tenant_a.id) as tenant:
            if approve:
                return await realname.approve(tenant, submission, reviewer)
            await asyncio.sleep(0.05)
            return await realname.reject(tenant, submission, reviewer, "Blurred")

    results = await asyncio.gather(review(reviewers[0], True), review(reviewers[1], False), return_exceptions=True)
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert sum(not isinstance(r, Exception) for r in results) == 1


async def test_approving_an_id_already_approved_for_another_customer_is_a_409_on_the_page(app, tenant_a):
    _, first = await pending_submission(app, tenant_a)
    _, second = await pending_submission(app, tenant_a)  # the same ID, before the first was approved
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        warned = await client.get(f"/console/verifications/{second}")
        await post_form(client, f"/console/verifications/{first}/approve")
        refused = await post_form(client, f"/console/verifications/{second}/approve")
    assert "Same ID, another account" in warned.text
    assert refused.status_code == 409 and "already verified for another customer" in refused.text


async def test_a_reviewer_looking_at_too_many_ids_is_slowed_down(app, tenant_a, monkeypatch):
    monkeypatch.setattr(realname, "LOOK_LIMITS", (Limit("realname-look-1h", 2, 3600),))
    _, submission = await pending_submission(app, tenant_a)
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as client:
        front = photo_url((await client.get(f"/console/verifications/{submission}")).text, "front")
        answers = [(await client.get(front)).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
