"""The worker's credentials in the staff app: each with its state, expiry and days left, and a
renewal (or a new certificate) uploaded for the office to review. A worker sees only their own."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency

from platform_core import clock
from platform_core.accounts.guards import require_staff
from platform_core.accounts.ratelimit import Limit, enforce
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import (
    as_struct,
    done_notice,
    error_context,
    form_values,
    redirect_after_post,
)
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import credentials
from .console_views import DOCUMENT_STATES, DOCUMENT_TONES
from .join_views import _date
from .kinds import all_kinds
from .schemas import DocumentCreate

PATH = "/staff/credentials"
UPLOAD_LIMITS = (Limit("credential-upload-1d", 20, 86400),)
NOTICES = {"uploaded": N_("Uploaded. The office will review it; your current credential stays valid until it expires.")}


async def _page(request: Request, staff_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    kinds = await all_kinds()
    return page(request, "qualifications/staff_credentials.html", status_code=status_code,
                documents=await credentials.credentials_of_worker(staff_id), kinds=kinds,
                document_kinds=[k for k in kinds.values()], today=clock.today(current_tenant().timezone),
                document_states=DOCUMENT_STATES, document_tones=DOCUMENT_TONES, max_mb=credentials.MAX_PHOTO_BYTES // (1024 * 1024),
                flash=done_notice(request, NOTICES), **extra)


@get(PATH, guards=[require_staff], include_in_schema=False, name="staff-credentials")
async def my_credentials(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    return await _page(request, staff.id)


@post(PATH, guards=[require_staff], include_in_schema=False, name="staff-credentials-upload")
async def upload(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    form = await request.form()
    values = {k: str(v).strip() for k, v in form_values(form).items() if not isinstance(v, UploadFile)}
    try:
        await enforce(current_runtime().kv, current_tenant().key("credential-upload", staff.id), UPLOAD_LIMITS)
        errors: dict[str, str] = {}
        fields = {"kind": values.get("kind", ""), "number": values.get("number", ""), "issuer": values.get("issuer", ""),
                  "issued_on": _date(values.get("issued_on", ""), "issued_on", errors),
                  "expires_on": _date(values.get("expires_on", ""), "expires_on", errors)}
        if errors:
            raise ValidationFailed(errors)
        data = as_struct(fields, DocumentCreate)
        upload_file = form.get("photo")
        photo = await upload_file.read(credentials.MAX_PHOTO_BYTES + 1) if isinstance(upload_file, UploadFile) and upload_file.filename else b""
        await credentials.check_document(data, photo)
        # A renewal replaces the worker's current credential of the kind once the office approves it.
        current = next((d for d in await credentials.credentials_of_worker(staff.id) if d.kind == data.kind and d.state == "approved"), None)
        await credentials.add_document(data, photo, staff_id=staff.id, renews_id=current.id if current else None)
    except HearthError as exc:
        return await _page(request, staff.id, status_code=exc.status_code, values=values, **error_context(exc))
    return redirect_after_post(request, f"{PATH}?done=uploaded")


STAFF_HANDLERS = [my_credentials, upload]
