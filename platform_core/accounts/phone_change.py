"""A customer changes their phone number: a code to the new number proves they hold it; the
cipher and blind index change together; the old number is told. The page asks for a recent
second factor first (second_factor.require_recent_second_factor)."""

from __future__ import annotations

import asyncpg

from platform_core.db import current_connection
from platform_core.errors import Conflict, ValidationFailed
from platform_core.pluginsys.contexts import OutboundMessage
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_

from . import otp
from .phones import decrypt_phone, encrypt_phone, masked, normalize_phone, phone_index
from .schemas import CodeSent

PHONE_CHANGE = "customer_phone_change"
TAKEN = N_("This number belongs to another account of ours. Sign in with it, or use another number.")
SAME = N_("This is already your number.")


async def _check_new(customer_id: int, e164: str) -> str:
    """The new number's blind index, when it is neither theirs already nor someone else's."""
    index = phone_index(current_runtime().keyring, e164)
    owner = await current_connection().fetchval("select id from core_customer where phone_index = $1", index)
    if owner == customer_id:
        raise ValidationFailed({"phone": SAME})
    if owner is not None:
        raise Conflict(TAKEN, fields={"phone": TAKEN})
    return index


async def send_code(tenant: TenantContext, customer_id: int, *, phone: str, client: str) -> CodeSent:
    e164 = normalize_phone(phone, tenant)
    await _check_new(customer_id, e164)
    await otp.issue_code(tenant, purpose=PHONE_CHANGE, phone=e164, client=client)
    return CodeSent(phone=masked(e164), expires_in=otp.CODE_TTL, resend_after=otp.RESEND_AFTER)


async def change_phone(tenant: TenantContext, customer_id: int, *, phone: str, code: str, client: str) -> str:
    """Check the code sent to the new number and make it the customer's; returns it masked."""
    e164 = normalize_phone(phone, tenant)
    await otp.check_code(tenant, purpose=PHONE_CHANGE, phone=e164, code=code, client=client)
    index = await _check_new(customer_id, e164)
    keyring = current_runtime().keyring
    conn = current_connection()
    old_cipher = await conn.fetchval("select phone_cipher from core_customer where id = $1 for update", customer_id)
    try:
        await conn.execute("update core_customer set phone_cipher = $2, phone_index = $3 where id = $1",
                           customer_id, encrypt_phone(keyring, e164), index)
    except asyncpg.UniqueViolationError:
        # Another customer took the number between the check and now: the unique index decides.
        raise Conflict(TAKEN, fields={"phone": TAKEN}) from None
    if old_cipher:
        from platform_core.notifications.services import send_message

        body = _("The phone number of your %(name)s account was changed to %(phone)s. If this was not you, call us at once.",
                 name=tenant.display_name, phone=masked(e164))
        await send_message(OutboundMessage(tenant=tenant, channel="sms", to=decrypt_phone(keyring, old_cipher), body=body,
                                           purpose="phone_changed"))
    return masked(e164)
