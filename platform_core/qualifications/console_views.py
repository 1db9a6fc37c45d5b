"""The console's qualification pages (`staff.manage`): the applications queue and one
application's review (each document with its photo, the background check and interview note, ask
for more, approve or reject), the franchise's requirement rules and credential kinds, and
workers' credentials (renewals to review, those expiring, revoking; the worker page's panel)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from platform_core import clock
from platform_core.accounts.console_services import list_console_users
from platform_core.accounts.guards import require_console
from platform_core.accounts.services import staff_names
from platform_core.catalog.services import category_refs, item_refs
from platform_core.errors import HearthError, ValidationFailed
from platform_core.staff.services import get_worker
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    as_struct,
    done_notice,
    error_context,
    form_data,
    redirect_after_post,
)
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import applications, credentials, eligibility, rules
from .kinds import add_kind, all_kinds
from .schemas import Decision, KindCreate, MoreRequest, ReviewNotes, RuleCreate

BASE = "/console/staff"
MANAGE = [require_console("staff.manage")]
APPLICATION_STATES = {"submitted": N_("Waiting for review"), "more_needed": N_("More documents asked"), "approved": N_("Approved"),
                      "rejected": N_("Rejected")}
APPLICATION_TONES = {"submitted": "warning", "more_needed": "info", "approved": "success", "rejected": "danger"}
DOCUMENT_STATES = {"pending": N_("To review"), "approved": N_("Approved"), "rejected": N_("Rejected"), "revoked": N_("Revoked"),
                   "superseded": N_("Renewed")}
DOCUMENT_TONES = {"pending": "warning", "approved": "success", "rejected": "danger", "revoked": "danger", "superseded": None}
BACKGROUND = {"not_started": N_("Not started"), "clear": N_("Clear"), "concern": N_("Concern")}
EVENTS = {"submitted": N_("Application submitted"), "more_sent": N_("Candidate added documents"),
          "document_approved": N_("Document approved"), "document_rejected": N_("Document rejected"),
          "background_not_started": N_("Background check reset"), "background_clear": N_("Background check clear"),
          "background_concern": N_("Background check: concern"), "interview_note": N_("Interview note"),
          "more_requested": N_("More documents asked"), "approved": N_("Application approved"), "rejected": N_("Application rejected")}
NOTICES = {
    "notes": N_("The review notes are saved."),
    "document": N_("The document is decided."),
    "more": N_("The candidate is asked for more documents."),
    "approved": N_("Approved: the worker's account is made and they are told how to sign in."),
    "rejected": N_("The application is rejected; the candidate is told why."),
    "rule": N_("The requirement is saved."),
    "rule_deleted": N_("The requirement is removed."),
    "kind": N_("The credential kind is added."),
    "renewal": N_("The renewal is decided."),
    "revoked": N_("The credential is revoked."),
}


def _user(request: Request) -> int:
    return request.scope["state"]["console_user"].id


async def _labels() -> dict[str, Any]:
    return {"application_states": APPLICATION_STATES, "application_tones": APPLICATION_TONES, "document_states": DOCUMENT_STATES,
            "document_tones": DOCUMENT_TONES, "background_labels": BACKGROUND, "kinds": await all_kinds(),
            "today": clock.today(current_tenant().timezone)}


# --- applications ----------------------------------------------------------------------------------


@get(f"{BASE}/applications", guards=MANAGE, include_in_schema=False, name="console-applications")
async def queue(request: Request) -> Response:
    state = request.query_params.get("state") or None
    state = state if state in APPLICATION_STATES else None
    return page(request, "qualifications/console_applications.html", console=True, state=state,
                applications=await applications.list_applications(state), counts=await applications.state_counts(),
                category_titles={c.code: c.title for c in await category_refs()}, **await _labels())


async def _review_page(request: Request, application_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    application = await applications.get_application(application_id)
    people = {u.id: u.display_name or u.email for u in await list_console_users()}
    categories = {c.code: c.title for c in await category_refs()}
    extra.setdefault("errors", {})
    extra.setdefault("failed", "")
    return page(request, "qualifications/console_application.html", console=True, status_code=status_code, a=application,
                documents=await credentials.documents_of_application(application_id), events=await applications.events(application_id),
                people=people, category_titles=categories, event_labels=EVENTS, flash=done_notice(request, NOTICES),
                **await _labels(), **extra)


@get(f"{BASE}/applications/{{application_id:int}}", guards=MANAGE, include_in_schema=False, name="console-application")
async def review(request: Request, application_id: PathId) -> Response:
    return await _review_page(request, application_id)


async def _act(request: Request, application_id: int, failed: str, action, done: str) -> Response:
    values = await form_data(request)
    try:
        await action(values)
    except HearthError as exc:
        return await _review_page(request, application_id, status_code=exc.status_code, values=values, failed=failed, **error_context(exc))
    return redirect_after_post(request, f"{BASE}/applications/{application_id}?done={done}")


@post(f"{BASE}/applications/{{application_id:int}}/documents/{{credential_id:int}}/{{verdict:str}}", guards=MANAGE,
      include_in_schema=False, name="console-application-document")
async def decide_document(request: Request, application_id: PathId, credential_id: PathId, verdict: FromPath[str]) -> Response:
    async def action(values: dict[str, str]) -> None:
        if verdict not in ("approve", "reject"):
            raise ValidationFailed({"form": N_("This value is not valid.")})
        await applications.review_document(application_id, credential_id, approve=verdict == "approve",
                                           reason=as_struct(values, Decision).reason, by=_user(request))
    return await _act(request, application_id, f"doc{credential_id}", action, "document")


@post(f"{BASE}/applications/{{application_id:int}}/notes", guards=MANAGE, include_in_schema=False, name="console-application-notes")
async def notes(request: Request, application_id: PathId) -> Response:
    async def action(values: dict[str, str]) -> None:
        await applications.save_notes(application_id, as_struct(values, ReviewNotes), by=_user(request))
    return await _act(request, application_id, "notes", action, "notes")


@post(f"{BASE}/applications/{{application_id:int}}/more", guards=MANAGE, include_in_schema=False, name="console-application-more")
async def ask_more(request: Request, application_id: PathId) -> Response:
    async def action(values: dict[str, str]) -> None:
        await applications.ask_for_more(application_id, as_struct(values, MoreRequest).what, by=_user(request))
    return await _act(request, application_id, "more", action, "more")


@post(f"{BASE}/applications/{{application_id:int}}/approve", guards=MANAGE, include_in_schema=False, name="console-application-approve")
async def approve(request: Request, application_id: PathId) -> Response:
    async def action(values: dict[str, str]) -> None:
        await applications.approve(application_id, by=_user(request), sign_in_url=str(request.base_url).rstrip("/") + "/staff/sign-in")
    return await _act(request, application_id, "approve", action, "approved")


@post(f"{BASE}/applications/{{application_id:int}}/reject", guards=MANAGE, include_in_schema=False, name="console-application-reject")
async def reject(request: Request, application_id: PathId) -> Response:
    async def action(values: dict[str, str]) -> None:
        await applications.reject(application_id, as_struct(values, Decision).reason, by=_user(request))
    return await _act(request, application_id, "reject", action, "rejected")


@get(f"{BASE}/documents/{{credential_id:int}}/photo", guards=MANAGE, include_in_schema=False, name="console-document-photo")
async def photo(request: Request, credential_id: PathId) -> Response:
    data, content_type = await credentials.open_photo(credential_id)
    # Never kept by a browser or proxy: the permission is checked on every view.
    return Response(content=data, media_type=content_type, headers={"Cache-Control": "no-store, private"})


# --- requirements and kinds ------------------------------------------------------------------------


async def _requirements_page(request: Request, *, status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("errors", {})
    extra.setdefault("failed", "")
    items = await item_refs()
    return page(request, "qualifications/console_requirements.html", console=True, status_code=status_code,
                rules=await eligibility.rules(), categories=await category_refs(), items=items, item_titles={i.id: i.title for i in items},
                flash=done_notice(request, NOTICES), **await _labels(), **extra)


@get(f"{BASE}/requirements", guards=MANAGE, include_in_schema=False, name="console-requirements")
async def requirements_page(request: Request) -> Response:
    return await _requirements_page(request)


@post(f"{BASE}/requirements", guards=MANAGE, include_in_schema=False, name="console-requirements-add")
async def add_requirement(request: Request) -> Response:
    values = await form_data(request)
    try:
        data = as_struct({k: v for k, v in values.items() if v != "" or k != "item_id"}, RuleCreate)
        await rules.add_rule(data, by=_user(request), categories={c.code for c in await category_refs()})
    except HearthError as exc:
        return await _requirements_page(request, status_code=exc.status_code, values=values, failed="rule", **error_context(exc))
    return redirect_after_post(request, f"{BASE}/requirements?done=rule")


@post(f"{BASE}/requirements/{{rule_id:int}}/delete", guards=MANAGE, include_in_schema=False, name="console-requirements-delete")
async def delete_requirement(request: Request, rule_id: PathId) -> Response:
    await rules.delete_rule(rule_id)
    return redirect_after_post(request, f"{BASE}/requirements?done=rule_deleted")


@post(f"{BASE}/kinds", guards=MANAGE, include_in_schema=False, name="console-credential-kinds-add")
async def add_credential_kind(request: Request) -> Response:
    values = await form_data(request)
    try:
        await add_kind(as_struct({**values, "expires": values.get("expires") == "1"}, KindCreate))
    except HearthError as exc:
        return await _requirements_page(request, status_code=exc.status_code, values=values, failed="kind", **error_context(exc))
    return redirect_after_post(request, f"{BASE}/requirements?done=kind")


# --- workers' credentials --------------------------------------------------------------------------


async def _credentials_page(request: Request, *, status_code: int = 200, **extra: Any) -> Response:
    renewals = await credentials.pending_renewals()
    soon = await credentials.expiring(clock.today(current_tenant().timezone) + timedelta(days=30))
    extra.setdefault("errors", {})
    extra.setdefault("failed", "")
    return page(request, "qualifications/console_credentials.html", console=True, status_code=status_code, renewals=renewals,
                expiring=soon, names=await staff_names([d.staff_id for d in renewals + soon]), flash=done_notice(request, NOTICES),
                **await _labels(), **extra)


@get(f"{BASE}/credentials", guards=MANAGE, include_in_schema=False, name="console-credentials")
async def credentials_page(request: Request) -> Response:
    return await _credentials_page(request)


@post(f"{BASE}/credentials/{{credential_id:int}}/{{verdict:str}}", guards=MANAGE, include_in_schema=False,
      name="console-credential-decide")
async def decide_credential(request: Request, credential_id: PathId, verdict: FromPath[str]) -> Response:
    values = await form_data(request)
    back = values.get("back") if values.get("back", "").startswith("/console/workers/") else f"{BASE}/credentials"
    try:
        reason = as_struct(values, Decision).reason
        document = await credentials.get_document(credential_id)
        if document.staff_id is None:
            raise ValidationFailed({"form": N_("This document belongs to an application: review it there.")})
        if verdict == "revoke":
            await credentials.revoke(credential_id, reason=reason, by=_user(request))
            done = "revoked"
        elif verdict in ("approve", "reject"):
            await credentials.review_document(credential_id, approve=verdict == "approve", reason=reason, by=_user(request))
            done = "renewal"
        else:
            raise ValidationFailed({"form": N_("This value is not valid.")})
    except HearthError as exc:
        return await _credentials_page(request, status_code=exc.status_code, values=values, failed=f"c{credential_id}", **error_context(exc))
    return redirect_after_post(request, f"{back}?done={done}#credentials" if back != f"{BASE}/credentials" else f"{back}?done={done}")


@get("/console/workers/{staff_id:int}/credentials", guards=MANAGE, include_in_schema=False, name="console-worker-credentials")
async def worker_credentials(request: Request, staff_id: PathId) -> Response:
    """The worker page's Credentials panel (loaded into it by htmx): state, expiry, days left,
    revoke, and the course passes."""
    worker = await get_worker(staff_id)
    return page(request, "qualifications/_worker_credentials.html", worker=worker, documents=await credentials.credentials_of_worker(staff_id),
                passes=await eligibility.course_passes(staff_id), **await _labels())


CONSOLE_HANDLERS = [queue, review, decide_document, notes, ask_more, approve, reject, photo, requirements_page, add_requirement,
                    delete_requirement, add_credential_kind, credentials_page, decide_credential, worker_credentials]
