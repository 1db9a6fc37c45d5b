"""Discount rules and the checkout's arithmetic: which automatic rule and which coupon apply to
a booking, and for how much. The price lines go through the same path as plugins' adjustments
(`compute_price_adjustments`, hooks.py).

Automatic rules do not add up: the one giving the most applies. A coupon (one per order) comes
on top when its template stacks with rules, else it replaces the rule. A coupon's percentage is
of what is left after the rule; no discount takes a booking below zero.

A franchise's active rules are kept per process by the tenant's stamp (`TenantContext.version`,
renewed by a trigger on any change to a rule, promotions_0001), so a quote of a franchise with
no rules and no coupon chosen costs no statement here."""

from __future__ import annotations

import contextvars
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.db.engine import get_engine
from platform_core.errors import NotFound, ValidationFailed
from platform_core.orders.services import has_ordered
from platform_core.pluginsys.contexts import PriceAdjustment, PriceQuote
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.stamped import Stamped
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import money

from .schemas import Applicability, CheckoutCoupons, Coupon, Rule, RuleFields
from .services import get_coupon, usable_coupons

_RULE_COLUMNS = (
    "id, name, kind, percent_off, amount_off, max_discount, category_codes, item_ids, weekdays, time_from, time_until, "
    "district, starts_on, ends_on, funded_by, active"
)

# --------------------------------------------------------------------------- rules


def _rule(row: Any) -> Rule:
    data = dict(row)
    for name in ("category_codes", "item_ids", "weekdays"):
        if isinstance(data[name], str):
            data[name] = msgspec.json.decode(data[name])
    return msgspec.convert(data, Rule, strict=False)


def check_rule(data: RuleFields) -> None:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = N_("This field is required.")
    if (data.percent_off > 0) == (data.amount_off > 0):
        errors["percent_off"] = N_("Give either a percentage or an amount off.")
    elif data.percent_off > 99:
        errors["percent_off"] = N_("Enter a percentage from 1 to 99.")
    if data.kind == "off_peak":
        if not data.weekdays:
            errors["weekdays"] = N_("Choose the days it applies.")
        if data.time_from is None or data.time_until is None:
            errors["time_from"] = N_("Give the hours it applies.")
        elif data.time_until <= data.time_from:
            errors["time_until"] = N_("The end must be after the start.")
    if data.kind == "sale" and not (data.category_codes or data.item_ids):
        errors["category_codes"] = N_("Choose the categories or services on sale.")
    if data.kind == "district_launch" and not data.district.strip():
        errors["district"] = N_("Name the district.")
    if data.starts_on is not None and data.ends_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = N_("The last day can not be before the first.")
    if errors:
        raise ValidationFailed(errors)


def _rule_args(data: RuleFields) -> list[Any]:
    return [
        data.name.strip(), data.kind, data.percent_off, data.amount_off, data.max_discount,
        msgspec.json.encode(data.category_codes).decode(), msgspec.json.encode(data.item_ids).decode(),
        msgspec.json.encode(sorted(set(data.weekdays))).decode(), data.time_from, data.time_until, data.district.strip(),
        data.starts_on, data.ends_on, data.funded_by, data.active,
    ]


async def create_rule(data: RuleFields) -> Rule:
    check_rule(data)
    _active.written()
    row = await current_connection().fetchrow(
        "insert into core_promotion_rule (tenant_id, name, kind, percent_off, amount_off, max_discount, category_codes, item_ids, "
        "weekdays, time_from, time_until, district, starts_on, ends_on, funded_by, active) values ($1, $2, $3, $4, $5, $6, "
        f"$7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15, $16) returning {_RULE_COLUMNS}",
        current_tenant().id, *_rule_args(data))
    return _rule(row)


async def update_rule(rule_id: int, data: RuleFields) -> Rule:
    check_rule(data)
    _active.written()
    row = await current_connection().fetchrow(
        "update core_promotion_rule set name = $2, kind = $3, percent_off = $4, amount_off = $5, max_discount = $6, "
        "category_codes = $7::jsonb, item_ids = $8::jsonb, weekdays = $9::jsonb, time_from = $10, time_until = $11, district = $12, "
        f"starts_on = $13, ends_on = $14, funded_by = $15, active = $16, updated_at = now() where id = $1 returning {_RULE_COLUMNS}",
        rule_id, *_rule_args(data))
    if row is None:
        raise NotFound("discount rule")
    return _rule(row)


async def get_rule(rule_id: int) -> Rule:
    row = await current_connection().fetchrow(f"select {_RULE_COLUMNS} from core_promotion_rule where id = $1", rule_id)
    if row is None:
        raise NotFound("discount rule")
    return _rule(row)


async def list_rules() -> list[Rule]:
    rows = await current_connection().fetch(f"select {_RULE_COLUMNS} from core_promotion_rule order by active desc, id desc")
    return [_rule(r) for r in rows]


# Active rules by tenant stamp (the rules' triggers renew it).
_active: Stamped[tuple[Rule, ...]] = Stamped("promotion_rules", limit=10_000)


async def _load_active_rules() -> tuple[Rule, ...]:
    rows = await current_connection().fetch(f"select {_RULE_COLUMNS} from core_promotion_rule where active order by id")
    return tuple(_rule(r) for r in rows)


async def active_rules() -> tuple[Rule, ...]:
    return await _active.get(current_tenant(), ("active",), _load_active_rules)


# --------------------------------------------------------------------------- the arithmetic


# Whether a customer has ordered, kept for the transaction that asked: a checkout weighs the
# customer's coupons and then prices the chosen one, two baskets of one booking that would each
# ask. An order written later in the same transaction is not seen, and none is: a placement
# prices its booking before it writes the order.
_ORDERED: contextvars.ContextVar[tuple[object, int, bool] | None] = contextvars.ContextVar("hearth_has_ordered", default=None)


async def _has_ordered(customer_id: int) -> bool:
    transaction = get_engine().current_transaction.get()
    known = _ORDERED.get()
    if transaction is not None and known is not None and known[0] is transaction and known[1] == customer_id:
        return known[2]
    ordered = await has_ordered(customer_id)
    if transaction is not None:
        _ORDERED.set((transaction, customer_id, ordered))
    return ordered


class _Basket:
    """A quote as the rules and coupons read it; whether it is the customer's first order is
    asked once, and only when an offer needs to know."""

    def __init__(self, quote: PriceQuote) -> None:
        self.quote = quote
        self.tz = ZoneInfo(quote.tenant.timezone)
        self.subtotal = sum(int(line["amount"]) for line in quote.lines)
        self._first: bool | None = None

    @property
    def local_start(self) -> datetime:
        return (self.quote.slot_start or clock.now()).astimezone(self.tz)

    async def first_order(self) -> bool:
        if self._first is None:
            self._first = self.quote.customer_id is not None and not await _has_ordered(self.quote.customer_id)
        return self._first

    def in_scope(self, category_codes: list[str], item_ids: list[int]) -> bool:
        if not category_codes and not item_ids:
            return True
        return self.quote.category in category_codes or self.quote.item_id in item_ids


def _off(amount: int, percent: int, amount_off: int, cap: int) -> int:
    off = amount * percent // 100 if percent else amount_off
    if cap:
        off = min(off, cap)
    return max(min(off, amount), 0)


async def _rule_discount(rule: Rule, basket: _Basket) -> int:
    day = basket.local_start.date()
    if (rule.starts_on and day < rule.starts_on) or (rule.ends_on and day > rule.ends_on):
        return 0
    if not basket.in_scope(rule.category_codes, rule.item_ids):
        return 0
    if rule.kind == "off_peak":
        start = basket.local_start
        if basket.quote.slot_start is None or start.isoweekday() not in rule.weekdays:
            return 0
        if rule.time_from is None or rule.time_until is None or not rule.time_from <= start.time() < rule.time_until:
            return 0
    elif rule.kind == "district_launch":
        if not basket.quote.district or basket.quote.district != rule.district:
            return 0
    elif rule.kind == "first_order" and not await basket.first_order():
        return 0
    return _off(basket.subtotal, rule.percent_off, rule.amount_off, rule.max_discount)


async def _best_rule(rules: tuple[Rule, ...], basket: _Basket) -> tuple[Rule, int] | None:
    best: tuple[Rule, int] | None = None
    for rule in rules:
        off = await _rule_discount(rule, basket)
        if off > 0 and (best is None or off > best[1]):
            best = (rule, off)
    return best


async def coupon_discount(coupon: Coupon, basket: _Basket, rule_off: int) -> tuple[int, str]:
    """What the coupon takes off this booking (with `rule_off` already off when it stacks), or
    0 and why not, translated."""
    t = coupon.template
    now = clock.now()
    if coupon.state != "available":
        return 0, gettext("This coupon is not available.")
    if coupon.valid_until is not None and coupon.valid_until <= now:
        return 0, gettext("This coupon has expired.")
    if coupon.valid_from > now:
        return 0, gettext("Valid from %(day)s", day=coupon.valid_from.astimezone(basket.tz).date().isoformat())
    start = basket.quote.slot_start
    if coupon.valid_until is not None and start is not None and coupon.valid_until <= start:
        return 0, gettext("Expires before the visit")
    if not basket.in_scope(t.category_codes, t.item_ids):
        return 0, gettext("Not valid for this service")
    if basket.subtotal < t.min_spend:
        return 0, gettext("Minimum spend %(amount)s", amount=money(t.min_spend, basket.quote.currency))
    if t.first_order_only and not await basket.first_order():
        return 0, gettext("Only for your first order")
    left = basket.subtotal - (rule_off if t.stacks_with_rules else 0)
    if t.kind == "amount_off":
        off = min(t.amount_off, left)
    elif t.kind == "percent_off":
        off = _off(left, t.percent_off, 0, t.max_discount)
    elif t.kind == "free_addon":
        line = next((x for x in basket.quote.lines if x.get("code") == f"addon:{t.addon_id}"), None)
        if line is None:
            return 0, gettext("Add the add-on it is for")
        off = min(int(line["amount"]), left)
    else:
        base = next((x for x in basket.quote.lines if x.get("kind") == "base"), None)
        if base is None or basket.quote.item_id != t.voucher_item_id:
            return 0, gettext("Not valid for this service")
        off = min(max(int(base["unit_amount"]) - t.voucher_price, 0), left)
    if off <= 0:
        return 0, gettext("Nothing to take off this booking")
    return off, ""


_NOT_YOURS = N_("Choose one of your coupons.")


async def price_adjustments(quote: PriceQuote) -> list[PriceAdjustment] | None:
    """The best automatic rule's line and the chosen coupon's. A chosen coupon that does not
    apply is a field error on `coupon_id`, with the reason."""
    rules = await active_rules()
    if not rules and quote.coupon_id is None:
        return None
    basket = _Basket(quote)
    best = await _best_rule(rules, basket) if rules else None
    rule_off = best[1] if best else 0
    lines: list[PriceAdjustment] = []
    coupon_line: PriceAdjustment | None = None
    stacks = True
    if quote.coupon_id is not None:
        if quote.customer_id is None:
            raise ValidationFailed({"coupon_id": _NOT_YOURS})
        try:
            coupon = await get_coupon(quote.coupon_id, customer_id=quote.customer_id)
        except NotFound:
            raise ValidationFailed({"coupon_id": _NOT_YOURS}) from None
        off, reason = await coupon_discount(coupon, basket, rule_off)
        if not off:
            raise ValidationFailed({"coupon_id": reason})
        stacks = coupon.template.stacks_with_rules
        coupon_line = PriceAdjustment(
            label=gettext("Coupon: %(name)s", name=coupon.template.name), amount=-off, code=f"coupon:{coupon.id}",
            funded_by=coupon.template.funded_by)
    if best is not None and stacks:
        lines.append(PriceAdjustment(label=best[0].name, amount=-best[1], code=f"rule:{best[0].id}", funded_by=best[0].funded_by))
    if coupon_line is not None:
        lines.append(coupon_line)
    return lines


async def checkout_coupons(quote: PriceQuote) -> CheckoutCoupons:
    """The customer's usable coupons for this booking: each with its discount or why it does
    not apply; those that apply first, largest first. `best` is the one to preselect: the
    largest discount, when it beats the automatic rule alone."""
    if quote.customer_id is None:
        return CheckoutCoupons(coupons=[], best=None)
    coupons = await usable_coupons(quote.customer_id)
    if not coupons:
        return CheckoutCoupons(coupons=[], best=None)
    basket = _Basket(quote)
    rules = await active_rules()
    best_rule = await _best_rule(rules, basket) if rules else None
    rule_off = best_rule[1] if best_rule else 0
    found = []
    for coupon in coupons:
        off, reason = await coupon_discount(coupon, basket, rule_off)
        total = off + (rule_off if coupon.template.stacks_with_rules else 0)
        found.append((total, Applicability(coupon=coupon, applies=off > 0, discount=off, reason=reason)))
    found.sort(key=lambda pair: (not pair[1].applies, -pair[0], pair[1].coupon.id))
    top = found[0]
    best = top[1].coupon.id if top[1].applies and top[0] > rule_off else None
    return CheckoutCoupons(coupons=[a for _, a in found], best=best)
