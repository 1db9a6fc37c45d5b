"""Documents and credentials: an ID card or a certificate with its number (a keyring cipher and
its masked form), issuer, dates and photo (sealed with the keyring in the database, never under
the public media path). An application's documents become the worker's credentials when the
office approves the application; a worker uploads a renewal, which supersedes the old credential
once the office approves it; the office may revoke one, and the worker's assigned future orders
that need it are flagged for the office."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.accounts.realname import MAX_PHOTO_BYTES, photo_type
from platform_core.crypto import mask
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.orders.services import flag_for_office, worker_upcoming_orders
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from .eligibility import held_on, holdings_written, needs
from .kinds import all_kinds
from .schemas import Document, DocumentCreate

__all__ = ["MAX_PHOTO_BYTES"]
NUMBER_CONTEXT = "credential.number"
COLUMNS = ("id, kind, number_masked, issuer, issued_on, expires_on, state, reason, photo_sealed is not null as has_photo, "
           "application_id, staff_id, renews_id, reviewed_by, reviewed_at, created_at")
NOT_PENDING = N_("This document was decided already: reload the page to see the decision.")


def _photo_context(tenant_id: int, credential_id: int) -> str:
    # A sealed photo copied to another document or franchise does not open.
    return f"credential.photo:{tenant_id}:{credential_id}"


def _document(row) -> Document:
    return Document(**dict(row))


async def check_document(data: DocumentCreate, photo: bytes | None, *, prefix: str = "", today: date | None = None) -> None:
    """Every wrong field of one document at once (field names prefixed as the form names them)."""
    kinds = await all_kinds()
    errors: dict[str, str] = {}
    kind = kinds.get(data.kind)
    if kind is None:
        errors[prefix + "kind"] = N_("Choose one of the kinds offered.")
    if not data.number.strip():
        errors[prefix + "number"] = N_("This field is required.")
    today = today or clock.today(current_tenant().timezone)
    if data.issued_on and data.issued_on > today:
        errors[prefix + "issued_on"] = N_("The issue date can not be in the future.")
    if kind is not None and kind.expires and data.expires_on is None:
        errors[prefix + "expires_on"] = N_("This kind of certificate expires: enter its expiry date.")
    elif data.expires_on and data.expires_on < today:
        errors[prefix + "expires_on"] = N_("This certificate has expired already.")
    elif data.expires_on and data.issued_on and data.expires_on < data.issued_on:
        errors[prefix + "expires_on"] = N_("The expiry date is before the issue date.")
    if photo:
        try:
            photo_type(photo, prefix + "photo")
        except ValidationFailed as exc:
            errors.update(exc.fields)
    else:
        errors[prefix + "photo"] = N_("Choose a photo to upload.")
    if errors:
        raise ValidationFailed(errors)


async def add_document(data: DocumentCreate, photo: bytes, *, application_id: int | None = None, staff_id: int | None = None,
                       renews_id: int | None = None) -> Document:
    """Store a checked document (check_document) of an application or a worker, pending review."""
    tenant, keyring = current_tenant(), current_runtime().keyring
    number = "".join(data.number.split())
    conn = current_connection()
    holdings_written()
    credential_id = await conn.fetchval(
        "insert into core_credential (tenant_id, application_id, staff_id, kind, number_cipher, number_masked, issuer, issued_on, "
        "expires_on, photo_type, renews_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
        tenant.id, application_id, staff_id, data.kind, keyring.encrypt(number, context=NUMBER_CONTEXT), mask(number),
        " ".join(data.issuer.split()), data.issued_on, data.expires_on, photo_type(photo, "photo"), renews_id)
    await conn.execute("update core_credential set photo_sealed = $2 where id = $1", credential_id,
                       keyring.seal(photo, context=_photo_context(tenant.id, credential_id)))
    return await get_document(credential_id)


async def get_document(credential_id: int, *, staff_id: int | None = None) -> Document:
    """One document; with `staff_id`, only if it is that worker's (another's is not found)."""
    row = await current_connection().fetchrow(
        f"select {COLUMNS} from core_credential where id = $1 and ($2::bigint is null or staff_id = $2)", credential_id, staff_id)
    if row is None:
        raise NotFound("credential")
    return _document(row)


async def documents_of_application(application_id: int) -> list[Document]:
    rows = await current_connection().fetch(f"select {COLUMNS} from core_credential where application_id = $1 order by id", application_id)
    return [_document(r) for r in rows]


async def credentials_of_worker(staff_id: int) -> list[Document]:
    """A worker's credentials, current ones first (pending renewals among them), then the past."""
    rows = await current_connection().fetch(
        f"select {COLUMNS} from core_credential where staff_id = $1 "
        "order by state in ('superseded', 'rejected', 'revoked'), kind, id desc", staff_id)
    return [_document(r) for r in rows]


async def pending_renewals() -> list[Document]:
    rows = await current_connection().fetch(
        f"select {COLUMNS} from core_credential where staff_id is not null and state = 'pending' order by created_at")
    return [_document(r) for r in rows]


async def expiring(until: date) -> list[Document]:
    """Workers' approved credentials that expire on or before `until` (the office's watch list)."""
    rows = await current_connection().fetch(
        f"select {COLUMNS} from core_credential where staff_id is not null and state = 'approved' and expires_on <= $1 "
        "order by expires_on, id", until)
    return [_document(r) for r in rows]


async def open_photo(credential_id: int) -> tuple[bytes, str]:
    row = await current_connection().fetchrow("select photo_sealed, photo_type from core_credential where id = $1", credential_id)
    if row is None or row["photo_sealed"] is None:
        raise NotFound("photo")
    data = current_runtime().keyring.unseal(row["photo_sealed"], context=_photo_context(current_tenant().id, credential_id))
    return data, row["photo_type"]


async def reveal_number(credential_id: int) -> str:
    cipher = await current_connection().fetchval("select number_cipher from core_credential where id = $1", credential_id)
    if cipher is None:
        raise NotFound("credential")
    return current_runtime().keyring.decrypt(cipher, context=NUMBER_CONTEXT)


RENEWAL_APPROVED = N_("Your %(kind)s is approved.")
RENEWAL_REJECTED = N_("Your %(kind)s was not approved: %(reason)s")
REVOKED = N_("Your %(kind)s was revoked: %(reason)s. Jobs that need it are no longer offered to you.")


async def _tell_worker(document: Document, text: str, reason: str) -> None:
    """An entry in the worker's inbox, in the franchise's language (part of this transaction)."""
    tenant = current_tenant()
    kind = (await all_kinds()).get(document.kind)
    label = translate_to(tenant.locale, kind.name) if kind and kind.built_in else (kind.name if kind else document.kind)
    title = translate_to(tenant.locale, text) % {"kind": label, "reason": reason}
    await add_notification(NotificationCreate(recipient_kind="staff", recipient_id=document.staff_id, title=title[:200],
                                              link="/staff/credentials"))


async def _lock(credential_id: int) -> Document:
    row = await current_connection().fetchrow(f"select {COLUMNS} from core_credential where id = $1 for update", credential_id)
    if row is None:
        raise NotFound("credential")
    return _document(row)


async def review_document(credential_id: int, *, approve: bool, reason: str, by: int) -> Document:
    """Approve or reject a pending document (a reason is needed to reject). An approved renewal
    supersedes the credential it renews. The second of two reviewers gets a 409."""
    document = await _lock(credential_id)
    if document.state != "pending":
        raise Conflict(NOT_PENDING)
    reason = " ".join(reason.split())
    if not approve and not reason:
        raise ValidationFailed({"reason": N_("Say why, so the candidate can put it right.")})
    conn = current_connection()
    holdings_written()
    await conn.execute("update core_credential set state = $2, reason = $3, reviewed_by = $4, reviewed_at = now() where id = $1",
                       credential_id, "approved" if approve else "rejected", reason, by)
    if approve and document.renews_id is not None:
        await conn.execute("update core_credential set state = 'superseded' where id = $1 and state = 'approved'", document.renews_id)
    if document.staff_id is not None:
        await _tell_worker(document, RENEWAL_APPROVED if approve else RENEWAL_REJECTED, reason)
    return await get_document(credential_id)


async def revoke(credential_id: int, *, reason: str, by: int) -> tuple[Document, int]:
    """The office withdraws a worker's approved credential: the worker leaves the work that needs
    it at once; each of their assigned future orders that needs it is flagged for the office.
    Returns the credential and how many orders were flagged."""
    document = await _lock(credential_id)
    if document.staff_id is None or document.state != "approved":
        raise Conflict(N_("Only an approved credential of a worker can be revoked."))
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed({"reason": N_("Say why the credential is revoked.")})
    holdings_written()
    await current_connection().execute(
        "update core_credential set state = 'revoked', reason = $2, reviewed_by = $3, reviewed_at = now() where id = $1",
        credential_id, reason, by)
    await _tell_worker(document, REVOKED, reason)
    flagged = 0
    for order in await worker_upcoming_orders(document.staff_id, clock.now()):
        work = await needs(category=order.category_code, item_id=order.item_id, customer_id=order.customer_id, order_id=order.id)
        if document.kind not in work.credentials:
            continue
        day = order.scheduled_start.astimezone(ZoneInfo(current_tenant().timezone)).date()
        # Another approved credential of the same kind (a renewal) still covers the visit.
        still = await held_on([document.staff_id], day, frozenset({document.kind}), frozenset())
        if document.kind not in still[document.staff_id][0] and await flag_for_office(order.id):
            flagged += 1
    return await get_document(credential_id), flagged
