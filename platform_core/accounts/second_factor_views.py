"""Customer pages of two-step verification: the sign-in's second step, setting it up and turning
it off on /account/security, remembered devices, the step-up page ("confirm with your
authenticator") and changing the phone number behind it. The logic is second_factor.py's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from platform_core.errors import HearthError
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import (
    client_address,
    error_context,
    error_page,
    form_data,
    safe_next,
)
from platform_core.web.pages import page

from . import phone_change, second_factor, services
from .guards import require_customer
from .second_factor import (
    COOKIE_PATH,
    PENDING_COOKIE,
    SECOND_STEP_PATH,
    STEP_UP_ACTIONS,
    require_recent_second_factor,
)
from .sessions import Principal
from .sign_in_views import _start_session
from .views import ACCOUNT_HOME, render_security

SECURITY = f"{ACCOUNT_HOME}/security"


# --- the sign-in's second step -------------------------------------------------------------------


async def _second_step_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return page(request, "accounts/sign_in_2fa.html", status_code=status_code, **context)


@get(SECOND_STEP_PATH, include_in_schema=False, name="customer-sign-in-2fa")
async def second_step(request: Request) -> Response:
    if await second_factor.held_sign_in(request.cookies.get(PENDING_COOKIE, ""), "cookie") is None:
        return Redirect("/account/sign-in", status_code=303)
    return await _second_step_page(request)


@post(SECOND_STEP_PATH, include_in_schema=False, name="customer-sign-in-2fa-submit")
async def second_step_submit(request: Request) -> Response:
    values = await form_data(request)
    remember = values.get("remember") == "1"
    try:
        pending = await second_factor.complete_sign_in(
            request.cookies.get(PENDING_COOKIE, ""), "cookie", values.get("code", ""), client=client_address(request))
    except HearthError as exc:
        return error_page(request, "accounts/sign_in_2fa.html", exc, values={"remember": remember})
    response = await _start_session(request, "customer", pending.customer_id, pending.target, method=pending.method,
                                    second_step_done=True)
    response.delete_cookie(PENDING_COOKIE, path=COOKIE_PATH)
    if remember:
        token = await second_factor.remember_device(pending.customer_id, request.headers.get("user-agent", ""))
        second_factor.set_device_cookie(response, token)
    return response


# --- set-up, turning off, devices, the step-up page, the phone -----------------------------------


class SecondFactorController(Controller):
    path = ACCOUNT_HOME
    guards = [require_customer]
    include_in_schema = False

    async def _attempt(self, request: Request, principal: Principal, action) -> Response:
        customer = await services.active_customer(principal)
        try:
            return await action(customer)
        except HearthError as exc:
            response = await render_security(request, customer, status_code=exc.status_code, **error_context(exc))
            if getattr(exc, "retry_after", None) is not None:
                response.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
            return response

    @post("/security/2fa/start", name="account-2fa-start")
    async def start(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def action(customer) -> Response:
            await second_factor.start(customer.id)
            return Redirect(f"{SECURITY}#two-step", status_code=303)

        return await self._attempt(request, principal, action)

    @post("/security/2fa/confirm", name="account-2fa-confirm")
    async def confirm(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def action(customer) -> Response:
            values = await form_data(request)
            codes = await second_factor.confirm(customer.id, values.get("code", ""), client=client_address(request))
            return await render_security(request, customer, recovery_codes=codes)

        return await self._attempt(request, principal, action)

    @post("/security/2fa/recovery-codes", name="account-2fa-recovery-codes")
    async def recovery_codes(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        await require_recent_second_factor(principal, "new_recovery_codes")

        async def action(customer) -> Response:
            return await render_security(request, customer, recovery_codes=await second_factor.regenerate_recovery_codes(customer.id))

        return await self._attempt(request, principal, action)

    @post("/security/2fa/off", name="account-2fa-off")
    async def turn_off(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        async def action(customer) -> Response:
            values = await form_data(request)
            await second_factor.turn_off(principal, values.get("code", ""), client=client_address(request))
            return Redirect(f"{SECURITY}?done=2fa-off", status_code=303)

        return await self._attempt(request, principal, action)

    @post("/security/devices/forget", name="account-forget-devices")
    async def forget_devices(self, principal: NamedDependency[Principal]) -> Response:
        await second_factor.forget_devices(principal.user_id)
        return Redirect(f"{SECURITY}?done=devices", status_code=303)

    @get("/security/confirm", name="account-step-up")
    async def step_up(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        action = request.query_params.get("action", "")
        nxt = safe_next(request.query_params.get("next"), SECURITY)
        if action not in STEP_UP_ACTIONS or not await second_factor.enabled(principal.user_id):
            return Redirect(nxt, status_code=303)
        return page(request, "accounts/step_up.html", values={"action": action, "next": nxt}, errors={},
                    action_text=STEP_UP_ACTIONS[action])

    @post("/security/confirm", name="account-step-up-submit")
    async def step_up_submit(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        values = await form_data(request)
        action = values.get("action", "") if values.get("action", "") in STEP_UP_ACTIONS else "change_phone"
        nxt = safe_next(values.get("next"), SECURITY)
        try:
            await second_factor.confirm_step_up(principal, values.get("code", ""), client=client_address(request))
        except HearthError as exc:
            return error_page(request, "accounts/step_up.html", exc, values={"action": action, "next": nxt},
                              action_text=STEP_UP_ACTIONS[action])
        return Redirect(nxt, status_code=303)

    async def _phone_page(self, request: Request, principal: Principal, *, step: str = "phone", status_code: int = 200,
                          **context: Any) -> Response:
        customer = await services.active_customer(principal)
        context.setdefault("errors", {})
        context.setdefault("values", {})
        return page(request, "accounts/phone.html", status_code=status_code, customer=customer, step=step, **context)

    @get("/phone", name="account-phone")
    async def phone_page(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        await require_recent_second_factor(principal, "change_phone")
        return await self._phone_page(request, principal)

    @post("/phone/code", name="account-phone-code")
    async def phone_code(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        await require_recent_second_factor(principal, "change_phone")
        values = await form_data(request)
        try:
            sent = await phone_change.send_code(current_tenant(), principal.user_id, phone=values.get("phone", ""),
                                                client=client_address(request))
        except HearthError as exc:
            return await self._failed(request, principal, exc, "phone", values)
        return await self._phone_page(request, principal, step="code", values=values, sent=sent)

    @post("/phone", name="account-phone-save")
    async def phone_save(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        await require_recent_second_factor(principal, "change_phone")
        values = await form_data(request)
        try:
            await phone_change.change_phone(current_tenant(), principal.user_id, phone=values.get("phone", ""),
                                            code=values.get("code", ""), client=client_address(request))
        except HearthError as exc:
            return await self._failed(request, principal, exc, "phone" if "phone" in exc.fields else "code", values)
        return Redirect(f"{SECURITY}?done=phone", status_code=303)

    async def _failed(self, request: Request, principal: Principal, exc: HearthError, step: str, values: dict) -> Response:
        values.pop("code", None)
        response = await self._phone_page(request, principal, step=step, status_code=exc.status_code, values=values,
                                          **error_context(exc))
        if getattr(exc, "retry_after", None) is not None:
            response.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
        return response


SECOND_FACTOR_HANDLERS = [second_step, second_step_submit, SecondFactorController]
