"""The customer's real-name verification: the /account/verification page and its JSON twin
/api/v1/account/verification. Both take the name, the ID and its photos as one multipart form
(`full_name`, `id_type`, `id_number`, `nationality`; files `front`, `back`, optional `selfie`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.response import Redirect

from platform_core.errors import HearthError
from platform_core.tenancy.context import current_tenant
from platform_core.web.csrf import CSRF_FIELD
from platform_core.web.forms import as_struct, done_notice, error_page
from platform_core.web.i18n import get_locale, lazy_gettext
from platform_core.web.pages import page

from . import realname, services
from .guards import BEARER_SECURITY, require_customer
from .idnumbers import ID_TYPE_LABELS, nationalities
from .realname_schemas import SIDES, RealnameCreate, Verification
from .sessions import Principal

PAGE = "accounts/verification.html"
NOTICES = {"submitted": lazy_gettext("Thank you. We will review your ID within one working day.")}


async def _read_form(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """The posted text fields and the chosen photos (at most one byte past the limit is read:
    enough to refuse an oversize one)."""
    form = await request.form()
    values: dict[str, str] = {}
    photos: dict[str, bytes] = {}
    for key, value in form.items():
        if isinstance(value, UploadFile):
            if key in SIDES and value.filename:
                photos[key] = await value.read(realname.MAX_PHOTO_BYTES + 1)
        elif key != CSRF_FIELD:
            values[key] = str(value).strip()
    return values, photos


async def _submit(request: Request, principal: Principal) -> Verification:
    customer = await services.active_customer(principal)
    values, photos = await _read_form(request)
    fields = {name: values.get(name, "") for name in ("full_name", "id_type", "id_number", "nationality")}
    return await realname.submit(current_tenant(), customer.id, as_struct(fields, RealnameCreate), photos)


def _context(verification: Verification, values: dict[str, Any]) -> dict[str, Any]:
    return {"verification": verification, "values": values, "type_labels": ID_TYPE_LABELS,
            "countries": nationalities(get_locale()), "max_mb": realname.MAX_PHOTO_BYTES // (1024 * 1024)}


@get(realname.HOME, guards=[require_customer], include_in_schema=False, name="account-verification")
async def verification_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await services.active_customer(principal)
    verification = await realname.my_verification(current_tenant(), customer.id)
    return page(request, PAGE, errors={}, flash=done_notice(request, NOTICES), **_context(verification, {}))


@post(realname.HOME, guards=[require_customer], include_in_schema=False, name="account-verification-submit")
async def verification_submit(request: Request, principal: NamedDependency[Principal]) -> Response:
    try:
        await _submit(request, principal)
    except HearthError as exc:
        customer = await services.active_customer(principal)
        verification = await realname.my_verification(current_tenant(), customer.id)
        form = await request.form()
        # The customer's own entries come back to be corrected; the browser can't refill the files.
        values = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile) and k != CSRF_FIELD}
        return error_page(request, PAGE, exc, **_context(verification, values))
    return Redirect(f"{realname.HOME}?done=submitted", status_code=303)


class VerificationController(Controller):
    path = "/api/v1/account/verification"
    tags = ["Account"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @get("", operation_id="getVerification", summary="The customer's real-name verification")
    async def get_verification(self, principal: NamedDependency[Principal]) -> Verification:
        """`state`: none, pending, approved, rejected (with `reason`) or revoked (with `reason`);
        `id_types` are those the franchise takes. The number is only ever shown masked."""
        customer = await services.active_customer(principal)
        return await realname.my_verification(current_tenant(), customer.id)

    @post("", operation_id="submitVerification", status_code=201, summary="Submit a name, an ID and its photos")
    async def submit_verification(self, request: Request, principal: NamedDependency[Principal]) -> Verification:
        """multipart/form-data: `full_name`, `id_type`, `id_number`, `nationality` (passports);
        files `front`, `back` and optionally `selfie`, JPEG, PNG or WebP up to 3 MB each. 400 with
        the field on a bad value or photo, 409 while a submission is pending or approved, 429
        past 5 submissions a day."""
        return await _submit(request, principal)


HANDLERS = [verification_page, verification_submit, VerificationController]
