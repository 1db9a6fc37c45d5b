"""The console's Customers pages: the list (search and filters), a customer's page, its actions
(show the phone, add a note, freeze, unfreeze, close), and the customer's own "close my
account" page. Seeing needs `customers.view`; changing an account's state `customers.manage`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Redirect

from platform_core import clock
from platform_core.accounts import customer_admin
from platform_core.accounts.customer_admin_schemas import (
    CloseOwnAccount,
    CustomerListPage,
    CustomerListQuery,
    NoteForm,
    StatusForm,
)
from platform_core.accounts.guards import (
    BEARER_SECURITY,
    require_console,
    require_customer,
)
from platform_core.accounts.second_factor import require_recent_second_factor
from platform_core.accounts.services import active_customer, list_addresses
from platform_core.accounts.sessions import Principal, clear_session_cookie
from platform_core.accounts.sign_in_methods import login_providers
from platform_core.errors import HearthError, ValidationFailed
from platform_core.orders import audience
from platform_core.orders import services as orders
from platform_core.orders.schemas import ActorRef
from platform_core.payments import services as payments
from platform_core.payments.schemas import PAYMENT_STATUSES, REFUND_STATUSES
from platform_core.promotions import services as promotions
from platform_core.promotions.console_views import STATE_LABELS as COUPON_STATES
from platform_core.promotions.console_views import STATE_TONES as COUPON_TONES
from platform_core.reviews import services as reviews
from platform_core.support import services as support
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.bounds import PathId
from platform_core.web.forms import as_struct, done_notice, error_context, form_data
from platform_core.web.i18n import get_locale, gettext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .chart import spending_bars, spending_since

BASE = "/console/customers"
NOTICES = {
    "note": N_("The note is saved."),
    "frozen": N_("The account is frozen. The customer has been told."),
    "active": N_("The account is active again. The customer has been told."),
    "closed": N_("The account is closed. The customer has been told."),
}
_QUERY_FIELDS = ("q", "registered_from", "registered_to", "last_order", "last_order_on", "spend_min", "spend_max", "status",
                 "channel", "realname", "page")


def _actor(request: Request) -> ActorRef:
    state = request.scope["state"]
    return ActorRef(kind="console", id=state["console_user"].id, permissions=frozenset(state.get("permissions", ())))


def _list_values(request: Request) -> dict[str, str]:
    return {k: v[:200] for k, v in request.query_params.items() if (k in _QUERY_FIELDS or k.startswith("f.")) and isinstance(v, str)}


async def _plugin_filter_inputs(offered: dict) -> list[dict[str, Any]]:
    """Each plugin filter's fields as the list's form shows them (a choice list where it offers one)."""
    found = []
    for spec in offered.values():
        options = await spec.options() if spec.options is not None else {}
        fields = [{"name": f"f.{spec.name}.{f.name}", "label": spec.param_labels.get(f.name, f.name),
                   "options": options.get(f.name), "tick": f.type is bool} for f in msgspec.structs.fields(spec.params)]
        found.append({"label": spec.label, "fields": fields})
    return found


@get(BASE, guards=[require_console("customers.view")], include_in_schema=False, name="console-customers")
async def customer_list(request: Request) -> Response:
    values = _list_values(request)
    offered = services.plugin_filters()
    errors: dict[str, str] = {}
    try:
        query = as_struct({k: v for k, v in values.items() if k in _QUERY_FIELDS and v.strip()}, CustomerListQuery)
        found, glance = await services.list_customers(query, services.chosen_plugin_filters(values, offered))
    except ValidationFailed as exc:
        errors = error_context(exc)["errors"]
        found, glance = CustomerListPage(rows=[], total=0, page=1, pages=1), {}
    return page(
        request, "customer_desk/list.html", console=True, values=values, errors=errors, found=found, glance=glance,
        channels=await services.channel_options(), plugin_filters=await _plugin_filter_inputs(offered),
        query={k: v for k, v in values.items() if k != "page"}, status_labels=customer_admin.STATUS_LABELS,
        status_tones=customer_admin.STATUS_TONES, currency=current_tenant().currency,
        status_code=400 if errors else 200,
    )


def sign_in_method_labels(tenant: TenantContext) -> dict[str, str]:
    """How each sign-in method is named (msgids): the phone code, and the franchise's login providers."""
    return {"phone_code": N_("Phone code"), **{name: p.label for name, p in login_providers(tenant).items()}}


async def _customer_page(request: Request, customer_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    tenant = current_tenant()
    profile = await customer_admin.customer_profile(customer_id)
    granted = frozenset(request.scope["state"]["permissions"])
    zone = ZoneInfo(tenant.timezone)
    first_month = spending_since(clock.today(tenant.timezone))
    months = await audience.monthly_spending(customer_id, datetime.combine(first_month, datetime.min.time(), tzinfo=zone),
                                             tenant.timezone)
    customer_orders = await orders.customer_orders(customer_id, limit=50)
    customer_payments, refunds = await payments.customer_payments(customer_id)
    numbers = await orders.order_numbers(p.order_id for p in customer_payments if p.order_id)
    extra.setdefault("errors", {})
    return page(
        request, "customer_desk/customer.html", console=True, status_code=status_code, customer=profile,
        orders=customer_orders, order_states=orders.order_states(), spending=spending_bars(months, first_month),
        payments=customer_payments, refunds=refunds, payment_numbers=numbers, payment_statuses=PAYMENT_STATUSES,
        refund_statuses=REFUND_STATUSES, reviews=await reviews.customer_reviews(customer_id),
        feedback=await support.feedback_of_customer(customer_id, limit=50),
        coupons=await promotions.customer_coupons(customer_id), coupon_states=COUPON_STATES, coupon_tones=COUPON_TONES,
        one_second=timedelta(seconds=1),
        sign_ins=await customer_admin.sign_in_records(customer_id), identities=await customer_admin.linked_sign_ins(customer_id),
        method_labels=sign_in_method_labels(tenant),
        addresses=await list_addresses(customer_id), notes=await customer_admin.notes(customer_id),
        history=await customer_admin.status_history(customer_id), reveals=await customer_admin.phone_reveals(customer_id),
        panels=await services.console_panels(customer_id, _actor(request).id or 0, granted, get_locale()),
        can_manage="customers.manage" in granted, can_cancel_orders="orders.manage" in granted,
        status_labels=customer_admin.STATUS_LABELS, status_tones=customer_admin.STATUS_TONES,
        rule_labels=customer_admin.ORDER_RULE_LABELS, retention_days=customer_admin.RETENTION_DAYS,
        sign_in_days=customer_admin.SIGN_IN_DAYS, currency=tenant.currency, flash=done_notice(request, NOTICES), **extra,
    )


@get(f"{BASE}/{{customer_id:int}}", guards=[require_console("customers.view")], include_in_schema=False, name="console-customer")
async def customer_page(request: Request, customer_id: PathId) -> Response:
    return await _customer_page(request, customer_id)


@post(f"{BASE}/{{customer_id:int}}/phone", guards=[require_console("customers.view")], include_in_schema=False,
      name="console-customer-phone")
async def reveal_phone(request: Request, customer_id: PathId) -> Response:
    """The full phone number, on this answer only; who read it and when is kept and shown."""
    full = await customer_admin.reveal_phone(customer_id, _actor(request).id or 0)
    return await _customer_page(request, customer_id, full_phone=full)


@post(f"{BASE}/{{customer_id:int}}/notes", guards=[require_console("customers.view")], include_in_schema=False,
      name="console-customer-note")
async def add_note(request: Request, customer_id: PathId) -> Response:
    values = await form_data(request)
    try:
        form = as_struct(values, NoteForm)
        await customer_admin.add_note(customer_id, _actor(request).id or 0, form.body)
    except ValidationFailed as exc:
        return await _customer_page(request, customer_id, status_code=exc.status_code, note_value=values.get("body", ""),
                                    **error_context(exc))
    return Redirect(f"{BASE}/{customer_id}?done=note#notes", status_code=303)


async def _change(request: Request, customer_id: int, to: str) -> Response:
    values = await form_data(request)
    try:
        form = as_struct(values, StatusForm)
        await services.change_status_by_office(customer_id, to=to, reason=form.reason, expected=form.expected,
                                               order_rule=form.order_rule, actor=_actor(request))
    except HearthError as exc:
        if exc.status_code == 404:
            raise
        return await _customer_page(request, customer_id, status_code=exc.status_code, state_values=values,
                                    **error_context(exc))
    return Redirect(f"{BASE}/{customer_id}?done={to}", status_code=303)


@post(f"{BASE}/{{customer_id:int}}/freeze", guards=[require_console("customers.manage")], include_in_schema=False,
      name="console-customer-freeze")
async def freeze(request: Request, customer_id: PathId) -> Response:
    return await _change(request, customer_id, "frozen")


@post(f"{BASE}/{{customer_id:int}}/unfreeze", guards=[require_console("customers.manage")], include_in_schema=False,
      name="console-customer-unfreeze")
async def unfreeze(request: Request, customer_id: PathId) -> Response:
    return await _change(request, customer_id, "active")


@post(f"{BASE}/{{customer_id:int}}/close", guards=[require_console("customers.manage")], include_in_schema=False,
      name="console-customer-close")
async def close(request: Request, customer_id: PathId) -> Response:
    return await _change(request, customer_id, "closed")


# --- the customer closes their own account -------------------------------------------------------


async def _close_page(request: Request, principal: Principal, *, status_code: int = 200, **extra: Any) -> Response:
    customer = await active_customer(principal)
    extra.setdefault("errors", {})
    return page(request, "customer_desk/close_account.html", status_code=status_code, customer=customer,
                open_orders=await services.open_orders(customer.id), order_states=orders.order_states(),
                phrase=gettext(services.CLOSE_PHRASE), retention_days=customer_admin.RETENTION_DAYS, **extra)


@get("/account/close", guards=[require_customer], include_in_schema=False, name="account-close")
async def close_account_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    await require_recent_second_factor(principal, "close_account")  # with 2FA on: confirm a code first
    return await _close_page(request, principal)


@post("/account/close", guards=[require_customer], include_in_schema=False, name="account-close-confirm")
async def close_account(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    await require_recent_second_factor(principal, "close_account")
    values = await form_data(request)
    try:
        form = as_struct(values, CloseOwnAccount)
        await services.close_own_account(customer.id, form)
    except HearthError as exc:
        return await _close_page(request, principal, status_code=exc.status_code, values=values, **error_context(exc))
    # Signed out everywhere by the change of state; this browser's cookie goes too.
    return clear_session_cookie(page(request, "customer_desk/account_closed.html", retention_days=customer_admin.RETENTION_DAYS))


@post("/api/v1/me/close", operation_id="closeMyAccount", status_code=204, guards=[require_customer], security=BEARER_SECURITY,
      tags=["Account"], summary="Close the account (no open order may be left); every session and token ends")
async def close_account_api(principal: NamedDependency[Principal], data: JSONBody[CloseOwnAccount]) -> None:
    """The app's twin of /account/close: `confirmation` is the phrase the page shows ("close my
    account" or its translation); a wrong one is a 400 naming the field, an open order a 409."""
    customer = await active_customer(principal)
    await require_recent_second_factor(principal, "close_account")  # 403 second_factor_required until confirmed
    await services.close_own_account(customer.id, data)


HANDLERS = [customer_list, customer_page, reveal_phone, add_note, freeze, unfreeze, close, close_account_page, close_account,
            close_account_api]
