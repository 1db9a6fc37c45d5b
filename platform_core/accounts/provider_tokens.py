"""Bearer tokens for app clients that sign in through a login provider (a WeChat mini-program):
the provider plugin checks who it is, these sign the customer in, or say that a phone must be
linked first, exactly as the web flow does (sign_in_views.py)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

import msgspec

from platform_core.errors import ValidationFailed
from platform_core.pluginsys.contexts import LoginIdentity
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant

from . import identities, legal, ratelimit, second_factor, services
from .identities import PENDING_TTL
from .sessions import BEARER_TTL, create_session

LINK_EXPIRED = "This sign-in has expired. Sign in again."

# An app's provider sign-ins per client address: each one costs a call to the provider.
PROVIDER_SIGN_INS = (ratelimit.Limit("provider-1h", 60, 3600),)


class LoginToken(msgspec.Struct, frozen=True, kw_only=True):
    """`signed_in`: `token` is the bearer token. `second_factor_required`: the customer has
    two-step verification on and the app's `device_token` is not remembered: no token yet; the
    app sends `challenge` with an authenticator code to POST /api/v1/auth/second-factor (within
    `expires_in` seconds), as after the phone-code sign-in."""

    status: Literal["signed_in", "second_factor_required"] = "signed_in"
    token: str = ""
    token_type: str = "bearer"
    expires_in: int
    customer_id: int
    challenge: str = ""


async def count_provider_sign_in(client: str) -> None:
    """Count one provider sign-in of `client` (429 beyond PROVIDER_SIGN_INS)."""
    await ratelimit.enforce(current_runtime().kv, current_tenant().key("provider-sign-in", client), PROVIDER_SIGN_INS)


async def _token(customer_id: int, method: str, client: str, device: str, device_token: str) -> LoginToken:
    tenant = current_tenant()
    if await second_factor.second_step_due(customer_id, device_token):
        challenge = await second_factor.hold_sign_in(
            second_factor.PendingSignIn(customer_id=customer_id, method=method, target="", via="bearer"))
        return LoginToken(status="second_factor_required", expires_in=second_factor.PENDING_TTL, customer_id=customer_id,
                          challenge=challenge)
    await services.record_sign_in(tenant, customer_id, method=method, ip=client, device=device)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id, via="bearer")
    return LoginToken(token=token, expires_in=BEARER_TTL, customer_id=customer_id)


async def token_for_identity(
    identity: LoginIdentity, *, client: str, device: str = "", invite: str = "", accept_terms: bool = False,
    device_token: str = "",
) -> LoginToken | None:
    """A bearer token for the identity's customer; None when the identity is new and brought no
    phone: the app asks for one and calls token_linking_phone."""
    accepted = await legal.current_versions() if accept_terms else None
    customer = await services.sign_in_with_identity(current_tenant(), identity, {"invite": invite} if invite else {}, accepted)
    if customer is None:
        return None
    await identities.touch(identity)
    return await _token(customer.id, identity.provider, client, device, device_token)


def _link_key(link_token: str) -> str:
    return current_tenant().key("login-link-app", hashlib.sha256(link_token.encode()).hexdigest())


async def hold_for_phone(identity: LoginIdentity) -> str:
    """Keep a new identity for the app's phone step; the link token is its only key (15 minutes)."""
    link_token = secrets.token_urlsafe(32)
    await current_runtime().kv.set(_link_key(link_token), msgspec.json.encode(msgspec.structs.replace(identity, raw={})), PENDING_TTL)
    return link_token


async def token_linking_phone(
    link_token: str, *, phone: str, code: str, client: str, device: str = "", invite: str = "", accept_terms: bool = False,
    device_token: str = "",
) -> LoginToken:
    """The phone step for an app: the phone's code checked, the identity held by `link_token`
    linked to the customer of that phone (created if new), and a bearer token for them. 400 on
    `link_token` once it expired or was used."""
    key = _link_key(link_token)
    raw = await current_runtime().kv.get(key)
    if raw is None:
        raise ValidationFailed({"link_token": LINK_EXPIRED})
    identity = msgspec.json.decode(raw, type=LoginIdentity)
    accepted = await legal.current_versions() if accept_terms else None
    customer = await services.sign_in_and_link(current_tenant(), identity, phone=phone, code=code, client=client,
                                               attribution={"invite": invite} if invite else {}, accepted=accepted)
    await current_runtime().kv.delete(key)
    return await _token(customer.id, identity.provider, client, device, device_token)
