"""One-time SMS codes: 6 digits from `secrets`, stored as an HMAC, 10 minutes, single use, at most
5 wrong tries, the newest code supersedes older ones. Codes and phones are never logged.

Wrong tries are counted in rt.kv, not in the code's row: a wrong try answers 400 and the
request's transaction is rolled back, but the count must stand.
"""

from __future__ import annotations

import hmac
import secrets

from platform_core.bounds import is_digits
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.pluginsys.contexts import OutboundMessage
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import gettext as _

from . import ratelimit
from .phones import phone_index

CODE_TTL = 600
MAX_WRONG_TRIES = 5
RESEND_AFTER = ratelimit.SEND_PER_PHONE[0].window

CUSTOMER_SIGN_IN = "customer_sign_in"
STAFF_SIGN_IN = "staff_sign_in"


def _hash(purpose: str, index: str, code: str) -> str:
    # Bound to purpose and phone: a code for one number or flow never opens another.
    return current_runtime().keyring.sign(f"{purpose}:{index}:{code}", context="otp")


async def count_refused_send(tenant: TenantContext, *, client: str) -> None:
    """Count a code request refused before sending (a number that is no worker's) against the
    client's send limit, so refusals can't be asked for without end."""
    await ratelimit.enforce(current_runtime().kv, tenant.key("otp", "addr", client), ratelimit.SEND_PER_ADDRESS)


async def issue_code(tenant: TenantContext, *, purpose: str, phone: str, client: str) -> None:
    """Create a code for `phone` (E.164) and text it, after the send limits."""
    index = phone_index(current_runtime().keyring, phone)
    await ratelimit.enforce(current_runtime().kv, tenant.key("otp", "phone", index), ratelimit.SEND_PER_PHONE)
    await ratelimit.enforce(current_runtime().kv, tenant.key("otp", "addr", client), ratelimit.SEND_PER_ADDRESS)
    code = f"{secrets.randbelow(10**6):06d}"
    conn = current_connection()
    await conn.execute(
        "update core_otp_code set consumed_at = now() "
        "where tenant_id = $1 and purpose = $2 and phone_index = $3 and consumed_at is null",
        tenant.id, purpose, index,
    )
    await conn.execute(
        "insert into core_otp_code (tenant_id, purpose, phone_index, code_hash, expires_at) "
        "values ($1, $2, $3, $4, now() + make_interval(secs => $5))",
        tenant.id, purpose, index, _hash(purpose, index, code), CODE_TTL,
    )
    from platform_core.notifications.services import send_message

    body = _("Your %(name)s code is %(code)s. It expires in 10 minutes.", name=tenant.display_name, code=code)
    await send_message(OutboundMessage(tenant=tenant, channel="sms", to=phone, body=body, purpose="otp"))


async def check_code(tenant: TenantContext, *, purpose: str, phone: str, code: str, client: str) -> None:
    """Consume the newest code of `phone` if `code` matches; ValidationFailed on `code` otherwise."""
    index = phone_index(current_runtime().keyring, phone)
    await ratelimit.enforce(current_runtime().kv, tenant.key("otp", "verify", index), ratelimit.VERIFY_PER_PHONE)
    await ratelimit.enforce(current_runtime().kv, tenant.key("otp", "verify-addr", client), ratelimit.VERIFY_PER_ADDRESS)
    code = "".join(code.split())
    if len(code) != 6 or not is_digits(code):
        raise ValidationFailed({"code": "Enter the 6-digit code."})
    conn = current_connection()
    row = await conn.fetchrow(
        "select id, code_hash, consumed_at, expires_at <= now() as expired from core_otp_code "
        "where tenant_id = $1 and purpose = $2 and phone_index = $3 order by id desc limit 1",
        tenant.id, purpose, index,
    )
    if row is None or row["consumed_at"] is not None:
        raise ValidationFailed({"code": "This code is no longer valid. Request a new code."})
    if row["expired"]:
        raise ValidationFailed({"code": "This code has expired. Request a new code."})
    # Every check of this code counts, the right one too: under any concurrency at most
    # MAX_WRONG_TRIES comparisons happen per code.
    tries, _left = await current_runtime().kv.incr(tenant.key("otp", "tries", row["id"]), CODE_TTL)
    if tries > MAX_WRONG_TRIES:
        raise ValidationFailed({"code": "Too many wrong codes. Request a new code."})
    if not hmac.compare_digest(_hash(purpose, index, code), row["code_hash"]):
        if tries == MAX_WRONG_TRIES:
            raise ValidationFailed({"code": "Too many wrong codes. Request a new code."})
        raise ValidationFailed({"code": "The code is not correct."})
    consumed = await conn.fetchval(
        "update core_otp_code set consumed_at = now() where id = $1 and consumed_at is null returning id", row["id"]
    )
    if consumed is None:
        raise ValidationFailed({"code": "This code is no longer valid. Request a new code."})
