"""Customer pages (/account/...) and the staff app (/staff/...): sign-in by phone code, the
profile, the address book, sessions. Pages work without JavaScript; htmx swaps the sign-in card
in place when it is there."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.errors import HearthError, NotFound, ValidationFailed
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import LoginProvider
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    client_address,
    done_notice,
    error_context,
    form_data,
    redirect_after_post,
    safe_next,
)
from platform_core.web.i18n import lazy_gettext
from platform_core.web.pages import page

from . import services
from .guards import require_customer, require_staff
from .schemas import (
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
LOGIN_STATE_TTL = 600

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


# --- the sign-in card, shared by customers and staff -------------------------------------------


class Flow(msgspec.Struct, frozen=True):
    """Where a sign-in card posts and which page it sits in."""

    kind: str  # "customer" or "staff"
    base: str  # "/account/sign-in" or "/staff/sign-in"
    page: str
    home: str


CUSTOMER_FLOW = Flow("customer", "/account/sign-in", "accounts/sign_in.html", ACCOUNT_HOME)
STAFF_FLOW = Flow("staff", "/staff/sign-in", "accounts/staff_sign_in.html", STAFF_HOME)


def _card(request: Request, flow: Flow, *, step: str, values: dict[str, str], status: int = 200, **context: Any) -> Response:
    template = "accounts/_sign_in_card.html" if request.headers.get("hx-request") else flow.page
    return page(request, template, status_code=status, flow=flow, step=step, values=values, errors={}, **context)


def _card_error(request: Request, flow: Flow, exc: HearthError, *, step: str, values: dict[str, str]) -> Response:
    if "phone" in exc.fields:
        step = "phone"
    template = "accounts/_sign_in_card.html" if request.headers.get("hx-request") else flow.page
    return _error(request, template, exc, flow=flow, step=step, values=values, providers=_providers(request))


def _login_providers(tenant: TenantContext) -> dict[str, LoginProvider]:
    return {p.name: p for _, p in collect_now(current_runtime().hooks(tenant).provide_login_providers)}


def _providers(request: Request) -> list[LoginProvider]:
    if not request.url.path.startswith(CUSTOMER_FLOW.base):
        return []
    return list(_login_providers(current_tenant()).values())


@get(CUSTOMER_FLOW.base, include_in_schema=False, name="customer-sign-in")
async def sign_in_page(request: Request, principal: NamedDependency[Principal | None]) -> Response:
    nxt = safe_next(request.query_params.get("next"), ACCOUNT_HOME)
    if principal is not None and principal.kind == "customer":
        return Redirect(nxt, status_code=303)
    values = {"next": nxt, "invite": request.query_params.get("invite", "")[:64]}
    return _card(request, CUSTOMER_FLOW, step="phone", values=values, providers=_providers(request))


@post(f"{CUSTOMER_FLOW.base}/code", include_in_schema=False, name="customer-sign-in-code")
async def sign_in_code(request: Request) -> Response:
    values = await form_data(request)
    try:
        sent = await services.send_customer_code(current_tenant(), phone=values.get("phone", ""), client=client_address(request))
    except HearthError as exc:
        return _card_error(request, CUSTOMER_FLOW, exc, step="phone", values=values)
    return _card(request, CUSTOMER_FLOW, step="code", values=values, sent=sent)


@post(f"{CUSTOMER_FLOW.base}/verify", include_in_schema=False, name="customer-sign-in-verify")
async def sign_in_verify(request: Request) -> Response:
    values = await form_data(request)
    tenant = current_tenant()
    try:
        customer = await services.sign_in_customer(
            tenant, phone=values.get("phone", ""), code=values.get("code", ""), client=client_address(request),
            attribution={"invite": values.get("invite", "")[:64]})
    except HearthError as exc:
        values.pop("code", None)
        return _card_error(request, CUSTOMER_FLOW, exc, step="code", values=values)
    return await _start_session(request, "customer", customer.id, safe_next(values.get("next"), ACCOUNT_HOME))


async def _start_session(request: Request, kind: str, user_id: int, target: str) -> Response:
    # A fresh token on every sign-in: a session id planted before sign-in is worth nothing.
    old = await principal_for(request)
    if old is not None:
        await end_session(old)
    token = await create_session(kind=kind, user_id=user_id, tenant_id=current_tenant().id)  # type: ignore[arg-type]
    return set_session_cookie(redirect_after_post(request, target), token)


# --- sign in with a login provider (WeChat, QQ from plugins) -----------------------------------


def _callback_uri(request: Request, provider: str) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{CUSTOMER_FLOW.base}/{provider}/callback"


def _provider(name: str) -> LoginProvider:
    provider = _login_providers(current_tenant()).get(name)
    if provider is None:
        raise NotFound("page")
    return provider


@get(f"{CUSTOMER_FLOW.base}/{{provider:str}}", include_in_schema=False, name="customer-sign-in-provider")
async def provider_start(request: Request, provider: FromPath[str]) -> Response:
    tenant = current_tenant()
    chosen = _provider(provider)
    state = secrets.token_urlsafe(24)
    remembered = {
        "provider": chosen.name, "next": safe_next(request.query_params.get("next"), ACCOUNT_HOME),
        "invite": request.query_params.get("invite", "")[:64],
    }
    await current_runtime().kv.set(tenant.key("login-state", state), msgspec.json.encode(remembered), LOGIN_STATE_TTL)
    return Redirect(await chosen.authorize_url(tenant, state, _callback_uri(request, chosen.name)), status_code=303)


@get(f"{CUSTOMER_FLOW.base}/{{provider:str}}/callback", include_in_schema=False, name="customer-sign-in-provider-callback")
async def provider_callback(request: Request, provider: FromPath[str]) -> Response:
    tenant = current_tenant()
    chosen = _provider(provider)
    values = {"next": ACCOUNT_HOME, "invite": ""}
    key = tenant.key("login-state", request.query_params.get("state", "")[:64])
    raw = await current_runtime().kv.get(key)
    try:
        if raw is None:
            raise ValidationFailed({}, message="This sign-in link has expired. Please try again.")
        await current_runtime().kv.delete(key)  # single use
        remembered = msgspec.json.decode(raw, type=dict[str, str])
        if remembered.get("provider") != chosen.name:
            raise ValidationFailed({}, message="This sign-in link has expired. Please try again.")
        values = {"next": remembered["next"], "invite": remembered["invite"]}
        try:
            identity = await chosen.complete(tenant, dict(request.query_params), _callback_uri(request, chosen.name))
        except HearthError:
            raise
        except Exception:
            raise ValidationFailed({}, message="Signing in with that service did not work. Please try again.") from None
        customer = await services.sign_in_with_identity(tenant, identity, {"invite": values["invite"]})
    except HearthError as exc:
        return _card_error(request, CUSTOMER_FLOW, exc, step="phone", values=values)
    return await _start_session(request, "customer", customer.id, safe_next(values["next"], ACCOUNT_HOME))


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
        self, request: Request, principal: NamedDependency[Principal], address_id: PathId
    ) -> Response:
        customer = await services.active_customer(principal)
        address = await services.get_address(customer.id, address_id)
        values = msgspec.structs.asdict(address)
        values.update(contact_phone="", lat="" if address.lat is None else address.lat, lng="" if address.lng is None else address.lng)
        return page(request, "accounts/address_form.html", address=address, values=values, errors={})

    @post("/addresses/{address_id:int}", name="address-update")
    async def update_address(
        self, request: Request, principal: NamedDependency[Principal], address_id: PathId
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
        self, principal: NamedDependency[Principal], address_id: PathId
    ) -> Response:
        customer = await services.active_customer(principal)
        await services.delete_address(customer.id, address_id)
        return Redirect(f"{ACCOUNT_HOME}/addresses?done=address-deleted", status_code=303)

    @post("/addresses/{address_id:int}/default", name="address-default")
    async def make_default(
        self, principal: NamedDependency[Principal], address_id: PathId
    ) -> Response:
        customer = await services.active_customer(principal)
        await services.set_default_address(current_tenant(), customer.id, address_id)
        return Redirect(f"{ACCOUNT_HOME}/addresses?done=default", status_code=303)

    @get("/security", name="account-security")
    async def security_page(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        return page(request, "accounts/security.html", customer=customer, flash=done_notice(request, NOTICES))

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


@get(STAFF_FLOW.base, include_in_schema=False, name="staff-sign-in")
async def staff_sign_in_page(request: Request, principal: NamedDependency[Principal | None]) -> Response:
    nxt = safe_next(request.query_params.get("next"), STAFF_HOME)
    if principal is not None and principal.kind == "staff":
        return Redirect(nxt, status_code=303)
    return _card(request, STAFF_FLOW, step="phone", values={"next": nxt})


@post(f"{STAFF_FLOW.base}/code", include_in_schema=False, name="staff-sign-in-code")
async def staff_sign_in_code(request: Request) -> Response:
    values = await form_data(request)
    try:
        sent = await services.send_staff_code(current_tenant(), phone=values.get("phone", ""), client=client_address(request))
    except HearthError as exc:
        return _card_error(request, STAFF_FLOW, exc, step="phone", values=values)
    return _card(request, STAFF_FLOW, step="code", values=values, sent=sent)


@post(f"{STAFF_FLOW.base}/verify", include_in_schema=False, name="staff-sign-in-verify")
async def staff_sign_in_verify(request: Request) -> Response:
    values = await form_data(request)
    try:
        staff = await services.sign_in_staff(
            current_tenant(), phone=values.get("phone", ""), code=values.get("code", ""), client=client_address(request)
        )
    except HearthError as exc:
        values.pop("code", None)
        return _card_error(request, STAFF_FLOW, exc, step="code", values=values)
    return await _start_session(request, "staff", staff.id, safe_next(values.get("next"), STAFF_HOME))


@get(STAFF_HOME, include_in_schema=False, guards=[require_staff], name="staff-home")
async def staff_home(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await services.active_staff(principal)
    return page(request, "accounts/staff_home.html", staff=staff)


@post("/staff/sign-out", include_in_schema=False, name="staff-sign-out")
async def staff_sign_out(request: Request) -> Response:
    principal = await principal_for(request)
    if principal is not None and principal.kind == "staff":
        await end_session(principal)
    return clear_session_cookie(Redirect(STAFF_FLOW.base, status_code=303))


CUSTOMER_HANDLERS = [sign_in_page, sign_in_code, sign_in_verify, provider_start, provider_callback, AccountController, sign_out]
STAFF_HANDLERS = [staff_sign_in_page, staff_sign_in_code, staff_sign_in_verify, staff_home, staff_sign_out]
