"""/join on the franchise's site: a candidate proves their phone with the platform's SMS code,
then applies (details, skills and kinds of work, area, ID and certificates with photos), and comes
back the same way to see the status and, when the office asks, add documents.

The phone, once proved, is kept for two hours in an encrypted, http-only cookie bound to the
franchise. Sending codes is limited per phone and address (accounts.otp); applying is limited per
address and per phone."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.response import Redirect

from platform_core.accounts import otp
from platform_core.accounts.phones import masked, normalize_phone
from platform_core.accounts.ratelimit import Limit, enforce
from platform_core.catalog.schemas import SKILLS
from platform_core.catalog.services import category_refs
from platform_core.errors import HearthError, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.csrf import CSRF_FIELD
from platform_core.web.forms import (
    as_struct,
    client_address,
    done_notice,
    error_context,
)
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import applications
from .credentials import MAX_PHOTO_BYTES
from .kinds import all_kinds
from .schemas import ApplicationCreate, DocumentCreate

PATH = "/join"
PURPOSE = "staff_join"
COOKIE = "hearth_join"
COOKIE_TTL = 2 * 3600
DOCUMENT_ROWS = 3
APPLY_LIMITS = (Limit("join-apply-1d", 5, 86400),)
NOTICES = {"submitted": N_("Thank you! Your application is with the office. We will text you when it is decided."),
           "more": N_("Thank you. The office will look at your documents again.")}
TEMPLATE = "qualifications/join.html"


def _proved_phone(request: Request) -> str | None:
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 1000:
        return None
    try:
        tenant_id, e164, expires = current_runtime().keyring.decrypt(token, context="join.session").split("|")
    except Exception:  # a forged, stale-key or foreign cookie is as good as none
        return None
    if int(tenant_id) != current_tenant().id or int(expires) < time.time():
        return None
    return e164


async def _context(e164: str | None) -> dict[str, Any]:
    kinds = await all_kinds()
    return {"phone": masked(e164) if e164 else "", "application": await applications.latest_for_phone(e164) if e164 else None,
            "categories": await category_refs(), "skills": SKILLS, "kinds": kinds,
            "document_kinds": [k for k in kinds.values() if k.code != "id_card"], "rows": range(DOCUMENT_ROWS),
            "max_mb": MAX_PHOTO_BYTES // (1024 * 1024), "application_states": APPLICATION_STATES}


APPLICATION_STATES = {"submitted": N_("Under review"), "more_needed": N_("More documents needed"), "approved": N_("Approved"),
                      "rejected": N_("Not accepted")}


async def _page(request: Request, *, status_code: int = 200, e164: str | None = None, **extra: Any) -> Response:
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    extra.setdefault("step", "phone")
    return page(request, TEMPLATE, status_code=status_code, flash=done_notice(request, NOTICES), **await _context(e164), **extra)


@get(PATH, include_in_schema=False, name="join")
async def join_page(request: Request) -> Response:
    e164 = _proved_phone(request)
    return await _page(request, e164=e164, step="apply" if e164 else "phone")


@post(f"{PATH}/code", include_in_schema=False, name="join-code")
async def send_code(request: Request) -> Response:
    form = await request.form()
    phone = str(form.get("phone", ""))[:40]
    try:
        e164 = normalize_phone(phone, current_tenant())
        await otp.issue_code(current_tenant(), purpose=PURPOSE, phone=e164, client=client_address(request))
    except HearthError as exc:
        return await _page(request, status_code=exc.status_code, values={"phone": phone}, **error_context(exc))
    return await _page(request, values={"phone": phone}, step="code")


@post(f"{PATH}/verify", include_in_schema=False, name="join-verify")
async def verify(request: Request) -> Response:
    form = await request.form()
    phone, code = str(form.get("phone", ""))[:40], str(form.get("code", ""))[:20]
    try:
        e164 = normalize_phone(phone, current_tenant())
        await otp.check_code(current_tenant(), purpose=PURPOSE, phone=e164, code=code, client=client_address(request))
    except HearthError as exc:
        return await _page(request, status_code=exc.status_code, values={"phone": phone}, step="code", **error_context(exc))
    token = current_runtime().keyring.encrypt(f"{current_tenant().id}|{e164}|{int(time.time()) + COOKIE_TTL}", context="join.session")
    response = Redirect(PATH, status_code=303)
    response.set_cookie(Cookie(key=COOKIE, value=token, max_age=COOKIE_TTL, httponly=True, secure=current_runtime().settings.cookie_secure,
                               samesite="lax", path=PATH))
    return response


def _date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = N_("Enter a date as YYYY-MM-DD.")
        return None


async def _documents(form: Any, values: dict[str, str]) -> list[tuple[DocumentCreate, bytes]]:
    """The certificate rows filled in (a row with neither a kind nor a photo is left out)."""
    found, errors = [], {}
    for i in range(DOCUMENT_ROWS):
        upload = form.get(f"doc{i}_photo")
        photo = await upload.read(MAX_PHOTO_BYTES + 1) if isinstance(upload, UploadFile) and upload.filename else b""
        if not values.get(f"doc{i}_kind") and not photo and not values.get(f"doc{i}_number"):
            continue
        fields = {"kind": values.get(f"doc{i}_kind", ""), "number": values.get(f"doc{i}_number", ""),
                  "issuer": values.get(f"doc{i}_issuer", ""),
                  "issued_on": _date(values.get(f"doc{i}_issued_on", ""), f"doc{i}_issued_on", errors),
                  "expires_on": _date(values.get(f"doc{i}_expires_on", ""), f"doc{i}_expires_on", errors)}
        try:
            found.append((as_struct(fields, DocumentCreate), photo))
        except ValidationFailed as exc:
            errors.update({f"doc{i}_{k}": v for k, v in exc.fields.items()})
    if errors:
        raise ValidationFailed(errors)
    return found


def _text_values(form: Any) -> dict[str, str]:
    return {k: str(v).strip() for k, v in form.items() if not isinstance(v, UploadFile) and k != CSRF_FIELD}


@post(PATH, include_in_schema=False, name="join-apply")
async def apply(request: Request) -> Response:
    e164 = _proved_phone(request)
    if e164 is None:
        return await _page(request, status_code=400, form_error=N_("Confirm your phone number first."))
    form = await request.form()
    values = _text_values(form)
    values["skills"] = ",".join(str(s) for s in form.getall("skills")) if "skills" in form else ""
    values["categories"] = ",".join(str(c) for c in form.getall("categories")) if "categories" in form else ""
    try:
        tenant = current_tenant()
        await enforce(current_runtime().kv, tenant.key("join", "addr", client_address(request)), APPLY_LIMITS)
        await enforce(current_runtime().kv, tenant.key("join", "phone", e164), APPLY_LIMITS)
        errors: dict[str, str] = {}
        fields: dict[str, Any] = {k: values.get(k, "") for k in ("name", "gender", "bio", "id_number")}
        fields["skills"] = [s for s in values["skills"].split(",") if s]
        fields["categories"] = [c for c in values["categories"].split(",") if c]
        fields["districts"] = [d.strip() for d in values.get("districts", "").replace("，", ",").split(",") if d.strip()]
        for name in ("birth_year", "years_experience", "service_radius_km"):
            if values.get(name):
                fields[name] = values[name]
        data = as_struct(fields, ApplicationCreate)
        known = {c.code for c in await category_refs()}
        if any(c not in known for c in data.categories):
            errors["categories"] = N_("Choose from the kinds of work offered.")
        id_upload = form.get("id_photo")
        id_photo = await id_upload.read(MAX_PHOTO_BYTES + 1) if isinstance(id_upload, UploadFile) and id_upload.filename else b""
        try:
            documents = await _documents(form, values)
        except ValidationFailed as exc:
            errors.update(exc.fields)
            documents = []
        if errors:
            raise ValidationFailed(errors)
        await applications.submit_application(e164, data, id_photo, documents)
    except HearthError as exc:
        return await _page(request, status_code=exc.status_code, e164=e164, values=values, step="apply", **error_context(exc))
    return Redirect(f"{PATH}?done=submitted", status_code=303)


@post(f"{PATH}/more", include_in_schema=False, name="join-more")
async def add_more(request: Request) -> Response:
    e164 = _proved_phone(request)
    if e164 is None:
        return await _page(request, status_code=400, form_error=N_("Confirm your phone number first."))
    form = await request.form()
    values = _text_values(form)
    try:
        application = await applications.latest_for_phone(e164)
        if application is None:
            raise ValidationFailed({"form": N_("You have no application yet.")})
        await applications.add_more(application.id, await _documents(form, values))
    except HearthError as exc:
        return await _page(request, status_code=exc.status_code, e164=e164, values=values, step="apply", **error_context(exc))
    return Redirect(f"{PATH}?done=more", status_code=303)


JOIN_HANDLERS = [join_page, send_code, verify, apply, add_more]
