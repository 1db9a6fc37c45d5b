"""The console's customers, composed from the domains that know them: accounts (the account,
its states, notes, sign-ins), orders (the order number searched, last order, spending), marketing
(the partner channel), payments, reviews, support and promotions (the customer's page), and the
filters and panels of the franchise's enabled plugins (a member tier, points).

Each domain answers through its services; the list's filters are customer-id subqueries
(SegmentSql) composed into one query as marketing composes a segment's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from platform_core.accounts import customer_admin
from platform_core.accounts.customer_admin_schemas import (
    CloseOwnAccount,
    CustomerListPage,
    CustomerListQuery,
)
from platform_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from platform_core.marketing import channels
from platform_core.marketing.schemas import SegmentFilter
from platform_core.marketing.segments import check_filters, compose
from platform_core.orders import audience
from platform_core.orders import machine as m
from platform_core.orders import services as orders
from platform_core.orders.schemas import ActorRef
from platform_core.pluginsys.calls import collect, collect_now
from platform_core.pluginsys.contexts import (
    CustomerConsoleContext,
    MemberPanel,
    SegmentFilterSpec,
    SegmentSql,
)
from platform_core.pluginsys.manager import is_core
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import parse_money
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_

# Open orders a rule cancels: the unpaid ones, or every one whose visit has not started (the
# paid ones are refunded by payments when the order is cancelled).
RULE_STATES = {
    "keep": frozenset(),
    "unpaid": frozenset({m.PENDING_PAYMENT}),
    "not_started": frozenset({m.PENDING_PAYMENT, m.PAID, m.ASSIGNED, m.ACCEPTED, m.DISPATCH_FAILED}),
}
OPEN_STATES = frozenset(m.LIVE)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
# The phrase a customer types to close their account (either language's).
CLOSE_PHRASE = N_("close my account")
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


# --- the list ------------------------------------------------------------------------------------


def plugin_filters() -> dict[str, SegmentFilterSpec]:
    """The customer filters the tenant's enabled plugins contribute (provide_segment_filters, as
    for marketing's segments: loyalty's member tier), by name. The core's own are the list's
    fixed filters."""
    found: dict[str, SegmentFilterSpec] = {}
    for plugin, spec in collect_now(current_runtime().hooks(current_tenant()).provide_segment_filters):
        if not is_core(plugin):
            found.setdefault(spec.name, spec)
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def chosen_plugin_filters(values: dict[str, str], offered: dict[str, SegmentFilterSpec]) -> list[SegmentFilter]:
    """The plugin filters the query uses: a value in one of their fields (`f.{filter}.{param}`)
    other than a tick box; blanks are left to the filter's defaults."""
    chosen = []
    for name, spec in offered.items():
        prefix = f"f.{name}."
        params = {k[len(prefix):]: v.strip() for k, v in values.items() if k.startswith(prefix) and v.strip()}
        ticks = {f.name for f in msgspec.structs.fields(spec.params) if f.type is bool}
        if set(params) - ticks:
            chosen.append(SegmentFilter(name=name, params=params))
    return chosen


def _money(text: str, field: str, errors: dict[str, str]) -> int | None:
    if not text.strip():
        return None
    try:
        amount = parse_money(text, current_tenant().currency)
    except ValueError:
        amount = -1
    if not 0 <= amount <= 10**12:
        errors[field] = N_("Enter an amount, such as 200 or 99.50.")
        return None
    return amount


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_tenant().timezone))


async def _order_customers(text: str) -> list[int]:
    """The customer of the order numbered `text`, if there is one."""
    try:
        return [(await orders.get_order_by_number(text.strip())).customer_id]
    except NotFound:
        return []


async def filter_parts(query: CustomerListQuery, chosen: list[SegmentFilter]) -> list[SegmentSql]:
    """The query's search and filters as customer-id subqueries, every field checked first:
    ValidationFailed names each wrong one (the page shows it beside the field)."""
    errors: dict[str, str] = {}
    spend_min = _money(query.spend_min, "spend_min", errors)
    spend_max = _money(query.spend_max, "spend_max", errors)
    if spend_min is not None and spend_max is not None and spend_min > spend_max:
        errors["spend_max"] = N_("The highest amount is below the lowest.")
    if query.registered_from and query.registered_to and query.registered_from > query.registered_to:
        errors["registered_to"] = N_("This day is before the first day.")
    if query.last_order in ("before", "after") and query.last_order_on is None:
        errors["last_order_on"] = N_("Choose a day.")
    try:
        checked = check_filters(chosen, plugin_filters())
    except ValidationFailed as exc:
        errors.update(exc.fields)
        checked = []
    if errors:
        raise ValidationFailed(errors)

    parts = [customer_admin.all_customers_sql()]
    if query.q.strip():
        parts.append(customer_admin.search_sql(query.q, await _order_customers(query.q)))
    if query.registered_from or query.registered_to:
        parts.append(customer_admin.registered_between_sql(query.registered_from, query.registered_to))
    if query.status:
        parts.append(customer_admin.status_sql(query.status))
    if query.realname:
        parts.append(customer_admin.realname_sql(query.realname == "verified"))
    if query.last_order == "never":
        parts.append(msgspec.structs.replace(audience.ordering_customers_sql(), exclude=True))
    elif query.last_order_on is not None and query.last_order == "before":
        parts.append(audience.last_ordered_between_sql(_EARLIEST, _midnight(query.last_order_on)))
    elif query.last_order_on is not None and query.last_order == "after":
        parts.append(audience.last_ordered_between_sql(_midnight(query.last_order_on + timedelta(days=1)), _LATEST))
    if spend_min:
        parts.append(audience.spenders_sql(spend_min - 1))
    if spend_max is not None:
        parts.append(msgspec.structs.replace(audience.spenders_sql(spend_max), exclude=True))
    if query.channel is not None:
        parts.append(channels.channel_customers_sql(query.channel))
    for spec, params in checked:
        answer = spec.members(params)
        parts.extend(answer if isinstance(answer, list) else [answer])
    return parts


async def list_customers(query: CustomerListQuery, chosen: list[SegmentFilter]) -> tuple[CustomerListPage, dict[int, Any]]:
    """A page of the customers the query selects, newest first, and what each ordered at a
    glance (last order, paid in 12 months), by id."""
    sql, args = compose(await filter_parts(query, chosen))
    found = await customer_admin.customer_list(sql, args, page=query.page)
    return found, await audience.customer_orders_at_a_glance(r.id for r in found.rows)


async def channel_options() -> list[tuple[int, str]]:
    return await channels.channel_names()


# --- the customer's page -------------------------------------------------------------------------


async def console_panels(customer_id: int, console_user_id: int, permissions: frozenset[str], locale: str) -> list[MemberPanel]:
    """The panels the tenant's enabled plugins add to the customer's page, by order then key."""
    tenant = current_tenant()
    context = CustomerConsoleContext(tenant=tenant, customer_id=customer_id, console_user_id=console_user_id,
                                     permissions=permissions, locale=locale)
    found = [panel for _, panel in await collect(current_runtime().hooks(tenant).compute_customer_console_panels, customer=context)
             if isinstance(panel, MemberPanel)]
    return sorted(found, key=lambda p: (p.order, p.key))


# --- account states ------------------------------------------------------------------------------


async def open_orders(customer_id: int) -> list:
    """The customer's orders not yet completed or cancelled."""
    return [o for o in await orders.customer_orders(customer_id, limit=500) if o.state in OPEN_STATES]


async def apply_order_rule(customer_id: int, rule: str, actor: ActorRef, reason: str) -> int:
    """Cancel the customer's open orders the rule names, as the franchise (each refunded by
    payments' reaction to the cancellation). Returns how many were cancelled."""
    states = RULE_STATES[rule]
    cancelled = 0
    for order in await open_orders(customer_id):
        if order.state in states:
            await orders.transition(order.id, "cancel_by_franchise", actor, note=reason)
            cancelled += 1
    return cancelled


async def change_status_by_office(
    customer_id: int, *, to: str, reason: str, expected: str, order_rule: str, actor: ActorRef,
) -> int:
    """Freeze, unfreeze or close an account for the office, with the rule for its open orders
    (freeze, close). The account's row is locked first, so of two operators changing it at once
    one wins and the other gets a Conflict; the orders are then cancelled in the same
    transaction. A closed account may keep no open order (checked before anything changes). Returns how many orders were cancelled."""
    if to == "active":
        order_rule = ""
    elif order_rule != "keep" and "orders.manage" not in actor.permissions:
        raise Forbidden("Cancelling orders needs the permission to change orders.")
    assert actor.id is not None
    if to == "closed" and any(o.state not in RULE_STATES[order_rule] for o in await open_orders(customer_id)):
        raise ValidationFailed({"order_rule": N_(
            "This customer has orders that are not finished and this rule does not cancel them. "
            "Finish or cancel them first, or cancel every order not yet started.")})
    await customer_admin.change_status(customer_id, to=to, reason=reason, expected=expected, console_user_id=actor.id,
                                       order_rule=order_rule)
    return await apply_order_rule(customer_id, order_rule, actor, reason) if order_rule else 0


def confirmed(text: str) -> bool:
    """Whether the customer typed the closing phrase, in English or the page's language."""
    typed = " ".join(text.split()).casefold()
    return typed in {CLOSE_PHRASE.casefold(), gettext(CLOSE_PHRASE).casefold()}


async def close_own_account(customer_id: int, form: CloseOwnAccount) -> None:
    """The customer closes their account: they typed the phrase, and no order is open (they
    finish or cancel it first); the history says the customer did it."""
    if not confirmed(form.confirmation):
        raise ValidationFailed({"confirmation": N_("Type the words shown to confirm.")})
    if await open_orders(customer_id):
        raise Conflict("Please finish or cancel your open orders first.")
    status = await customer_admin.lock_status(customer_id)
    if status != "active":
        raise Conflict("This account can not be closed now.")
    await customer_admin.change_status(customer_id, to="closed", reason=form.reason, expected="active", console_user_id=None)
