"""Codes customers type: a template's public code (SPRING20) and batches of one-time codes for
partners (generated, unguessable, exported as CSV). Typing is rate limited like sign-in codes."""

from __future__ import annotations

import csv
import io
import secrets

from platform_core.accounts.ratelimit import Limit, enforce
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import CodeBatch, Coupon, IssuedCode
from .services import by_key, get_template, issue_coupon, normal_code

# Letters and digits a person reads back without confusing them (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ONE_TIME_CODE_LENGTH = 12  # 31^12 ≈ 7.9e17: unguessable at any rate a limit lets through

UNKNOWN_CODE = N_("This code is not valid.")
ALREADY_REDEEMED = N_("You already redeemed this code.")
CODE_USED = N_("This code was already used.")

# Typing codes is limited like checking sign-in codes: enough for a person, too few to guess.
REDEEM_PER_CUSTOMER = (Limit("redeem-1m", 5, 60), Limit("redeem-1h", 20, 3600))
REDEEM_PER_ADDRESS = (Limit("redeem-1h", 60, 3600),)


async def redeem_typed_code(customer_id: int, code: str, client: str) -> Coupon:
    """redeem_code behind the rate limits (per customer and per client address): RateLimited."""
    tenant = current_tenant()
    kv = current_runtime().kv
    await enforce(kv, tenant.key("coupon-code", "addr", client), REDEEM_PER_ADDRESS)
    await enforce(kv, tenant.key("coupon-code", "customer", customer_id), REDEEM_PER_CUSTOMER)
    return await redeem_code(customer_id, code)


async def redeem_code(customer_id: int, code: str) -> Coupon:
    """A code the customer typed: a template's public code (one coupon per customer, counted
    against the limits) or a one-time code of a batch. Field errors on `code`."""
    typed = normal_code(code)
    if not typed or len(typed) > 32 or "\x00" in typed:
        raise ValidationFailed({"code": UNKNOWN_CODE})
    conn = current_connection()
    # The template's row first (issue_coupon's lock): a second tap of one customer waits here and
    # then finds the first's coupon, refused as a later submit is.
    template_id = await conn.fetchval("select id from core_coupon_template where public_code = $1 for update", typed)
    if template_id is not None:
        key = f"code:{template_id}:{customer_id}"
        if await by_key(key) is not None:
            raise ValidationFailed({"code": ALREADY_REDEEMED})
        return await issue_coupon(template_id, customer_id, source="code", ref=typed, idempotency_key=key, field="code")
    row = await conn.fetchrow("select id, template_id, coupon_id from core_coupon_code where code = $1 for update", typed)
    if row is None:
        raise ValidationFailed({"code": UNKNOWN_CODE})
    if row["coupon_id"] is not None:
        mine = await conn.fetchval("select customer_id = $2 from core_coupon where id = $1", row["coupon_id"], customer_id)
        raise ValidationFailed({"code": ALREADY_REDEEMED if mine else CODE_USED})
    coupon = await issue_coupon(row["template_id"], customer_id, source="batch", ref=typed, idempotency_key=f"batch:{typed}", field="code")
    await conn.execute("update core_coupon_code set coupon_id = $2, redeemed_at = now() where id = $1", row["id"], coupon.id)
    return coupon


async def create_code_batch(template_id: int, count: int, batch: str) -> list[str]:
    """`count` one-time codes of the template for a partner, named `batch` (1 to 10,000)."""
    name = batch.strip()
    errors: dict[str, str] = {}
    if not 1 <= count <= 10_000:
        errors["count"] = N_("Enter a number from 1 to 10000.")
    if not name or len(name) > 64 or "\x00" in name:
        errors["batch"] = N_("Name the batch (at most 64 characters).")
    if errors:
        raise ValidationFailed(errors)
    await get_template(template_id)
    codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(ONE_TIME_CODE_LENGTH)) for _ in range(count)]
    made = await current_connection().fetch(
        "insert into core_coupon_code (tenant_id, template_id, batch, code) select $1, $2, $3, unnest($4::text[]) "
        "on conflict (tenant_id, code) do nothing returning code",
        current_tenant().id, template_id, name, codes)
    return [r["code"] for r in made]


async def code_batches(template_id: int) -> list[CodeBatch]:
    """The template's batches of one-time codes, newest first, with how many were redeemed."""
    rows = await current_connection().fetch(
        "select batch, count(*) as codes, count(coupon_id) as redeemed, min(created_at) as created_at from core_coupon_code "
        "where template_id = $1 group by batch order by min(id) desc limit 200", template_id)
    return [CodeBatch(**dict(r)) for r in rows]


async def batch_codes(template_id: int, batch: str) -> list[IssuedCode]:
    rows = await current_connection().fetch(
        "select code, batch, coupon_id is not null as redeemed from core_coupon_code where template_id = $1 and batch = $2 order by id",
        template_id, batch)
    return [IssuedCode(**dict(r)) for r in rows]


async def batch_csv(template_id: int, batch: str) -> str:
    """The batch as CSV for the partner: code, batch, redeemed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "batch", "redeemed"])
    for code in await batch_codes(template_id, batch):
        writer.writerow([code.code, code.batch, "yes" if code.redeemed else "no"])
    return out.getvalue()
