"""Real-name verification: the customer submits a name, an ID number and photos of the ID; the
office (the `kyc` permission) approves, rejects with a reason, or revokes an approval.

What is stored: the number only as a keyring ciphertext, a blind index (one person's ID is
approved for one customer of a franchise) and its masked form; the photos sealed with the
keyring in the database, never under the public media path. The console sees a photo through a
link signed for five minutes, and every view, like every reveal of the full number, is logged.
"""

from __future__ import annotations

import hmac
import struct
import time
from typing import Iterable

import asyncpg

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from .console_schemas import ConsoleUser
from .idnumbers import id_types_for, mask_id_number, normalize_id_number
from .ratelimit import Limit, enforce
from .realname_schemas import (
    SIDES,
    Access,
    RealnameCreate,
    Submission,
    Verification,
)
from .services import set_realname_verified

NUMBER_CONTEXT = "realname.id_number"
# Three photos fit in one request under Litestar's 10 MB body limit.
MAX_PHOTO_BYTES = 3 * 1024 * 1024
LINK_TTL = 300
SUBMIT_LIMITS = (Limit("realname-1d", 5, 86400),)
# Reviewing takes a few looks per submission; hundreds an hour would be someone copying IDs out.
LOOK_LIMITS = (Limit("realname-look-1h", 120, 3600),)
HOME = "/account/verification"

_COLUMNS = ("id, customer_id, full_name, id_type, nationality, id_number_masked, state, reason, submitted_at, "
            "reviewed_at, reviewer_id")


def _submission(row) -> Submission:
    return Submission(**dict(row))


# --------------------------------------------------------------------------- photos


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG's segments to its frame header (SOFn): the picture's height and width."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and at + 9 <= len(data):
            return struct.unpack(">HH", data[at + 5:at + 9])
        if length < 2:
            return None
        at += 2 + length
    return None


def photo_type(data: bytes, field: str) -> str:
    """The content type of an ID photo checked by its structure (a JPEG's frame, a PNG's header
    chunk, a WebP's RIFF size), not by its name or the type the browser claims."""
    if not data:
        raise ValidationFailed({field: N_("Choose a photo to upload.")})
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed({field: N_("The photo is too large (at most 3 MB).")})
    if data.startswith(b"\xff\xd8\xff"):
        size = _jpeg_size(data)
        if size and all(size):
            return "image/jpeg"
    elif data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) > 33:
        width, height = struct.unpack(">II", data[16:24])
        if width and height and b"IEND" in data[-12:]:
            return "image/png"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP" and struct.unpack("<I", data[4:8])[0] + 8 == len(data) \
            and data[12:16] in (b"VP8 ", b"VP8L", b"VP8X"):
        return "image/webp"
    raise ValidationFailed({field: N_("Upload a JPEG, PNG or WebP photo.")})


def _photo_context(tenant_id: int, submission_id: int, side: str) -> str:
    # A sealed photo moved to another submission, side or franchise does not open.
    return f"realname.photo:{tenant_id}:{submission_id}:{side}"


# --------------------------------------------------------------------------- the customer's side


async def _latest(customer_id: int) -> Submission | None:
    row = await current_connection().fetchrow(
        f"select {_COLUMNS} from core_realname_submission where customer_id = $1 order by submitted_at desc, id desc limit 1",
        customer_id)
    return _submission(row) if row else None


async def my_verification(tenant: TenantContext, customer_id: int) -> Verification:
    latest = await _latest(customer_id)
    types = list(id_types_for(tenant))
    if latest is None:
        return Verification(state="none", id_types=types)
    verified_at = latest.reviewed_at if latest.state == "approved" else None
    return Verification(
        state=latest.state, id_types=types, full_name=latest.full_name, id_type=latest.id_type,
        id_number_masked=latest.id_number_masked, reason=latest.reason if latest.state in ("rejected", "revoked") else "",
        submitted_at=latest.submitted_at, verified_at=verified_at)


async def submit(tenant: TenantContext, customer_id: int, data: RealnameCreate, photos: dict[str, bytes]) -> Verification:
    """A new submission, pending review; refused while one is pending or approved (409), for an
    ID type the franchise does not take, or an ID already verified for another customer."""
    if data.id_type not in id_types_for(tenant):
        raise ValidationFailed({"id_type": N_("Choose one of the ID types offered.")})
    nationality = data.nationality.upper()
    number = normalize_id_number(data.id_type, data.id_number, nationality=nationality, today=clock.today(tenant.timezone))
    full_name = " ".join(data.full_name.split())
    if not full_name:
        raise ValidationFailed({"full_name": N_("Enter your name as it is on your ID.")})
    types = {side: photo_type(photos.get(side, b""), side) for side in SIDES if side != "selfie" or photos.get("selfie")}
    await enforce(current_runtime().kv, tenant.key("realname-submit", customer_id), SUBMIT_LIMITS)
    latest = await _latest(customer_id)
    if latest is not None and latest.state in ("pending", "approved"):
        raise Conflict(N_("Your verification is already under review.") if latest.state == "pending"
                       else N_("Your real name is already verified."))
    keyring = current_runtime().keyring
    index = keyring.blind_index(f"{data.id_type}:{number}", context=NUMBER_CONTEXT)
    taken = await current_connection().fetchval(
        "select 1 from core_realname_submission where id_number_index = $1 and state = 'approved' and customer_id <> $2",
        index, customer_id)
    if taken:
        raise ValidationFailed({"id_number": N_("This ID is already verified for another account. Contact us if it is yours.")})
    try:
        # A savepoint: the refusal below is answered with a page, read in this same transaction.
        async with current_connection().transaction():
            submission_id = await current_connection().fetchval(
                "insert into core_realname_submission (tenant_id, customer_id, full_name, id_type, nationality, id_number_cipher, "
                "id_number_index, id_number_masked) values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
                tenant.id, customer_id, full_name, data.id_type, nationality if data.id_type == "passport" else "",
                keyring.encrypt(number, context=NUMBER_CONTEXT), index, mask_id_number(data.id_type, number))
    except asyncpg.UniqueViolationError:
        # Another submission of this customer's committed first (two tabs).
        raise Conflict(N_("Your verification is already under review.")) from None
    await current_connection().executemany(
        "insert into core_realname_photo (tenant_id, submission_id, side, content_type, sealed) values ($1, $2, $3, $4, $5)",
        [(tenant.id, submission_id, side, content_type,
          keyring.seal(photos[side], context=_photo_context(tenant.id, submission_id, side))) for side, content_type in types.items()])
    return await my_verification(tenant, customer_id)


# --------------------------------------------------------------------------- the console's side


async def list_submissions(state: str | None = None, *, limit: int = 200) -> list[Submission]:
    """The review queue: pending first (oldest first, as they wait), then the rest, newest first."""
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from core_realname_submission where ($1::text is null or state = $1) "
        "order by state <> 'pending', case when state = 'pending' then submitted_at end, submitted_at desc limit $2",
        state, limit)
    return [_submission(r) for r in rows]


async def pending_count() -> int:
    return await current_connection().fetchval("select count(*) from core_realname_submission where state = 'pending'")


async def get_submission(submission_id: int) -> Submission:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_realname_submission where id = $1", submission_id)
    if row is None:
        raise NotFound("submission")
    return _submission(row)


async def photo_sides(submission_id: int) -> list[str]:
    rows = await current_connection().fetch(
        "select side from core_realname_photo where submission_id = $1 order by array_position(array['front','back','selfie'], side::text)",
        submission_id)
    return [r["side"] for r in rows]


async def same_id_elsewhere(submission_id: int) -> list[Submission]:
    """Other customers' submissions of the same ID number (the office sees a duplicate)."""
    rows = await current_connection().fetch(
        f"select {', '.join('o.' + c.strip() for c in _COLUMNS.split(','))} from core_realname_submission s "
        "join core_realname_submission o on o.id_number_index = s.id_number_index and o.customer_id <> s.customer_id "
        "where s.id = $1 order by o.submitted_at desc limit 20", submission_id)
    return [_submission(r) for r in rows]


async def access_log(submission_id: int) -> list[Access]:
    rows = await current_connection().fetch(
        "select actor_name, action, at from core_realname_access where submission_id = $1 order by at desc, id desc limit 200",
        submission_id)
    return [Access(**dict(r)) for r in rows]


async def _log(tenant: TenantContext, submission_id: int, reviewer: ConsoleUser, action: str) -> None:
    await enforce(current_runtime().kv, tenant.key("realname-look", reviewer.id), LOOK_LIMITS)
    await current_connection().execute(
        "insert into core_realname_access (tenant_id, submission_id, console_user_id, actor_name, action) values ($1, $2, $3, $4, $5)",
        tenant.id, submission_id, reviewer.id, reviewer.display_name[:200], action)


async def reveal_number(tenant: TenantContext, submission_id: int, reviewer: ConsoleUser) -> str:
    """The full ID number, for a reviewer who asked for it; logged."""
    cipher = await current_connection().fetchval(
        "select id_number_cipher from core_realname_submission where id = $1", submission_id)
    if cipher is None:
        raise NotFound("submission")
    await _log(tenant, submission_id, reviewer, "reveal")
    return current_runtime().keyring.decrypt(cipher, context=NUMBER_CONTEXT)


def _link_payload(tenant_id: int, submission_id: int, side: str, expires: int) -> str:
    return f"{tenant_id}:{submission_id}:{side}:{expires}"


def photo_link(tenant: TenantContext, submission_id: int, side: str, *, now: float | None = None) -> str:
    """A link to one photo, good for LINK_TTL seconds: an HMAC over tenant, submission, side and
    expiry, so it opens nothing else, nowhere else, and not later."""
    expires = int(now if now is not None else time.time()) + LINK_TTL
    sig = current_runtime().keyring.sign(_link_payload(tenant.id, submission_id, side, expires), context="realname.photo-link")
    return f"/console/verifications/{submission_id}/photos/{side}?expires={expires}&sig={sig}"


async def open_photo(tenant: TenantContext, submission_id: int, side: str, expires: int, sig: str,
                     reviewer: ConsoleUser) -> tuple[bytes, str]:
    """The photo's bytes and type for a valid, unexpired link; the view is logged."""
    wanted = current_runtime().keyring.sign(_link_payload(tenant.id, submission_id, side, expires), context="realname.photo-link")
    if not hmac.compare_digest(wanted, sig):
        raise Forbidden(N_("This link is not valid."))
    if expires < time.time():
        raise Forbidden(N_("This link has expired: open the photo from the review page again."))
    row = await current_connection().fetchrow(
        "select content_type, sealed from core_realname_photo where submission_id = $1 and side = $2", submission_id, side)
    if row is None:
        raise NotFound("photo")
    await _log(tenant, submission_id, reviewer, side)
    return current_runtime().keyring.unseal(bytes(row["sealed"]), context=_photo_context(tenant.id, submission_id, side)), row["content_type"]


async def _decide(submission_id: int, sources: Iterable[str], target: str, reviewer: ConsoleUser, reason: str) -> Submission:
    """Move the submission from one of `sources` to `target`. The update waits for a concurrent
    reviewer's, then reads the state they left: the loser matches no row and gets 409."""
    try:
        async with current_connection().transaction():  # a savepoint, as in submit()
            row = await current_connection().fetchrow(
                f"update core_realname_submission set state = $2, reason = $3, reviewed_at = now(), reviewer_id = $4 "
                f"where id = $1 and state = any($5::text[]) returning {_COLUMNS}",
                submission_id, target, reason, reviewer.id, list(sources))
    except asyncpg.UniqueViolationError:
        raise Conflict(N_("This ID is already verified for another customer.")) from None
    if row is None:
        await get_submission(submission_id)
        raise Conflict(N_("Someone else has just reviewed this submission. Reload to see the decision."))
    return _submission(row)


async def _tell(tenant: TenantContext, customer_id: int, title: str, body: str, **params: str) -> None:
    await add_notification(NotificationCreate(
        recipient_kind="customer", recipient_id=customer_id, title=translate_to(tenant.locale, title),
        body=translate_to(tenant.locale, body) % params if params else translate_to(tenant.locale, body), link=HOME))


async def approve(tenant: TenantContext, submission_id: int, reviewer: ConsoleUser) -> Submission:
    submission = await _decide(submission_id, ("pending",), "approved", reviewer, "")
    await set_realname_verified(submission.customer_id, True)
    await _tell(tenant, submission.customer_id, N_("Your real name is verified"),
                N_("Thank you: your real-name verification was approved. Workers now see only your surname and a masked number."))
    return submission


async def reject(tenant: TenantContext, submission_id: int, reviewer: ConsoleUser, reason: str) -> Submission:
    submission = await _decide(submission_id, ("pending",), "rejected", reviewer, reason)
    await _tell(tenant, submission.customer_id, N_("Your real-name verification was not approved"),
                N_("Reason: %(reason)s. You can correct it and submit again."), reason=reason)
    return submission


async def revoke(tenant: TenantContext, submission_id: int, reviewer: ConsoleUser, reason: str) -> Submission:
    submission = await _decide(submission_id, ("approved",), "revoked", reviewer, reason)
    await set_realname_verified(submission.customer_id, False)
    await _tell(tenant, submission.customer_id, N_("Your real-name verification was withdrawn"),
                N_("Reason: %(reason)s. You can submit your ID again."), reason=reason)
    return submission
