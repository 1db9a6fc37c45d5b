"""Signing in to the franchise site (/account/sign-in) and the staff app (/staff/sign-in) with a
phone code, and to the site through a login provider plugin. Pages work without JavaScript;
htmx swaps the sign-in card in place, refusals included (a 400 or 429 answers with the card and
the message next to what caused it; sign-in.js counts a wait down)."""

from __future__ import annotations

import secrets
from typing import Any, Awaitable, Callable

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.errors import HearthError, NotFound, RateLimited, ValidationFailed
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import LoginProvider
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.forms import (
    client_address,
    error_context,
    form_data,
    optional_int,
    redirect_after_post,
    safe_next,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.pages import page

from . import legal, services
from .phones import masked, normalize_phone
from .schemas import CodeSent, LegalVersions
from .sessions import (
    Principal,
    create_session,
    end_session,
    principal_for,
    set_session_cookie,
)
from .views import ACCOUNT_HOME, STAFF_HOME

LOGIN_STATE_TTL = 600


# --- the sign-in card, shared by customers and staff -------------------------------------------


class Flow(msgspec.Struct, frozen=True):
    """Where a sign-in card posts and which page it sits in."""

    kind: str  # "customer" or "staff"
    base: str  # "/account/sign-in" or "/staff/sign-in"
    page: str
    home: str


CUSTOMER_FLOW = Flow("customer", "/account/sign-in", "accounts/sign_in.html", ACCOUNT_HOME)
STAFF_FLOW = Flow("staff", "/staff/sign-in", "accounts/staff_sign_in.html", STAFF_HOME)


async def _card(request: Request, flow: Flow, *, step: str, values: dict[str, str], status: int = 200, **context: Any) -> Response:
    template = "accounts/_sign_in_card.html" if request.headers.get("hx-request") else flow.page
    context.setdefault("errors", {})
    versions = await legal.current_versions() if flow.kind == "customer" else None
    return page(request, template, status_code=status, flow=flow, step=step, values=values,
                legal=versions if versions and versions.any() else None, **context)


def _accepted(values: dict[str, str]) -> LegalVersions | None:
    """The documents a ticked consent box accepted: the versions the page showed, so a version
    published since is asked for again."""
    if not values.get("accept_terms"):
        return None
    return LegalVersions(terms=optional_int(values.get("terms_version")), privacy=optional_int(values.get("privacy_version")))


def _shown_phone(values: dict[str, str]) -> str:
    """The masked number the code went to, for the code step ("" if the form's is no number)."""
    try:
        return masked(normalize_phone(values.get("phone", ""), current_tenant()))
    except HearthError:
        return ""


def _consent_context(exc: HearthError, values: dict[str, str]) -> dict[str, Any]:
    """The consent box of a customer who must accept the documents in force; its message is an
    error only once they were shown the box and signed in without ticking it."""
    if not isinstance(exc, legal.ConsentRequired):
        return {}
    return {"consent": exc.versions, "renewed": exc.renewed, "consent_error": values.get("consent_asked") == "1"}


async def _card_error(request: Request, flow: Flow, exc: HearthError, *, step: str, values: dict[str, str]) -> Response:
    """The card again with the error next to what caused it: a field's own error under the
    field; a refusal without a field under the step's main field, or under the resend button
    when a new code was refused. A limit's wait is counted down where its message stands."""
    if "phone" in exc.fields:
        step = "phone"
    if "code" in exc.fields:
        values.pop("code", None)
    place = "resend" if step == "code" and values.get("resend") else step
    context: dict[str, Any] = error_context(exc)
    if isinstance(exc, RateLimited):
        context.update(wait=exc.retry_after, wait_place=place, wait_text=_(exc.message, seconds="{s}"))
    elif not context["errors"]:
        context["errors"] = {place: context["form_error"]}
    if step == "code":
        context["shown_phone"] = _shown_phone(values)
    response = await _card(request, flow, step=step, values=values, status=exc.status_code,
                           providers=_providers(request), **_consent_context(exc, values), **context)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


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
    return await _card(request, CUSTOMER_FLOW, step="phone", values=values, providers=_providers(request))


async def _code_step(request: Request, flow: Flow, send: Callable[..., Awaitable[CodeSent]]) -> Response:
    """Send a code (or a new one, `resend`) and show the code step. `have_code` goes to the
    code step without sending: a code from a moment ago is still good, and asking again would
    only meet the one-a-minute limit."""
    values = await form_data(request)
    tenant = current_tenant()
    try:
        if values.pop("have_code", None):
            shown = masked(normalize_phone(values.get("phone", ""), tenant))
            return await _card(request, flow, step="code", values=values, shown_phone=shown)
        sent = await send(tenant, phone=values.get("phone", ""), client=client_address(request))
    except HearthError as exc:
        return await _card_error(request, flow, exc, step="code" if values.get("resend") else "phone", values=values)
    return await _card(request, flow, step="code", values=values, sent=sent, resend_after=sent.resend_after)


@post(f"{CUSTOMER_FLOW.base}/code", include_in_schema=False, name="customer-sign-in-code")
async def sign_in_code(request: Request) -> Response:
    return await _code_step(request, CUSTOMER_FLOW, services.send_customer_code)


@post(f"{CUSTOMER_FLOW.base}/verify", include_in_schema=False, name="customer-sign-in-verify")
async def sign_in_verify(request: Request) -> Response:
    values = await form_data(request)
    tenant = current_tenant()
    accepted = _accepted(values)
    try:
        customer = await services.sign_in_customer(
            tenant, phone=values.get("phone", ""), code=values.get("code", ""), client=client_address(request),
            attribution={"invite": values.get("invite", "")[:64]}, accepted=accepted)
    except HearthError as exc:
        return await _card_error(request, CUSTOMER_FLOW, exc, step="code", values=values)
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
    query = request.query_params
    remembered = {
        "provider": chosen.name, "next": safe_next(query.get("next"), ACCOUNT_HOME), "invite": query.get("invite", "")[:64],
        # The box ticked on the phone step, with the versions it showed (checked at the callback).
        "accept_terms": query.get("accept_terms", "")[:1],
        "terms_version": query.get("terms_version", "")[:9], "privacy_version": query.get("privacy_version", "")[:9],
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
        accepted = _accepted(remembered)
        try:
            identity = await chosen.complete(tenant, dict(request.query_params), _callback_uri(request, chosen.name))
        except HearthError:
            raise
        except Exception:
            raise ValidationFailed({}, message="Signing in with that service did not work. Please try again.") from None
        customer = await services.sign_in_with_identity(tenant, identity, {"invite": values["invite"]}, accepted)
    except HearthError as exc:
        return await _card_error(request, CUSTOMER_FLOW, exc, step="phone", values=values)
    return await _start_session(request, "customer", customer.id, safe_next(values["next"], ACCOUNT_HOME))


# --- the staff app's sign-in ------------------------------------------------------------------


@get(STAFF_FLOW.base, include_in_schema=False, name="staff-sign-in")
async def staff_sign_in_page(request: Request, principal: NamedDependency[Principal | None]) -> Response:
    nxt = safe_next(request.query_params.get("next"), STAFF_HOME)
    if principal is not None and principal.kind == "staff":
        return Redirect(nxt, status_code=303)
    return await _card(request, STAFF_FLOW, step="phone", values={"next": nxt})


@post(f"{STAFF_FLOW.base}/code", include_in_schema=False, name="staff-sign-in-code")
async def staff_sign_in_code(request: Request) -> Response:
    return await _code_step(request, STAFF_FLOW, services.send_staff_code)


@post(f"{STAFF_FLOW.base}/verify", include_in_schema=False, name="staff-sign-in-verify")
async def staff_sign_in_verify(request: Request) -> Response:
    values = await form_data(request)
    try:
        staff = await services.sign_in_staff(
            current_tenant(), phone=values.get("phone", ""), code=values.get("code", ""), client=client_address(request)
        )
    except HearthError as exc:
        return await _card_error(request, STAFF_FLOW, exc, step="code", values=values)
    return await _start_session(request, "staff", staff.id, safe_next(values.get("next"), STAFF_HOME))


SIGN_IN_HANDLERS = [
    sign_in_page, sign_in_code, sign_in_verify, provider_start, provider_callback,
    staff_sign_in_page, staff_sign_in_code, staff_sign_in_verify,
]
