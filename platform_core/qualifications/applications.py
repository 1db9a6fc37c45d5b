"""Candidates' applications: submitted on /join with their ID and certificates, reviewed in the
console (each document, a background check, an interview note, "ask for more"), then approved
(the worker's account and profile are made from it, its approved documents become their
credentials, and they are told how to sign in) or rejected with a reason the candidate sees.

Deciding takes the application's row first: of two office users deciding at once the second
waits, then finds it decided and gets a 409. Every decision is kept with who and when."""

from __future__ import annotations

from typing import Iterable

import asyncpg
import msgspec

from platform_core.accounts.phones import encrypt_phone, masked, phone_index
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification, send_message
from platform_core.pluginsys.contexts import OutboundMessage
from platform_core.runtime import current_runtime
from platform_core.staff.schemas import WorkerCreate, WorkerUpdate
from platform_core.staff.services import clean_tags, create_worker, update_worker
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from . import credentials
from .eligibility import holdings_written
from .schemas import (
    Application,
    ApplicationCreate,
    ApplicationEvent,
    DocumentCreate,
    ReviewNotes,
)

NUMBER_CONTEXT = "application.id_number"
OPEN = ("submitted", "more_needed")
COLUMNS = ("id, name, phone_masked, gender, birth_year, skills, categories, years_experience, districts, home_lat::float8 as home_lat, "
           "home_lng::float8 as home_lng, service_radius_km, bio, id_number_masked, state, more_request, background_check, "
           "background_note, interview_note, decision_reason, decided_by, decided_at, staff_id, submitted_at, updated_at")
ALREADY_OPEN = N_("You have an application under review already: sign in with your phone to see it.")
DECIDED = N_("This application was decided already: reload the page to see the decision.")
Upload = tuple[DocumentCreate, bytes]


def _say(text: str, **params: str) -> str:
    """A message in the franchise's language (the one its SMS and inbox entries are written in)."""
    return translate_to(current_tenant().locale, text) % params


def _application(row) -> Application:
    return msgspec.convert(dict(row), Application)


async def _log(application_id: int, action: str, *, actor_id: int | None = None, note: str = "", credential_id: int | None = None) -> None:
    await current_connection().execute(
        "insert into core_staff_application_event (tenant_id, application_id, credential_id, action, note, actor_id) "
        "values ($1, $2, $3, $4, $5, $6)", current_tenant().id, application_id, credential_id, action, note[:2000], actor_id)


async def _check_uploads(uploads: Iterable[Upload]) -> None:
    errors: dict[str, str] = {}
    for index, (data, photo) in enumerate(uploads):
        try:
            await credentials.check_document(data, photo, prefix=f"doc{index}_")
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)


async def submit_application(e164: str, data: ApplicationCreate, id_photo: bytes | None, uploads: list[Upload]) -> Application:
    """A new application of the phone's owner with their ID (a document of kind ``id_card``) and
    certificates, all checked before anything is written; one open application per phone."""
    tenant, keyring = current_tenant(), current_runtime().keyring
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = N_("This field is required.")
    number = "".join(data.id_number.split()).upper()
    if len(number) < 6:
        errors["id_number"] = N_("Enter the number on your ID card.")
    if (data.home_lat is None) != (data.home_lng is None):
        errors["home_lat"] = N_("Give both latitude and longitude, or neither.")
    try:
        skills = clean_tags(list(data.skills), "skills")
    except ValidationFailed as exc:
        errors.update(exc.fields)
        skills = []
    if not data.categories:
        errors["categories"] = N_("Choose at least one kind of work.")
    id_doc = DocumentCreate(kind="id_card", number=number[:40])
    try:
        await credentials.check_document(id_doc, id_photo, prefix="id_")
    except ValidationFailed as exc:
        errors.update({k: v for k, v in exc.fields.items() if k == "id_photo"})
    try:
        await _check_uploads(uploads)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    try:
        async with current_connection().transaction():
            application_id = await current_connection().fetchval(
                "insert into core_staff_application (tenant_id, phone_cipher, phone_index, phone_masked, name, gender, birth_year, skills, "
                "categories, years_experience, districts, home_lat, home_lng, service_radius_km, bio, id_number_cipher, id_number_masked) "
                "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) returning id",
                tenant.id, encrypt_phone(keyring, e164), phone_index(keyring, e164), masked(e164), name, data.gender, data.birth_year,
                skills, list(dict.fromkeys(data.categories)), data.years_experience,
                [d.strip() for d in data.districts if d.strip()], data.home_lat, data.home_lng, data.service_radius_km, data.bio.strip(),
                keyring.encrypt(number, context=NUMBER_CONTEXT), credentials.mask(number))
    except asyncpg.UniqueViolationError:
        raise Conflict(ALREADY_OPEN) from None
    await credentials.add_document(id_doc, id_photo or b"", application_id=application_id)
    for doc, photo in uploads:
        await credentials.add_document(doc, photo, application_id=application_id)
    await _log(application_id, "submitted")
    return await get_application(application_id)


async def add_more(application_id: int, uploads: list[Upload], note: str = "") -> Application:
    """The candidate answers "ask for more": new documents, and the application is reviewed again."""
    application = await _locked(application_id)
    if application.state != "more_needed":
        raise Conflict(N_("The office has not asked for more documents."))
    if not uploads:
        raise ValidationFailed({"doc0_kind": N_("Add at least one document.")})
    await _check_uploads(uploads)
    for doc, photo in uploads:
        await credentials.add_document(doc, photo, application_id=application_id)
    await current_connection().execute(
        "update core_staff_application set state = 'submitted', updated_at = now() where id = $1", application_id)
    await _log(application_id, "more_sent", note=note)
    return await get_application(application_id)


async def latest_for_phone(e164: str) -> Application | None:
    row = await current_connection().fetchrow(
        f"select {COLUMNS} from core_staff_application where phone_index = $1 order by submitted_at desc, id desc limit 1",
        phone_index(current_runtime().keyring, e164))
    return _application(row) if row else None


async def list_applications(state: str | None = None, *, limit: int = 200) -> list[Application]:
    """The queue: open ones oldest first (as they wait), then decided ones newest first."""
    rows = await current_connection().fetch(
        f"select {COLUMNS} from core_staff_application where ($1::text is null or state = $1) "
        "order by state not in ('submitted', 'more_needed'), case when state in ('submitted', 'more_needed') then submitted_at end, "
        "submitted_at desc limit $2", state, limit)
    return [_application(r) for r in rows]


async def state_counts() -> dict[str, int]:
    rows = await current_connection().fetch("select state, count(*) as n from core_staff_application group by state")
    return {r["state"]: r["n"] for r in rows}


async def get_application(application_id: int) -> Application:
    row = await current_connection().fetchrow(f"select {COLUMNS} from core_staff_application where id = $1", application_id)
    if row is None:
        raise NotFound("application")
    return _application(row)


async def events(application_id: int) -> list[ApplicationEvent]:
    rows = await current_connection().fetch(
        "select action, note, actor_id, credential_id, at from core_staff_application_event where application_id = $1 order by at, id",
        application_id)
    return [ApplicationEvent(**dict(r)) for r in rows]


async def reveal_id_number(application_id: int) -> str:
    cipher = await current_connection().fetchval("select id_number_cipher from core_staff_application where id = $1", application_id)
    if cipher is None:
        raise NotFound("application")
    return current_runtime().keyring.decrypt(cipher, context=NUMBER_CONTEXT)


async def _locked(application_id: int) -> Application:
    row = await current_connection().fetchrow(f"select {COLUMNS} from core_staff_application where id = $1 for update", application_id)
    if row is None:
        raise NotFound("application")
    return _application(row)


async def _open(application_id: int) -> Application:
    application = await _locked(application_id)
    if application.state not in OPEN:
        raise Conflict(DECIDED)
    return application


async def review_document(application_id: int, credential_id: int, *, approve: bool, reason: str, by: int) -> None:
    """One document of an open application approved or rejected (the application's row first,
    then the document's: the lock order of every decision here)."""
    await _open(application_id)
    document = await credentials.get_document(credential_id)
    if document.application_id != application_id:
        raise NotFound("credential")
    decided = await credentials.review_document(credential_id, approve=approve, reason=reason, by=by)
    await _log(application_id, "document_approved" if approve else "document_rejected", actor_id=by, note=decided.reason,
               credential_id=credential_id)


async def save_notes(application_id: int, notes: ReviewNotes, *, by: int) -> Application:
    before = await _open(application_id)
    await current_connection().execute(
        "update core_staff_application set background_check = $2, background_note = $3, interview_note = $4, updated_at = now() "
        "where id = $1", application_id, notes.background_check, notes.background_note.strip(), notes.interview_note.strip())
    if before.background_check != notes.background_check or before.background_note != notes.background_note.strip():
        await _log(application_id, "background_" + notes.background_check, actor_id=by, note=notes.background_note.strip())
    if before.interview_note != notes.interview_note.strip():
        await _log(application_id, "interview_note", actor_id=by, note=notes.interview_note.strip())
    return await get_application(application_id)


async def _tell_candidate(application_id: int, text: str, **params: str) -> None:
    """An SMS to the candidate, in the franchise's language (through the outbox)."""
    tenant = current_tenant()
    cipher = await current_connection().fetchval("select phone_cipher from core_staff_application where id = $1", application_id)
    from platform_core.accounts.phones import decrypt_phone

    body = _say(text, name=tenant.display_name, **params)
    await send_message(OutboundMessage(tenant=tenant, channel="sms", to=decrypt_phone(current_runtime().keyring, cipher), body=body,
                                       purpose="staff_application"))


MORE_SMS = N_("%(name)s: to go on with your application, please add: %(what)s. Open the join page and sign in with your phone.")
REJECTED_SMS = N_("%(name)s: thank you for applying. We can not take your application: %(reason)s")
APPROVED_SMS = N_("%(name)s: welcome! Your application is approved. Sign in to the staff app at %(url)s with this phone number.")


async def ask_for_more(application_id: int, what: str, *, by: int) -> Application:
    await _open(application_id)
    what = " ".join(what.split())
    if not what:
        raise ValidationFailed({"what": N_("Say what the candidate should add.")})
    await current_connection().execute(
        "update core_staff_application set state = 'more_needed', more_request = $2, updated_at = now() where id = $1", application_id, what)
    await _log(application_id, "more_requested", actor_id=by, note=what)
    await _tell_candidate(application_id, MORE_SMS, what=what)
    return await get_application(application_id)


async def reject(application_id: int, reason: str, *, by: int) -> Application:
    await _open(application_id)
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed({"reason": N_("Give the reason the candidate will see.")})
    await current_connection().execute(
        "update core_staff_application set state = 'rejected', decision_reason = $2, decided_by = $3, decided_at = now(), "
        "updated_at = now() where id = $1", application_id, reason, by)
    await _log(application_id, "rejected", actor_id=by, note=reason)
    await _tell_candidate(application_id, REJECTED_SMS, reason=reason)
    return await get_application(application_id)


async def approve(application_id: int, *, by: int, sign_in_url: str) -> Application:
    """The candidate becomes a worker: the account from the name and phone, the profile from the
    skills, experience, area and bio; the approved documents become the worker's credentials.
    Refused while a document waits for review or the background check is a concern."""
    application = await _open(application_id)
    documents = await credentials.documents_of_application(application_id)
    if any(d.state == "pending" for d in documents):
        raise ValidationFailed({"form": N_("Approve or reject every document first.")})
    if application.background_check == "concern":
        raise ValidationFailed({"background_check": N_("The background check raised a concern: reject, or clear the check first.")})
    keyring = current_runtime().keyring
    cipher = await current_connection().fetchval("select phone_cipher from core_staff_application where id = $1", application_id)
    from platform_core.accounts.phones import decrypt_phone

    worker = await create_worker(WorkerCreate(name=application.name, phone=decrypt_phone(keyring, cipher)))
    await update_worker(worker.id, WorkerUpdate(
        skills=application.skills, years_experience=application.years_experience, bio=application.bio,
        service_radius_km=application.service_radius_km, home_lat=application.home_lat, home_lng=application.home_lng))
    conn = current_connection()
    holdings_written()
    await conn.execute("update core_credential set staff_id = $2 where application_id = $1 and state = 'approved'", application_id, worker.id)
    await conn.execute(
        "update core_staff_application set state = 'approved', staff_id = $2, decided_by = $3, decided_at = now(), updated_at = now() "
        "where id = $1", application_id, worker.id, by)
    await _log(application_id, "approved", actor_id=by)
    await _tell_candidate(application_id, APPROVED_SMS, url=sign_in_url)
    tenant: TenantContext = current_tenant()
    await add_notification(NotificationCreate(
        recipient_kind="staff", recipient_id=worker.id, link="/staff/credentials",
        title=_say(N_("Welcome to %(name)s! Your credentials are on file."), name=tenant.display_name)[:200]))
    return await get_application(application_id)
