"""Customers' two-step verification: an authenticator app (TOTP, totp.py) with recovery codes,
asked at sign-in on a device not remembered, and again before sensitive actions (step-up).

- Setting it up needs the office's approval of the customer's real name (services.realname_verified).
- The secret is encrypted at rest (keyring context "customer-totp"); recovery codes and device
  tokens are kept only as keyed hashes.
- A TOTP code is accepted once: a second use within its window is a replay. Wrong codes are
  counted per customer and per client (ratelimit.py), in rt.kv, so a rolled-back request counts.
- A sign-in that proved who the customer is, but still needs the second step, is held in rt.kv
  for a few minutes under a random token (the browser's cookie, or the API's `challenge`); it is
  taken once.

Step-up, for any sensitive action (changing the phone, turning this off, closing the account,
binding a payout account): `await require_recent_second_factor(principal, "change_phone")` raises
SecondFactorRequired (403, code `second_factor_required`) unless the customer has two-step
verification off or confirmed a code in this session within the last 10 minutes
(`confirm_step_up`). See docs/accounts.md.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

import msgspec
from litestar import Response
from litestar.datastructures import Cookie

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict, Forbidden, HearthError, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from . import services, totp
from .console_schemas import TotpEnrolment
from .ratelimit import Limit, enforce
from .sessions import Principal

SECRET_CONTEXT = "customer-totp"
DEVICE_DAYS = 30
# A held sign-in waits this long for its second step.
PENDING_TTL = 300
# A confirmed code opens sensitive actions for this long, in the session that confirmed it.
STEP_UP_TTL = 600
# A TOTP code is good for up to 90 s (one step either side); remembered a little longer.
REPLAY_TTL = 120

PENDING_COOKIE = "hearth_2fa"
DEVICE_COOKIE = "hearth_device"
# Both cookies matter only to the sign-in pages.
COOKIE_PATH = "/account/sign-in"
SECOND_STEP_PATH = "/account/sign-in/2fa"
# The page where a customer asks for real-name verification.
REALNAME_PATH = "/account/verification"
# The page "confirm with your authenticator" of a step-up.
CONFIRM_PATH = "/account/security/confirm"

# Wrong codes per 15 minutes: per customer (reset by a right one) and per client address (not
# reset: one address trying many accounts is what it stops).
PER_CUSTOMER = (Limit("second-factor-15m", 10, 15 * 60),)
PER_ADDRESS = (Limit("second-factor-15m", 30, 15 * 60),)

WRONG_CODE = N_("That code is not right.")
REPLAYED_CODE = N_("That code was just used. Wait for the next code in your app.")

# The sensitive actions that ask for a recent code: the name a caller passes, and how the
# confirm page says it ("Confirm with your authenticator app to %(action)s.").
STEP_UP_ACTIONS: dict[str, str] = {
    "change_phone": N_("change your phone number"),
    "turn_off_2fa": N_("turn off two-step verification"),
    # New codes would let whoever holds the session pass every other step-up.
    "new_recovery_codes": N_("make new recovery codes"),
    "close_account": N_("close your account"),
    "bind_payout_account": N_("bind a payout account"),
    "withdraw": N_("withdraw your earnings"),
}


class SecondFactorRequired(HearthError):
    """The action needs a code from the customer's authenticator app first (confirm_step_up)."""

    status_code = 403
    code = "second_factor_required"

    def __init__(self, action: str) -> None:
        super().__init__(N_("Confirm with your authenticator app to continue."), fields={"code": N_("Enter a code from your authenticator app.")})
        self.action = action
        # Pages answer with a redirect here (web/errors.py adds &next=), the API with the 403.
        self.confirm_path = f"{CONFIRM_PATH}?action={action}"


class RememberedDevice(msgspec.Struct, frozen=True, kw_only=True):
    device: str  # the browser's User-Agent when it was remembered
    label: str  # what a person recognises: "Chrome · Android", "WeChat · iPhone"
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime


class SecondFactorState(msgspec.Struct, frozen=True, kw_only=True):
    """What the security page shows: may it be set up, is it on, pending, what is left."""

    allowed: bool
    enabled: bool
    pending: bool
    recovery_codes_left: int
    devices: list[RememberedDevice]


class PendingSignIn(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in waiting for its second step."""

    customer_id: int
    method: str
    target: str
    via: Literal["cookie", "bearer"] = "cookie"


def _key(*parts: str | int) -> str:
    return current_tenant().key("2fa", *parts)


def _hash(value: str, context: str) -> str:
    return current_runtime().keyring.blind_index(value, context=context)


def _recovery_hash(code: str) -> str:
    # Typed back from paper in any case, with or without the dash.
    return _hash(totp.normalise_code(code), "customer-recovery-code")


# --------------------------------------------------------------------------- state and set-up


async def _secret_row(customer_id: int):
    return await current_connection().fetchrow(
        "select secret_cipher, enabled_at from core_customer_totp where customer_id = $1", customer_id)


async def enabled(customer_id: int) -> bool:
    row = await _secret_row(customer_id)
    return row is not None and row["enabled_at"] is not None


async def state(customer_id: int) -> SecondFactorState:
    row = await _secret_row(customer_id)
    on = row is not None and row["enabled_at"] is not None
    conn = current_connection()
    left = await conn.fetchval(
        "select count(*) from core_customer_recovery_code where customer_id = $1 and used_at is null", customer_id) if on else 0
    return SecondFactorState(
        allowed=await services.realname_verified(customer_id), enabled=on, pending=row is not None and not on,
        recovery_codes_left=left, devices=await list_devices(customer_id),
    )


async def start(customer_id: int) -> None:
    """Keep a new secret as pending; it is on only once a code from it is confirmed. Needs the
    customer's real name verified."""
    if not await services.realname_verified(customer_id):
        raise Forbidden(N_("Verify your real name first: two-step verification is for verified accounts."))
    if await enabled(customer_id):
        raise Conflict(N_("Two-step verification is already on."))
    cipher = current_runtime().keyring.encrypt(totp.new_secret(), context=SECRET_CONTEXT)
    await current_connection().execute(
        "insert into core_customer_totp (tenant_id, customer_id, secret_cipher) values (hearth_current_tenant(), $1, $2) "
        "on conflict (tenant_id, customer_id) do update set secret_cipher = excluded.secret_cipher, created_at = now() "
        "where core_customer_totp.enabled_at is null",
        customer_id, cipher,
    )


async def enrolment(customer_id: int, *, account: str) -> TotpEnrolment | None:
    """The QR code and key of a pending set-up (None when none is pending)."""
    row = await _secret_row(customer_id)
    if row is None or row["enabled_at"] is not None:
        return None
    secret = current_runtime().keyring.decrypt(row["secret_cipher"], context=SECRET_CONTEXT)
    uri = totp.provisioning_uri(secret, account=account, issuer=current_tenant().display_name)
    return TotpEnrolment(secret_grouped=totp.grouped(secret), qr_svg=totp.qr_svg(uri), uri=uri)


async def _limits(customer_id: int, client: str) -> None:
    kv = current_runtime().kv
    await enforce(kv, _key("customer", customer_id), PER_CUSTOMER)
    await enforce(kv, _key("address", client), PER_ADDRESS)


async def _fresh_totp(customer_id: int, secret: str, code: str) -> None:
    """The code is right now and not used before (ValidationFailed on `code` otherwise)."""
    if not totp.verify_totp(secret, code):
        raise ValidationFailed({"code": WRONG_CODE}, message=WRONG_CODE)
    used, _ = await current_runtime().kv.incr(_key("totp-used", customer_id, code), REPLAY_TTL)
    if used != 1:
        raise ValidationFailed({"code": REPLAYED_CODE}, message=REPLAYED_CODE)


async def confirm(customer_id: int, code: str, *, client: str) -> list[str]:
    """Turn it on once a code from the pending secret checks out; returns the recovery codes,
    shown once."""
    if not await services.realname_verified(customer_id):
        raise Forbidden(N_("Verify your real name first: two-step verification is for verified accounts."))
    row = await current_connection().fetchrow(
        "select secret_cipher, enabled_at from core_customer_totp where customer_id = $1 for update", customer_id)
    if row is None or row["enabled_at"] is not None:
        raise Conflict(N_("Start setting up two-step verification first."))
    await _limits(customer_id, client)
    secret = current_runtime().keyring.decrypt(row["secret_cipher"], context=SECRET_CONTEXT)
    await _fresh_totp(customer_id, secret, totp.normalise_code(code))
    await current_connection().execute("update core_customer_totp set enabled_at = now() where customer_id = $1", customer_id)
    await current_runtime().kv.delete(*(f"{_key('customer', customer_id)}:{limit.name}" for limit in PER_CUSTOMER))
    return await regenerate_recovery_codes(customer_id)


async def regenerate_recovery_codes(customer_id: int) -> list[str]:
    """Replace every recovery code (used ones too); the plain codes are returned once."""
    if not await enabled(customer_id):
        raise Conflict(N_("Two-step verification is off."))
    conn = current_connection()
    await conn.execute("delete from core_customer_recovery_code where customer_id = $1", customer_id)
    codes = totp.new_recovery_codes()
    await conn.executemany(
        "insert into core_customer_recovery_code (tenant_id, customer_id, code_hash) values (hearth_current_tenant(), $1, $2)",
        [(customer_id, _recovery_hash(code)) for code in codes],
    )
    return codes


async def verify(customer_id: int, code: str, *, client: str) -> Literal["totp", "recovery"]:
    """Accept a current TOTP code (once) or an unused recovery code (then marked used). Counted
    against the limits; a right code resets the customer's count."""
    await _limits(customer_id, client)
    code = totp.normalise_code(code[:64])
    row = await _secret_row(customer_id)
    if row is None or row["enabled_at"] is None:
        raise Conflict(N_("Two-step verification is off."))
    if totp.is_totp_code(code):
        secret = current_runtime().keyring.decrypt(row["secret_cipher"], context=SECRET_CONTEXT)
        await _fresh_totp(customer_id, secret, code)
        kind: Literal["totp", "recovery"] = "totp"
    else:
        used = code and await current_connection().fetchval(
            "update core_customer_recovery_code set used_at = now() "
            "where customer_id = $1 and code_hash = $2 and used_at is null returning true",
            customer_id, _recovery_hash(code),
        )
        if not used:
            raise ValidationFailed({"code": WRONG_CODE}, message=WRONG_CODE)
        kind = "recovery"
    await current_runtime().kv.delete(*(f"{_key('customer', customer_id)}:{limit.name}" for limit in PER_CUSTOMER))
    return kind


async def turn_off(principal: Principal, code: str, *, client: str) -> None:
    """Turn it off with a code checked now (the step-up of this action); forgets the secret,
    the recovery codes and every remembered device."""
    await require_recent_second_factor(principal, "turn_off_2fa", code=code, client=client)
    conn = current_connection()
    await conn.execute("delete from core_customer_totp where customer_id = $1", principal.user_id)
    await conn.execute("delete from core_customer_recovery_code where customer_id = $1", principal.user_id)
    await forget_devices(principal.user_id)


# --------------------------------------------------------------------------- remembered devices


async def remember_device(customer_id: int, device: str) -> str:
    """A new device token (for the cookie or the app), good for DEVICE_DAYS."""
    token = secrets.token_urlsafe(32)
    await current_connection().execute(
        "insert into core_customer_device (tenant_id, customer_id, token_hash, device, expires_at) "
        "values (hearth_current_tenant(), $1, $2, $3, now() + make_interval(days => $4))",
        customer_id, _hash(token, "customer-device"), "".join(c for c in device if c.isprintable())[:200], DEVICE_DAYS,
    )
    return token


async def is_remembered(customer_id: int, token: str) -> bool:
    if not token or len(token) > 64:
        return False
    found = await current_connection().fetchval(
        "update core_customer_device set last_used_at = now() "
        "where customer_id = $1 and token_hash = $2 and expires_at > now() returning true",
        customer_id, _hash(token, "customer-device"),
    )
    return bool(found)


# First match wins: WeChat's and QQ's browsers and Edge also say "Chrome" or "Safari".
_BROWSERS = (("MicroMessenger", "WeChat"), ("QQ/", "QQ"), ("Edg", "Edge"), ("Firefox", "Firefox"),
             ("Chrome", "Chrome"), ("Safari", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS", "Mac"), ("Linux", "Linux"))


def device_label(user_agent: str) -> str:
    """"Chrome · Android" from a User-Agent; "" when it names neither."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


async def list_devices(customer_id: int) -> list[RememberedDevice]:
    rows = await current_connection().fetch(
        "select device, created_at, last_used_at, expires_at from core_customer_device "
        "where customer_id = $1 and expires_at > now() order by last_used_at desc", customer_id)
    return [RememberedDevice(**dict(r), label=device_label(r["device"])) for r in rows]


async def forget_devices(customer_id: int) -> int:
    """Every remembered device asks for the second step again. Returns how many were forgotten."""
    rows = await current_connection().fetch(
        "delete from core_customer_device where customer_id = $1 returning expires_at > now() as live", customer_id)
    return sum(1 for r in rows if r["live"])


async def second_step_due(customer_id: int, device_token: str) -> bool:
    """Whether this sign-in must pass the second step: 2FA is on and the device is not remembered."""
    return await enabled(customer_id) and not await is_remembered(customer_id, device_token)


# --------------------------------------------------------------------------- held sign-ins


def _pending_key(token: str) -> str:
    return _key("pending", hashlib.sha256(token.encode()).hexdigest())


async def hold_sign_in(pending: PendingSignIn) -> str:
    """Hold a sign-in for its second step; returns the token that takes it (cookie or challenge)."""
    token = secrets.token_urlsafe(32)
    await current_runtime().kv.set(_pending_key(token), msgspec.json.encode(pending), PENDING_TTL)
    return token


async def held_sign_in(token: str, via: str) -> PendingSignIn | None:
    if not token or len(token) > 64:
        return None
    raw = await current_runtime().kv.get(_pending_key(token))
    if raw is None:
        return None
    pending = msgspec.json.decode(raw, type=PendingSignIn)
    return pending if pending.via == via else None


async def complete_sign_in(token: str, via: str, code: str, *, client: str) -> PendingSignIn:
    """Check the second step of a held sign-in and take it (once). A wrong code leaves it held."""
    pending = await held_sign_in(token, via)
    if pending is None:
        raise ValidationFailed({"code": N_("This sign-in has expired. Please sign in again.")},
                               message=N_("This sign-in has expired. Please sign in again."))
    await verify(pending.customer_id, code, client=client)
    # Two right answers at once (a code and a recovery code): the counter lets one through.
    taken, _ = await current_runtime().kv.incr(_pending_key(token) + ":taken", PENDING_TTL)
    if taken != 1:
        raise Conflict(N_("This sign-in has already been completed."))
    await current_runtime().kv.delete(_pending_key(token))
    return pending


def set_device_cookie(response: Response, token: str) -> Response:
    response.set_cookie(Cookie(
        key=DEVICE_COOKIE, value=token, max_age=DEVICE_DAYS * 86400, httponly=True,
        secure=current_runtime().settings.cookie_secure, samesite="lax", path=COOKIE_PATH,
    ))
    return response


def set_pending_cookie(response: Response, token: str) -> Response:
    response.set_cookie(Cookie(
        key=PENDING_COOKIE, value=token, max_age=PENDING_TTL, httponly=True,
        secure=current_runtime().settings.cookie_secure, samesite="lax", path=COOKIE_PATH,
    ))
    return response


# --------------------------------------------------------------------------- step-up


def _step_up_key(principal: Principal) -> str:
    return _key("step-up", principal.session_key)


async def confirm_step_up(principal: Principal, code: str, *, client: str) -> None:
    """A right code now opens sensitive actions in this session for STEP_UP_TTL."""
    await verify(principal.user_id, code, client=client)
    await current_runtime().kv.set(_step_up_key(principal), str(int(clock.now().timestamp())).encode(), STEP_UP_TTL)


async def step_up_valid_until(principal: Principal) -> datetime | None:
    raw = await current_runtime().kv.get(_step_up_key(principal))
    if raw is None:
        return None
    return datetime.fromtimestamp(int(raw), clock.now().tzinfo) + timedelta(seconds=STEP_UP_TTL)


async def require_recent_second_factor(principal: Principal, action: str, *, code: str = "", client: str = "") -> None:
    """The gate of a sensitive action (`action`, a key of STEP_UP_ACTIONS). Passes when the
    customer has two-step verification off, or confirmed a code in this session within
    STEP_UP_TTL, or `code` is right now (then the session counts as confirmed). Otherwise
    SecondFactorRequired (403); a wrong `code` is ValidationFailed on `code`, 429 past the limits."""
    if action not in STEP_UP_ACTIONS:
        raise ValueError(f"unknown step-up action {action!r}")
    if not await enabled(principal.user_id):
        return
    if code:
        await confirm_step_up(principal, code, client=client)
        return
    if await step_up_valid_until(principal) is None:
        raise SecondFactorRequired(action)
