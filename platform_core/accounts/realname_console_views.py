"""The console's review of real-name verifications (the `kyc` permission): the queue, a
submission's page with its photos behind signed links and the log of who looked, and the
decisions (approve, reject with a reason, revoke with a reason)."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from platform_core.errors import HearthError, NotFound
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import as_struct, done_notice, error_context, form_data
from platform_core.web.i18n import lazy_gettext
from platform_core.web.pages import page

from . import realname, services
from .console_schemas import ConsoleUser
from .guards import require_console
from .idnumbers import ID_TYPE_LABELS
from .realname_schemas import ReviewDecision

KYC = [require_console("kyc")]
HOME = "/console/verifications"
STATES = ("pending", "approved", "rejected", "revoked")
STATE_LABELS = {
    "pending": lazy_gettext("Pending"),
    "approved": lazy_gettext("Approved"),
    "rejected": lazy_gettext("Rejected"),
    "revoked": lazy_gettext("Revoked"),
}
STATE_TONES = {"pending": "warning", "approved": "success", "rejected": "danger", "revoked": None}
ACTION_LABELS = {
    "front": lazy_gettext("Viewed the front photo"),
    "back": lazy_gettext("Viewed the back photo"),
    "selfie": lazy_gettext("Viewed the selfie"),
    "reveal": lazy_gettext("Revealed the full ID number"),
}
NOTICES = {
    "approved": lazy_gettext("Approved: the customer is verified and has been told."),
    "rejected": lazy_gettext("Rejected: the customer has been told the reason."),
    "revoked": lazy_gettext("The approval was revoked and the customer has been told."),
}


def _reviewer(request: Request) -> ConsoleUser:
    return request.scope["state"]["console_user"]


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "state_tones": STATE_TONES, "type_labels": ID_TYPE_LABELS}


@get(HOME, guards=KYC, include_in_schema=False, name="console-verifications")
async def queue(request: Request) -> Response:
    # `?state=`: read by hand, Litestar reserves `state` as a handler argument.
    wanted = request.query_params.get("state", "")
    chosen = wanted if wanted in STATES else None
    submissions = await realname.list_submissions(chosen)
    names = await services.customer_names({s.customer_id for s in submissions})
    return page(request, "console/verifications.html", console=True, submissions=submissions, names=names, state=chosen or "",
                states=STATES, pending=await realname.pending_count(), **_labels())


async def _review_page(request: Request, submission_id: int, *, status_code: int = 200, **context: Any) -> Response:
    tenant = current_tenant()
    submission = await realname.get_submission(submission_id)
    customer = await services.get_customer(submission.customer_id)
    links = {side: realname.photo_link(tenant, submission_id, side) for side in await realname.photo_sides(submission_id)}
    context.setdefault("errors", {})
    return page(request, "console/verification.html", console=True, status_code=status_code, submission=submission,
                customer=customer, links=links, log=await realname.access_log(submission_id),
                duplicates=await realname.same_id_elsewhere(submission_id), action_labels=ACTION_LABELS,
                flash=done_notice(request, NOTICES), **_labels(), **context)


@get(HOME + "/{submission_id:int}", guards=KYC, include_in_schema=False, name="console-verification")
async def review(request: Request, submission_id: PathId) -> Response:
    return await _review_page(request, submission_id)


@post(HOME + "/{submission_id:int}/reveal", guards=KYC, include_in_schema=False, name="console-verification-reveal")
async def reveal(request: Request, submission_id: PathId) -> Response:
    """The full number on the page, once, for this reviewer; the reveal is logged."""
    number = await realname.reveal_number(current_tenant(), submission_id, _reviewer(request))
    response = await _review_page(request, submission_id, revealed=number)
    response.headers["Cache-Control"] = "no-store"
    return response


@get(HOME + "/{submission_id:int}/photos/{side:str}", guards=KYC, include_in_schema=False, name="console-verification-photo")
async def photo(request: Request, submission_id: PathId, side: FromPath[str], expires: FromQuery[int] = 0, sig: FromQuery[str] = "") -> Response:
    if side not in ("front", "back", "selfie") or len(sig) > 64:
        raise NotFound("photo")
    data, content_type = await realname.open_photo(current_tenant(), submission_id, side, expires, sig, _reviewer(request))
    # Never kept by a browser or proxy: the link is the permission, and it expires.
    return Response(content=data, media_type=content_type, headers={
        "Cache-Control": "no-store, private", "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"})


async def _decide(request: Request, submission_id: int, action: Literal["approve", "reject", "revoke"]) -> Response:
    tenant, reviewer = current_tenant(), _reviewer(request)
    values = await form_data(request)
    try:
        if action == "approve":
            await realname.approve(tenant, submission_id, reviewer)
        else:
            reason = as_struct({"reason": values.get("reason", "")}, ReviewDecision).reason.strip()
            decide = realname.reject if action == "reject" else realname.revoke
            await decide(tenant, submission_id, reviewer, reason)
    except HearthError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _review_page(request, submission_id, status_code=exc.status_code, values=values, failed=action,
                                  **error_context(exc))
    done = {"approve": "approved", "reject": "rejected", "revoke": "revoked"}[action]
    return Redirect(f"{HOME}/{submission_id}?done={done}", status_code=303)


@post(HOME + "/{submission_id:int}/approve", guards=KYC, include_in_schema=False, name="console-verification-approve")
async def approve(request: Request, submission_id: PathId) -> Response:
    return await _decide(request, submission_id, "approve")


@post(HOME + "/{submission_id:int}/reject", guards=KYC, include_in_schema=False, name="console-verification-reject")
async def reject(request: Request, submission_id: PathId) -> Response:
    return await _decide(request, submission_id, "reject")


@post(HOME + "/{submission_id:int}/revoke", guards=KYC, include_in_schema=False, name="console-verification-revoke")
async def revoke(request: Request, submission_id: PathId) -> Response:
    return await _decide(request, submission_id, "revoke")


HANDLERS = [queue, review, reveal, photo, approve, reject, revoke]
