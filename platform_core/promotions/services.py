"""Coupons: templates, issuing (by hand, by a plugin, by a campaign; codes customers type are in
codes.py), revoking and reading the customer's coupons. What an order's life does to its coupon
is in holds.py; discount rules and the checkout's arithmetic in pricing.py. docs/promotions.md
tells the states and the limits.

Limits hold under concurrency: issuing locks the template's row first (`FOR UPDATE`), then counts
the customer's coupons of it in a statement of its own (which sees what the issues it waited for
committed), then inserts and bumps the template's counter. Expiry is lazy: a coupon past its
`valid_until` is never offered or held (every query says so), and its row is marked `expired`
when its owner's list is read, so no job has to sweep every franchise's coupons each night."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import (
    Coupon,
    CouponSource,
    CouponState,
    CouponTemplate,
    CouponTemplateFields,
    CouponUse,
)

_TEMPLATE_COLUMNS = (
    "id, name, description, kind, amount_off, percent_off, max_discount, min_spend, addon_id, voucher_item_id, "
    "voucher_price, first_order_only, category_codes, item_ids, valid_from, valid_until, valid_days, per_customer_limit, "
    "total_limit, issued_count, stacks_with_rules, return_on_cancel, funded_by, public_code, status, created_at"
)
_COUPON_COLUMNS = (
    "c.id, c.customer_id, c.state, c.valid_from, c.valid_until, c.source, c.source_ref, c.reason, c.order_id, c.created_at, "
    "c.used_at, c.revoked_at, c.revoke_reason"
)
# A coupon with its template as one JSON value, so a list of coupons is one statement.
_WITH_TEMPLATE = (
    f"{_COUPON_COLUMNS}, (select row_to_json(t) from (select {_TEMPLATE_COLUMNS} from core_coupon_template "
    "where id = c.template_id) t) as template"
)

ENDED = N_("This offer has ended.")
LIMIT_REACHED = N_("This offer has reached its limit.")
CUSTOMER_LIMIT = N_("You already hold as many of these coupons as allowed.")
NOT_ACTIVE = N_("This coupon template is archived.")


def _template(row: Any) -> CouponTemplate:
    data = dict(row) if not isinstance(row, dict) else row
    for name in ("category_codes", "item_ids"):
        if isinstance(data[name], str):
            data[name] = msgspec.json.decode(data[name])
    return msgspec.convert(data, CouponTemplate, strict=False)


def _coupon(row: Any, templates: dict[str, CouponTemplate] | None = None) -> Coupon:
    """A coupon row with its template's JSON; `templates` keeps the templates a list has decoded
    already (a customer's 50 coupons come from a few templates)."""
    data = dict(row)
    template = data.pop("template")
    if not isinstance(template, str):
        data["template"] = _template(template)
    elif templates is None:
        data["template"] = _template(msgspec.json.decode(template))
    else:
        if template not in templates:
            templates[template] = _template(msgspec.json.decode(template))
        data["template"] = templates[template]
    return msgspec.convert(data, Coupon, strict=False)


def normal_code(code: str) -> str:
    """Codes are matched without case or spaces: what a customer types off a flyer."""
    return "".join(code.split()).upper()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz)


# --------------------------------------------------------------------------- templates


def check_template(data: CouponTemplateFields) -> None:
    """Every field's problem at once (the types already bound each value)."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = N_("This field is required.")
    if data.kind == "amount_off" and data.amount_off < 1:
        errors["amount_off"] = N_("Enter the amount taken off.")
    if data.kind == "amount_off" and data.min_spend and data.amount_off > data.min_spend:
        errors["amount_off"] = N_("The amount off can not be more than the minimum spend.")
    if data.kind == "percent_off" and not 1 <= data.percent_off <= 99:
        errors["percent_off"] = N_("Enter a percentage from 1 to 99.")
    if data.kind == "free_addon" and data.addon_id is None:
        errors["addon_id"] = N_("Choose the add-on it gives.")
    if data.kind == "item_voucher" and data.voucher_item_id is None:
        errors["voucher_item_id"] = N_("Choose the service it is for.")
    if data.valid_days is not None and (data.valid_from is not None or data.valid_until is not None):
        errors["valid_days"] = N_("Choose fixed dates or a number of days after issue, not both.")
    if data.valid_from is not None and data.valid_until is not None and data.valid_until < data.valid_from:
        errors["valid_until"] = N_("The last day can not be before the first.")
    if data.total_limit is not None and data.per_customer_limit > data.total_limit:
        errors["per_customer_limit"] = N_("The limit per customer can not be more than the total.")
    if data.public_code is not None:
        code = normal_code(data.public_code)
        if not 3 <= len(code) <= 32 or any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" for ch in code):
            errors["public_code"] = N_("Use 3 to 32 letters, digits, - or _.")
    if errors:
        raise ValidationFailed(errors)


def _template_args(data: CouponTemplateFields) -> list[Any]:
    return [
        data.name.strip(), data.description.strip(), data.kind, data.amount_off, data.percent_off, data.max_discount,
        data.min_spend, data.addon_id, data.voucher_item_id, data.voucher_price, data.first_order_only,
        msgspec.json.encode(data.category_codes).decode(), msgspec.json.encode(data.item_ids).decode(),
        data.valid_from, data.valid_until, data.valid_days, data.per_customer_limit, data.total_limit,
        data.stacks_with_rules, data.return_on_cancel, data.funded_by,
        normal_code(data.public_code) if data.public_code else None,
    ]


_CODE_TAKEN = {"public_code": N_("Another coupon already uses this code.")}


async def create_template(data: CouponTemplateFields) -> CouponTemplate:
    check_template(data)
    conn = current_connection()
    try:
        async with conn.transaction():  # a savepoint: a code taken leaves the request's transaction usable
            row = await conn.fetchrow(
                "insert into core_coupon_template (tenant_id, name, description, kind, amount_off, percent_off, max_discount, min_spend, "
                "addon_id, voucher_item_id, voucher_price, first_order_only, category_codes, item_ids, valid_from, valid_until, "
                "valid_days, per_customer_limit, total_limit, stacks_with_rules, return_on_cancel, funded_by, public_code) values "
                "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16, $17, $18, $19, $20, $21, $22, $23) "
                f"returning {_TEMPLATE_COLUMNS}",
                current_tenant().id, *_template_args(data),
            )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed(_CODE_TAKEN) from None
    return _template(row)


async def update_template(template_id: int, data: CouponTemplateFields) -> CouponTemplate:
    """New terms for coupons issued from now on and for those already issued (they read their
    template); the total limit can not go below what was issued."""
    check_template(data)
    conn = current_connection()
    try:
        async with conn.transaction():  # a savepoint, as in create_template
            row = await conn.fetchrow(
                "update core_coupon_template set name = $2, description = $3, kind = $4, amount_off = $5, percent_off = $6, "
                "max_discount = $7, min_spend = $8, addon_id = $9, voucher_item_id = $10, voucher_price = $11, first_order_only = $12, "
                "category_codes = $13::jsonb, item_ids = $14::jsonb, valid_from = $15, valid_until = $16, valid_days = $17, "
                "per_customer_limit = $18, total_limit = $19, stacks_with_rules = $20, return_on_cancel = $21, funded_by = $22, "
                f"public_code = $23, updated_at = now() where id = $1 returning {_TEMPLATE_COLUMNS}",
                template_id, *_template_args(data),
            )
    except asyncpg.UniqueViolationError:
        raise ValidationFailed(_CODE_TAKEN) from None
    except asyncpg.CheckViolationError:
        raise ValidationFailed({"total_limit": N_("More coupons than this were already issued.")}) from None
    if row is None:
        raise NotFound("coupon template")
    return _template(row)


async def set_template_status(template_id: int, status: str) -> CouponTemplate:
    """Archive (no more issues; issued coupons stay usable) or make active again."""
    if status not in ("active", "archived"):
        raise ValidationFailed({"status": N_("Choose active or archived.")})
    row = await current_connection().fetchrow(
        f"update core_coupon_template set status = $2, updated_at = now() where id = $1 returning {_TEMPLATE_COLUMNS}", template_id, status)
    if row is None:
        raise NotFound("coupon template")
    return _template(row)


async def get_template(template_id: int) -> CouponTemplate:
    row = await current_connection().fetchrow(f"select {_TEMPLATE_COLUMNS} from core_coupon_template where id = $1", template_id)
    if row is None:
        raise NotFound("coupon template")
    return _template(row)


async def list_templates(status: str | None = None) -> list[CouponTemplate]:
    rows = await current_connection().fetch(
        f"select {_TEMPLATE_COLUMNS} from core_coupon_template where ($1::text is null or status = $1) order by status, id desc", status)
    return [_template(r) for r in rows]


# --------------------------------------------------------------------------- issuing


def _validity(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime | None]:
    """When an issued coupon may be used: the template's days (local, both included) or
    `valid_days` local days from the day of issue (today counts as the first)."""
    tz = ZoneInfo(current_tenant().timezone)
    if template.valid_days is not None:
        return now, local_midnight(clock.today(tz) + timedelta(days=template.valid_days), tz)
    start = local_midnight(template.valid_from, tz) if template.valid_from else now
    until = local_midnight(template.valid_until + timedelta(days=1), tz) if template.valid_until else None
    return start, until


async def by_key(key: str) -> Coupon | None:
    row = await current_connection().fetchrow(f"select {_WITH_TEMPLATE} from core_coupon c where c.idempotency_key = $1", key)
    return _coupon(row) if row else None


async def issue_coupon(
    template_id: int, customer_id: int, *, source: CouponSource, ref: str = "", idempotency_key: str | None = None,
    reason: str = "", issued_by: int | None = None, field: str = "template_id",
) -> Coupon:
    """Issue one coupon of the template to the customer, recorded with its source and ref. The
    same idempotency key again returns the first coupon. Refused (ValidationFailed on `field`)
    when the template is archived or its days are over, or a limit is reached."""
    conn = current_connection()
    row = await conn.fetchrow(f"select {_TEMPLATE_COLUMNS} from core_coupon_template where id = $1 for update", template_id)
    if row is None:
        raise NotFound("coupon template")
    template = _template(row)
    key = idempotency_key[:150] if idempotency_key else None
    # After the lock: sees every issue of this template that committed while we waited.
    first, held = await conn.fetchrow(
        "select (select id from core_coupon where idempotency_key = $3), "
        "(select count(*) from core_coupon where template_id = $1 and customer_id = $2 and state <> 'revoked')",
        template_id, customer_id, key)
    if first is not None:
        found = await by_key(key)  # type: ignore[arg-type]
        assert found is not None
        return found
    now = clock.now()
    valid_from, valid_until = _validity(template, now)
    if template.status != "active":
        raise ValidationFailed({field: NOT_ACTIVE})
    if valid_until is not None and valid_until <= now:
        raise ValidationFailed({field: ENDED})
    if template.total_limit is not None and template.issued_count >= template.total_limit:
        raise ValidationFailed({field: LIMIT_REACHED})
    if held >= template.per_customer_limit:
        raise ValidationFailed({field: CUSTOMER_LIMIT})
    try:
        coupon_id = await conn.fetchval(
            "with c as (insert into core_coupon (tenant_id, template_id, customer_id, valid_from, valid_until, source, source_ref, "
            "reason, issued_by, idempotency_key) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id), "
            "t as (update core_coupon_template set issued_count = issued_count + 1 where id = $2) select id from c",
            current_tenant().id, template_id, customer_id, valid_from, valid_until, source, ref[:100], reason.strip()[:300],
            issued_by, key,
        )
    except asyncpg.ForeignKeyViolationError:
        raise ValidationFailed({"customer_id": N_("No such customer.")}) from None
    return await get_coupon(coupon_id)


async def issue_plugin_coupon(template_id: int, customer_id: int, source: str, ref: str, idempotency_key: str) -> Coupon:
    """A plugin issues a coupon (loyalty's reward, referral's gift): `source` is the plugin's
    name, `ref` what it is for (recorded as "source:ref"), `idempotency_key` the plugin's own
    (kept apart from other plugins'), so a retried job issues once. ValidationFailed on
    `template_id` when the template is archived, over or at a limit."""
    return await issue_coupon(
        template_id, customer_id, source="plugin", ref=f"{source}:{ref}"[:100],
        idempotency_key=f"plugin:{source}:{idempotency_key}")


async def issue_to_many(template_id: int, customer_ids: Iterable[int], *, source: CouponSource, ref: str) -> dict[int, Coupon | str]:
    """Issue one coupon to each customer (a campaign): the key is (source, ref, customer), so a
    customer never gets one campaign's coupon twice, however often it runs. Each customer's
    answer: their coupon, or why none was issued (a limit reached, the offer ended)."""
    results: dict[int, Coupon | str] = {}
    conn = current_connection()
    for customer_id in dict.fromkeys(customer_ids):
        try:
            async with conn.transaction():  # a savepoint: one refusal leaves the others issued
                results[customer_id] = await issue_coupon(
                    template_id, customer_id, source=source, ref=ref, idempotency_key=f"{source}:{ref}:{customer_id}")
        except ValidationFailed as exc:
            results[customer_id] = next(iter(exc.fields.values()))
    return results


async def revoke_coupon(coupon_id: int, reason: str, by: int) -> Coupon:
    """A console user takes an available coupon back, with a reason; a coupon held by an order
    or already used can not be revoked."""
    if not reason.strip():
        raise ValidationFailed({"reason": N_("Say why the coupon is revoked.")})
    moved = await current_connection().fetchval(
        "update core_coupon set state = 'revoked', revoked_at = now(), revoked_by = $2, revoke_reason = $3 "
        "where id = $1 and state in ('available', 'expired') returning id", coupon_id, by, reason.strip()[:300])
    if moved is None:
        await get_coupon(coupon_id)
        raise ValidationFailed({"reason": N_("Only a coupon that is not held or used can be revoked.")})
    return await get_coupon(coupon_id)


# --------------------------------------------------------------------------- reading coupons


async def get_coupon(coupon_id: int, *, customer_id: int | None = None) -> Coupon:
    """A coupon of this franchise (RLS keeps the others out); with `customer_id`, only theirs."""
    row = await current_connection().fetchrow(
        f"select {_WITH_TEMPLATE} from core_coupon c where c.id = $1 and ($2::bigint is null or c.customer_id = $2)",
        coupon_id, customer_id)
    if row is None:
        raise NotFound("coupon")
    return _coupon(row)


async def customer_coupons(customer_id: int, states: Iterable[CouponState] | None = None) -> list[Coupon]:
    """The customer's coupons, soonest to expire first; coupons past their days are marked
    expired first (lazily, see the module docstring)."""
    conn = current_connection()
    wanted = list(states) if states is not None else None
    rows = await conn.fetch(
        "with expired as (update core_coupon set state = 'expired' where customer_id = $1 and state = 'available' "
        "and valid_until <= $2 returning id) "
        f"select {_WITH_TEMPLATE}, c.id in (select id from expired) as now_expired from core_coupon c where c.customer_id = $1 "
        "order by c.valid_until nulls last, c.id limit 500",
        customer_id, clock.now())
    coupons = []
    for row in rows:
        data = dict(row)
        if data.pop("now_expired"):
            data["state"] = "expired"  # the statement's own update is not in its snapshot
        if wanted is None or data["state"] in wanted:
            coupons.append(_coupon(data))
    return coupons


async def usable_coupons(customer_id: int) -> list[Coupon]:
    """The customer's coupons that a checkout may offer now: available and within their days."""
    rows = await current_connection().fetch(
        f"select {_WITH_TEMPLATE} from core_coupon c where c.customer_id = $1 and c.state = 'available' "
        "and c.valid_from <= $2 and (c.valid_until is null or c.valid_until > $2) order by c.valid_until nulls last, c.id limit 200",
        customer_id, clock.now())
    templates: dict[str, CouponTemplate] = {}
    return [_coupon(r, templates) for r in rows]


async def coupons_by_state(
    state: CouponState | None = None, *, template_id: int | None = None, limit: int = 200, offset: int = 0,
) -> list[Coupon]:
    """The console's issued coupons, newest first, a page at a time."""
    rows = await current_connection().fetch(
        f"select {_WITH_TEMPLATE} from core_coupon c where ($1::text is null or c.state = $1) "
        "and ($2::bigint is null or c.template_id = $2) order by c.id desc limit $3 offset $4", state, template_id, limit, offset)
    return [_coupon(r) for r in rows]


async def used_counts() -> dict[int, int]:
    """Coupons used, by template: the templates list's column beside what was issued."""
    rows = await current_connection().fetch("select template_id, count(*) as n from core_coupon where state = 'used' group by template_id")
    return {r["template_id"]: int(r["n"]) for r in rows}


async def coupon_counts(template_id: int | None = None) -> dict[str, int]:
    """Issued coupons by state (of one template, or all), an available one past its days counted
    as expired: what the console's issued-coupons tabs show."""
    rows = await current_connection().fetch(
        "select case when state = 'available' and valid_until <= $2 then 'expired' else state end as state, count(*) as n "
        "from core_coupon where ($1::bigint is null or template_id = $1) group by 1", template_id, clock.now())
    return {state: 0 for state in ("available", "held", "used", "expired", "revoked")} | {r["state"]: int(r["n"]) for r in rows}


async def coupon_uses(coupon_ids: Iterable[int]) -> list[CouponUse]:
    """Which of these coupons were used, on which order and when (a campaign's redemptions)."""
    rows = await current_connection().fetch(
        "select id as coupon_id, order_id, used_at from core_coupon where id = any($1::bigint[]) and state = 'used' "
        "and order_id is not null and used_at is not null order by used_at", list(coupon_ids))
    return [CouponUse(**dict(r)) for r in rows]
