"""Two-step verification in the customer JSON API: the second step of signing in (a `challenge`
from POST /api/v1/auth/token and a code, for the bearer token), the step-up before sensitive
actions (a code confirms this token for 10 minutes), and changing the phone number behind it."""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody

from platform_core.bounds import Code
from platform_core.errors import Forbidden, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import client_address
from platform_core.web.i18n import gettext as _

from . import otp, phone_change, second_factor, services
from .guards import BEARER_SECURITY, require_customer
from .schemas import CodeSent, Customer
from .sessions import BEARER_TTL, Principal, create_session


class ChallengeError(msgspec.Struct, kw_only=True):
    code: Literal["second_factor_required"]
    message: str
    fields: dict[str, str]


class SecondFactorChallenge(msgspec.Struct, kw_only=True):
    """The phone code was right; a code from the authenticator app is still needed."""

    error: ChallengeError
    challenge: str  # for POST /api/v1/auth/second-factor; single use
    expires_in: int  # seconds


class SecondFactorAnswer(msgspec.Struct, kw_only=True):
    challenge: Code
    code: Code  # 6 digits from the authenticator app, or a recovery code
    # Skip the second step on this device for 30 days: the answer carries a `device_token` to
    # send with later sign-ins (POST /api/v1/auth/token).
    remember_device: bool = False


class SecondFactorToken(msgspec.Struct, kw_only=True):
    token: str
    token_type: Literal["bearer"]
    expires_in: int
    customer: Customer
    device_token: str = ""  # only when remember_device was asked for; keep it secret


class StepUpAnswer(msgspec.Struct, kw_only=True):
    code: Code


class StepUp(msgspec.Struct, kw_only=True):
    """Sensitive actions are open to this token for `valid_for` seconds."""

    valid_for: int


class PhoneCodeRequest(msgspec.Struct, kw_only=True):
    phone: Code  # the new number


class PhoneChange(msgspec.Struct, kw_only=True):
    phone: Code
    code: Code  # the code texted to the new number


class PhoneChanged(msgspec.Struct, kw_only=True):
    phone: str  # masked


class SecondFactorStatus(msgspec.Struct, kw_only=True):
    allowed: bool  # the real name is verified, so it may be turned on
    enabled: bool
    recovery_codes_left: int
    remembered_devices: int


SECOND_FACTOR_RESPONSE = ResponseSpec(
    data_container=SecondFactorChallenge, generate_examples=False,
    description="Two-step verification is on and this device is not remembered: answer the `challenge`.",
)


async def challenge_response(customer_id: int, phone_code: str) -> Response[SecondFactorChallenge]:
    """Hold the sign-in and answer 401 with its challenge.

    A 4xx rolls the request's writes back, the text code's consumption included, so the store
    remembers that this code was answered with a challenge: it is not good for a second one."""
    code_key = current_tenant().key("2fa", "challenged", customer_id, hashlib.sha256(phone_code.encode()).hexdigest())
    used, _left = await current_runtime().kv.incr(code_key, otp.CODE_TTL)
    if used != 1:
        raise ValidationFailed({"code": "This code is no longer valid. Request a new code."})
    token = await second_factor.hold_sign_in(second_factor.PendingSignIn(
        customer_id=customer_id, method="phone_code", target="", via="bearer"))
    body = SecondFactorChallenge(
        error=ChallengeError(code="second_factor_required", fields={},
                             message=_("Enter the code from your authenticator app to finish signing in.")),
        challenge=token, expires_in=second_factor.PENDING_TTL,
    )
    return Response(body, status_code=401)


class SecondFactorAuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Sign-in"]

    @post("/second-factor", operation_id="answerSecondFactor", status_code=200,
          summary="Finish signing in with a code from the authenticator app")
    async def answer(self, request: Request, data: JSONBody[SecondFactorAnswer]) -> SecondFactorToken:
        """Takes the `challenge` of a 401 from `POST /api/v1/auth/token` (valid 5 minutes, used
        once) and a 6-digit code or a recovery code. A wrong code: 400 on `code`, and the
        challenge stays good; past 10 wrong codes per customer or 30 per client in 15 minutes:
        429 with Retry-After. A code is accepted once: the same code again is refused."""
        tenant = current_tenant()
        pending = await second_factor.complete_sign_in(data.challenge, "bearer", data.code, client=client_address(request))
        customer = await services.get_customer(pending.customer_id)
        # Frozen or closed while the sign-in was held.
        if customer.status == "frozen":
            raise Forbidden("This account is frozen. Please contact customer service.")
        if customer.status != "active":
            raise Forbidden("This account has been closed.")
        await services.record_sign_in(tenant, customer.id, method=pending.method, ip=client_address(request),
                                      device=request.headers.get("user-agent", ""))
        token = await create_session(kind="customer", user_id=customer.id, tenant_id=tenant.id, via="bearer")
        device = await second_factor.remember_device(customer.id, request.headers.get("user-agent", "")) if data.remember_device else ""
        return SecondFactorToken(token=token, token_type="bearer", expires_in=BEARER_TTL, customer=customer, device_token=device)


class SecondFactorMeController(Controller):
    path = "/api/v1/me/second-factor"
    tags = ["Account"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @get("", operation_id="getSecondFactor", summary="Whether two-step verification is on")
    async def status(self, principal: NamedDependency[Principal]) -> SecondFactorStatus:
        customer = await services.active_customer(principal)
        state = await second_factor.state(customer.id)
        return SecondFactorStatus(allowed=state.allowed, enabled=state.enabled, recovery_codes_left=state.recovery_codes_left,
                                  remembered_devices=len(state.devices))

    @post("/confirm", operation_id="confirmSecondFactor", status_code=200,
          summary="Confirm with the authenticator app before a sensitive action")
    async def confirm(self, request: Request, principal: NamedDependency[Principal], data: JSONBody[StepUpAnswer]) -> StepUp:
        """A sensitive action (changing the phone, turning two-step verification off, closing the
        account, binding a payout account) answers 403 with `error.code` `second_factor_required`
        when the customer has two-step verification on and has not confirmed a code with this
        token in the last 10 minutes. Send a code here, then repeat the action. Wrong codes: 400
        on `code`; limits as for sign-in (429 with Retry-After)."""
        await services.active_customer(principal)
        await second_factor.confirm_step_up(principal, data.code, client=client_address(request))
        return StepUp(valid_for=second_factor.STEP_UP_TTL)


class PhoneController(Controller):
    """Changing the phone number, behind the step-up: 403 `second_factor_required` until the
    token confirmed a code (POST /api/v1/me/second-factor/confirm) in the last 10 minutes."""

    path = "/api/v1/me/phone"
    tags = ["Account"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @post("/code", operation_id="sendPhoneChangeCode", status_code=202, summary="Text a code to the new phone number")
    async def send_code(self, request: Request, principal: NamedDependency[Principal], data: JSONBody[PhoneCodeRequest]) -> CodeSent:
        """400 on `phone` when it is already this customer's; 409 when another customer of the
        franchise has it. Limits as for sign-in codes (429 with Retry-After)."""
        await services.active_customer(principal)
        await second_factor.require_recent_second_factor(principal, "change_phone")
        return await phone_change.send_code(current_tenant(), principal.user_id, phone=data.phone, client=client_address(request))

    @post("", operation_id="changePhone", status_code=200, summary="Make the new number the account's")
    async def change(self, request: Request, principal: NamedDependency[Principal], data: JSONBody[PhoneChange]) -> PhoneChanged:
        """The old number is texted that it was changed."""
        await services.active_customer(principal)
        await second_factor.require_recent_second_factor(principal, "change_phone")
        shown = await phone_change.change_phone(current_tenant(), principal.user_id, phone=data.phone, code=data.code,
                                                client=client_address(request))
        return PhoneChanged(phone=shown)


API_HANDLERS = [SecondFactorAuthController, SecondFactorMeController, PhoneController]
