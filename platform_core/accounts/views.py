"""Customer pages (/account/...): the profile, the address book, sessions; the staff app's home
and sign-out. Signing in is in sign_in_views.py."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import (
    done_notice,
    error_context,
    form_data,
)
from platform_core.web.i18n import lazy_gettext
from platform_core.web.pages import page

from . import legal, services
from .guards import SIGN_IN_PATHS, require_customer, require_staff
from .schemas import (
    LEGAL_TITLES,
    TIME_SLOTS,
    AddressCreate,
    AddressUpdate,
    CustomerUpdate,
    ServicePreferences,
)
from .sessions import (
    Principal,
    clear_session_cookie,
    create_session,
    end_all_sessions,
    end_session,
    principal_for,
    set_session_cookie,
)

ACCOUNT_HOME = "/account"
STAFF_HOME = "/staff/"

NOTICES = {
    "profile": lazy_gettext("Your profile has been saved."),
    "address-added": lazy_gettext("The address has been added."),
    "address-saved": lazy_gettext("The address has been saved."),
    "address-deleted": lazy_gettext("The address has been deleted."),
    "default": lazy_gettext("This is now your default address."),
    "everywhere": lazy_gettext("You have been signed out on all other devices."),
}


def _error(request: Request, template: str, exc: HearthError, **context: Any) -> Response:
    response = page(request, template, status_code=exc.status_code, **error_context(exc), **context)
    if getattr(exc, "retry_after", None) is not None:
        response.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
    return response


# --- the customer's account --------------------------------------------------------------------


def _address_fields(values: dict[str, str], *, editing: bool) -> dict[str, Any]:
    """Form strings → AddressCreate/Update fields; a blank phone on edit keeps the stored one."""
    fields: dict[str, Any] = {
        name: values.get(name, "") for name in ("label", "contact_name", "region", "city", "district", "street", "detail")
    }
    if values.get("contact_phone") or not editing:
        fields["contact_phone"] = values.get("contact_phone", "")
    errors: dict[str, str] = {}
    for name, message in (("lat", lazy_gettext("Latitude must be a number.")), ("lng", lazy_gettext("Longitude must be a number."))):
        text = values.get(name, "").replace(",", ".")
        try:
            fields[name] = float(text) if text else None
        except ValueError:
            errors[name] = message
    if errors:
        raise ValidationFailed(errors)
    fields["is_default"] = values.get("is_default") == "on"
    if editing and not fields["is_default"]:
        fields.pop("is_default")
    return fields


class AccountController(Controller):
    path = ACCOUNT_HOME
    guards = [require_customer]
    include_in_schema = False

    @get("", name="account")
    async def profile(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        values = {"display_name": customer.display_name, "email": customer.email, **_preference_values(customer.preferences)}
        return page(request, "accounts/profile.html", customer=customer, values=values, errors={}, time_slots=TIME_SLOTS,
                    flash=done_notice(request, NOTICES))

    @post("", name="account-save")
    async def save_profile(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        form = await request.form()
        values = await form_data(request)
        chosen = [slot for slot in form.getall("preferred_times", []) if slot in TIME_SLOTS]
        values["preferred_times"] = chosen  # type: ignore[assignment]
        try:
            prefs = ServicePreferences(
                preferred_times=chosen, pets=values.get("pets", ""), notes=values.get("notes", ""),  # type: ignore[arg-type]
                language=values.get("language", "") if values.get("language", "") in ("zh_CN", "en") else "",  # type: ignore[arg-type]
            )
            update = CustomerUpdate(display_name=values.get("display_name", ""), email=values.get("email", ""), preferences=prefs)
            await services.update_customer(customer.id, update)
        except HearthError as exc:
            return _error(request, "accounts/profile.html", exc, customer=customer, values=values, time_slots=TIME_SLOTS)
        return Redirect(f"{ACCOUNT_HOME}?done=profile", status_code=303)

    @get("/addresses", name="addresses")
    async def addresses(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        return page(request, "accounts/addresses.html", addresses=await services.list_addresses(customer.id), flash=done_notice(request, NOTICES))

    @get("/addresses/new", name="address-new")
    async def new_address(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        await services.active_customer(principal)
        return page(request, "accounts/address_form.html", address=None, values={}, errors={})

    @post("/addresses", name="address-create")
    async def create_address(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        values = await form_data(request)
        try:
            data = AddressCreate(**_address_fields(values, editing=False))
            await services.create_address(current_tenant(), customer.id, data)
        except HearthError as exc:
            return _error(request, "accounts/address_form.html", exc, address=None, values=values)
        return Redirect(f"{ACCOUNT_HOME}/addresses?done=address-added", status_code=303)

    @get("/addresses/{address_id:int}/edit", name="address-edit")
    async def edit_address(
        self, request: Request, principal: NamedDependency[Principal], address_id: FromPath[int]
    ) -> Response:
        customer = await services.active_customer(principal)
        address = await services.get_address(customer.id, address_id)
        values = msgspec.structs.asdict(address)
        values.update(contact_phone="", lat="" if address.lat is None else address.lat, lng="" if address.lng is None else address.lng)
        return page(request, "accounts/address_form.html", address=address, values=values, errors={})

    @post("/addresses/{address_id:int}", name="address-update")
    async def update_address(
        self, request: Request, principal: NamedDependency[Principal], address_id: FromPath[int]
    ) -> Response:
        customer = await services.active_customer(principal)
        address = await services.get_address(customer.id, address_id)
        values = await form_data(request)
        try:
            data = AddressUpdate(**_address_fields(values, editing=True))
            await services.update_address(current_tenant(), customer.id, address_id, data)
        except HearthError as exc:
            return _error(request, "accounts/address_form.html", exc, address=address, values=values)
        return Redirect(f"{ACCOUNT_HOME}/addresses?done=address-saved", status_code=303)

    @post("/addresses/{address_id:int}/delete", name="address-delete")
    async def delete_address(
        self, principal: NamedDependency[Principal], address_id: FromPath[int]
    ) -> Response:
        customer = await services.active_customer(principal)
        await services.delete_address(customer.id, address_id)
        return Redirect(f"{ACCOUNT_HOME}/addresses?done=address-deleted", status_code=303)

    @post("/addresses/{address_id:int}/default", name="address-default")
    async def make_default(
        self, principal: NamedDependency[Principal], address_id: FromPath[int]
    ) -> Response:
        customer = await services.active_customer(principal)
        await services.set_default_address(current_tenant(), customer.id, address_id)
        return Redirect(f"{ACCOUNT_HOME}/addresses?done=default", status_code=303)

    @get("/security", name="account-security")
    async def security_page(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        return page(request, "accounts/security.html", customer=customer, flash=done_notice(request, NOTICES),
                    agreements=await legal.accepted_versions(customer.id), legal_titles=LEGAL_TITLES,
                    tz=ZoneInfo(current_tenant().timezone))

    @post("/sign-out-everywhere", name="account-sign-out-everywhere")
    async def sign_out_everywhere(self, principal: NamedDependency[Principal]) -> Response:
        """Ends every session and app token of this customer, then starts a new one for this
        browser, so only this device stays signed in."""
        await end_all_sessions(kind="customer", tenant_id=principal.tenant_id, user_id=principal.user_id)
        token = await create_session(kind="customer", user_id=principal.user_id, tenant_id=principal.tenant_id)
        return set_session_cookie(Redirect(f"{ACCOUNT_HOME}/security?done=everywhere", status_code=303), token)


def _preference_values(prefs: ServicePreferences) -> dict[str, Any]:
    return {"preferred_times": list(prefs.preferred_times), "pets": prefs.pets, "notes": prefs.notes, "language": prefs.language}


@post(f"{ACCOUNT_HOME}/sign-out", include_in_schema=False, name="account-sign-out")
async def sign_out(request: Request) -> Response:
    principal = await principal_for(request)
    if principal is not None and principal.kind == "customer":
        await end_session(principal)
    return clear_session_cookie(Redirect("/", status_code=303))


# --- the staff app -----------------------------------------------------------------------------


@get(STAFF_HOME, include_in_schema=False, guards=[require_staff], name="staff-home")
async def staff_home(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await services.active_staff(principal)
    return page(request, "accounts/staff_home.html", staff=staff)


@post("/staff/sign-out", include_in_schema=False, name="staff-sign-out")
async def staff_sign_out(request: Request) -> Response:
    principal = await principal_for(request)
    if principal is not None and principal.kind == "staff":
        await end_session(principal)
    return clear_session_cookie(Redirect(SIGN_IN_PATHS["staff"], status_code=303))


CUSTOMER_HANDLERS = [AccountController, sign_out]
STAFF_HANDLERS = [staff_home, staff_sign_out]
