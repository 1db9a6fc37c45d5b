"""Signing in to the franchise site (/account/sign-in) and the staff app (/staff/sign-in) with a
phone code, and to the site through a login provider plugin. Pages work without JavaScript;
htmx swaps the sign-in card in place, refusals included (a 400 or 429 answers with the card and
the message next to what caused it; sign-in.js counts a wait down)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Any, Awaitable, Callable

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.errors import (
    HearthError,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from platform_core.pluginsys.contexts import LoginIdentity, LoginProvider, LoginStart
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.acquisition import attribution
from platform_core.web.device import device_of
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

from . import identities, legal, second_factor, services
from .identities import PENDING_TTL
from .phones import masked, normalize_phone
from .provider_tokens import count_provider_sign_in
from .schemas import CodeSent, LegalVersions
from .sessions import (
    Principal,
    create_session,
    end_session,
    principal_for,
    set_session_cookie,
)
from .sign_in_methods import login_providers, methods_error
from .views import ACCOUNT_HOME, STAFF_HOME

log = logging.getLogger(__name__)

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
    if flow.kind == "customer" and values.get("link"):
        # The phone step of a provider's first sign-in: no other way in is offered there.
        linking = login_providers(current_tenant()).get(values["link"])
        context.update(linking=linking, providers=[])
        if linking is None:
            values.pop("link")
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


def _providers(request: Request) -> list[LoginProvider]:
    if not request.url.path.startswith(CUSTOMER_FLOW.base):
        return []
    return list(login_providers(current_tenant()).values())


@get(CUSTOMER_FLOW.base, include_in_schema=False, name="customer-sign-in")
async def sign_in_page(request: Request, principal: NamedDependency[Principal | None]) -> Response:
    nxt = safe_next(request.query_params.get("next"), ACCOUNT_HOME)
    if principal is not None and principal.kind == "customer":
        return Redirect(nxt, status_code=303)
    values = {"next": nxt, "invite": request.query_params.get("invite", "")[:64]}
    pending = await _pending_link(request) if request.query_params.get("link") else None
    if pending is not None:
        values.update(next=pending.next, invite=pending.invite, link=pending.identity.provider)
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
    method = "phone_code"
    try:
        if values.get("link"):
            pending = await _pending_link(request)
            if pending is None or pending.identity.provider != values["link"]:
                values.pop("link")
                raise ValidationFailed({}, message=EXPIRED)
            customer = await services.sign_in_and_link(
                tenant, pending.identity, phone=values.get("phone", ""), code=values.get("code", ""), client=client_address(request),
                attribution=attribution(request, values.get("invite", "")), accepted=accepted or _accepted(pending.consent))
            await current_runtime().kv.delete(_pending_key(request))
            method = pending.identity.provider
        else:
            customer = await services.sign_in_customer(
                tenant, phone=values.get("phone", ""), code=values.get("code", ""), client=client_address(request),
                attribution=attribution(request, values.get("invite", "")), accepted=accepted)
    except HearthError as exc:
        return await _card_error(request, CUSTOMER_FLOW, exc, step="code", values=values)
    return await _start_session(request, "customer", customer.id, safe_next(values.get("next"), ACCOUNT_HOME), method=method)


async def _start_session(request: Request, kind: str, user_id: int, target: str, *, method: str = "phone_code",
                         second_step_done: bool = False) -> Response:
    if kind == "customer" and not second_step_done and await second_factor.second_step_due(
            user_id, request.cookies.get(second_factor.DEVICE_COOKIE, "")):
        # Who they are is proven, but not with their authenticator on a device it remembers: hold
        # the sign-in (no session yet) for the second step, bound to this browser by a cookie.
        held = await second_factor.hold_sign_in(second_factor.PendingSignIn(customer_id=user_id, method=method, target=target))
        return second_factor.set_pending_cookie(redirect_after_post(request, second_factor.SECOND_STEP_PATH), held)
    if kind == "customer":
        await services.record_sign_in(current_tenant(), user_id, method=method, ip=client_address(request),
                                      device=request.headers.get("user-agent", ""))
    # A fresh token on every sign-in: a session id planted before sign-in is worth nothing.
    old = await principal_for(request)
    if old is not None:
        await end_session(old)
    token = await create_session(kind=kind, user_id=user_id, tenant_id=current_tenant().id)  # type: ignore[arg-type]
    return set_session_cookie(redirect_after_post(request, target), token)


# --- sign in with a login provider (WeChat, QQ from plugins) -----------------------------------
#
# The state sent to the provider is single use and bound to the browser that started: the
# browser holds a secret in a cookie (LOGIN_COOKIE) and the state's record holds the secret's
# digest, so a callback carried to another browser, or a state made up, signs nobody in. A new
# identity that brings no phone waits for the phone step under the same binding.

EXPIRED = "This sign-in link has expired. Please try again."
LOGIN_COOKIE = "hearth_login"
LINKED_DONE = "/account/sign-in-methods?done=linked"


class LoginState(msgspec.Struct, frozen=True, kw_only=True):
    """What a provider's callback needs from its start."""

    provider: str
    browser: str  # sha-256 of the browser's LOGIN_COOKIE
    next: str
    invite: str = ""
    # The consent box ticked on the sign-in page before leaving, with the versions it showed.
    consent: dict[str, str] = {}
    link_customer: int | None = None  # "link" mode: the signed-in customer adding this provider


class PendingLink(msgspec.Struct, frozen=True, kw_only=True):
    """A provider's identity, verified, waiting for the phone step (PENDING_TTL)."""

    identity: LoginIdentity
    next: str
    invite: str = ""
    consent: dict[str, str] = {}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _browser_secret(request: Request) -> str:
    """This browser's login secret: the cookie's, or a new one (set by _bind)."""
    secret = request.cookies.get(LOGIN_COOKIE, "")
    return secret if 32 <= len(secret) <= 64 else secrets.token_urlsafe(32)


def _bind(response: Response, secret: str) -> Response:
    response.set_cookie(Cookie(
        key=LOGIN_COOKIE, value=secret, max_age=PENDING_TTL, httponly=True, secure=current_runtime().settings.cookie_secure,
        samesite="lax", path=CUSTOMER_FLOW.base,
    ))
    return response


def _pending_key(request: Request) -> str:
    return current_tenant().key("login-link", _digest(request.cookies.get(LOGIN_COOKIE, "")))


async def _pending_link(request: Request) -> PendingLink | None:
    if not request.cookies.get(LOGIN_COOKIE):
        return None
    raw = await current_runtime().kv.get(_pending_key(request))
    return msgspec.json.decode(raw, type=PendingLink) if raw else None


def _callback_uri(request: Request, provider: str) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{CUSTOMER_FLOW.base}/{provider}/callback"


def _provider(name: str) -> LoginProvider:
    provider = login_providers(current_tenant()).get(name)
    if provider is None:
        raise NotFound("page")
    return provider


@get(f"{CUSTOMER_FLOW.base}/{{provider:str}}", include_in_schema=False, name="customer-sign-in-provider")
async def provider_start(request: Request, provider: FromPath[str], principal: NamedDependency[Principal | None]) -> Response:
    """Off to the provider. `mode=link`: a signed-in customer adds it to their sign-in methods;
    `silent=1`: only the identity, without a page to approve where the provider can; `app_id`: the
    provider app whose identity is wanted; `share=1`: the customer agreed to share their nickname
    and avatar."""
    tenant = current_tenant()
    chosen = _provider(provider)
    query = request.query_params
    link_customer = None
    if query.get("mode") == "link":
        if principal is None or principal.kind != "customer" or not principal.mfa_verified:
            raise Unauthorized(sign_in_path=CUSTOMER_FLOW.base)
        link_customer = principal.user_id
    secret, state = _browser_secret(request), secrets.token_urlsafe(24)
    remembered = LoginState(
        provider=chosen.name, browser=_digest(secret), link_customer=link_customer,
        next=safe_next(query.get("next"), LINKED_DONE if link_customer else ACCOUNT_HOME), invite=query.get("invite", "")[:64],
        consent={"accept_terms": query.get("accept_terms", "")[:1], "terms_version": query.get("terms_version", "")[:9],
                 "privacy_version": query.get("privacy_version", "")[:9]},
    )
    await current_runtime().kv.set(tenant.key("login-state", state), msgspec.json.encode(remembered), LOGIN_STATE_TTL)
    redirect_uri = _callback_uri(request, chosen.name)
    if chosen.authorize is not None:
        start = LoginStart(tenant=tenant, state=state, redirect_uri=redirect_uri, device=device_of(request.headers.get("user-agent", "")),
                           share_profile=query.get("share") == "1", silent=query.get("silent") == "1", app_id=query.get("app_id", "")[:64])
        url = await chosen.authorize(start)
    else:
        url = await chosen.authorize_url(tenant, state, redirect_uri)
    return _bind(Redirect(url, status_code=303), secret)


async def _login_state(request: Request, chosen: LoginProvider) -> LoginState:
    """The callback's state, taken (single use), if this browser started it for this provider."""
    key = current_tenant().key("login-state", request.query_params.get("state", "")[:64])
    raw = await current_runtime().kv.get(key)
    if raw is None:
        raise ValidationFailed({}, message=EXPIRED)
    await current_runtime().kv.delete(key)
    remembered = msgspec.json.decode(raw, type=LoginState)
    browser = request.cookies.get(LOGIN_COOKIE, "")
    if remembered.provider != chosen.name or not hmac.compare_digest(_digest(browser), remembered.browser):
        raise ValidationFailed({}, message=EXPIRED)
    return remembered


async def _identity(request: Request, chosen: LoginProvider) -> LoginIdentity:
    """Ask the provider who signed in. A refusal (the person denied, a used or expired code) is
    the same message: they start again."""
    if not request.query_params.get("code"):
        raise ValidationFailed({}, message=DENIED)
    try:
        return await chosen.complete(current_tenant(), dict(request.query_params), _callback_uri(request, chosen.name))
    except HearthError:
        raise
    except Exception as exc:
        # The type only: an SDK's error may quote the request, and a token request carries the app secret.
        log.warning("login provider refused a sign-in", extra={"provider": chosen.name, "error": type(exc).__name__})
        raise ValidationFailed({}, message=FAILED) from None


DENIED = "You did not allow signing in with that service. Sign in with your phone number, or try again."
FAILED = "Signing in with that service did not work. Please try again."


@get(f"{CUSTOMER_FLOW.base}/{{provider:str}}/callback", include_in_schema=False, name="customer-sign-in-provider-callback")
async def provider_callback(request: Request, provider: FromPath[str], principal: NamedDependency[Principal | None]) -> Response:
    tenant = current_tenant()
    chosen = _provider(provider)
    values = {"next": ACCOUNT_HOME, "invite": ""}
    remembered = None
    try:
        remembered = await _login_state(request, chosen)
        values = {"next": remembered.next, "invite": remembered.invite}
        await count_provider_sign_in(client_address(request))
        identity = await _identity(request, chosen)
        if remembered.link_customer is not None:
            if principal is None or principal.kind != "customer" or principal.user_id != remembered.link_customer:
                raise ValidationFailed({}, message=EXPIRED)
            await identities.link_identity(tenant, principal.user_id, identity)
            return redirect_after_post(request, safe_next(remembered.next, LINKED_DONE))
        customer = await services.sign_in_with_identity(
            tenant, identity, attribution(request, remembered.invite), _accepted(remembered.consent))
        if customer is None:
            # A new identity without a phone: the phone step links (or creates) the customer.
            pending = PendingLink(identity=msgspec.structs.replace(identity, raw={}), next=remembered.next,
                                  invite=remembered.invite, consent=remembered.consent)
            await current_runtime().kv.set(_pending_key(request), msgspec.json.encode(pending), PENDING_TTL)
            return Redirect(f"{CUSTOMER_FLOW.base}?link={chosen.name}", status_code=303)
        await identities.touch(identity)
    except HearthError as exc:
        if remembered is not None and remembered.link_customer is not None:
            return await methods_error(request, exc)
        return await _card_error(request, CUSTOMER_FLOW, exc, step="phone", values=values)
    return await _start_session(request, "customer", customer.id, safe_next(values["next"], ACCOUNT_HOME), method=chosen.name)


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
