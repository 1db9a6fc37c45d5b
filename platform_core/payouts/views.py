"""The customer's "My earnings" (/account/earnings): the balance with what plugins show beside
it, the payout account, the withdraw form with its fee, and the withdrawals with their states
and reasons. Binding the payout account is its own page (/account/earnings/account)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency

from platform_core.accounts.guards import require_customer
from platform_core.accounts.second_factor import SecondFactorRequired
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web.device import current_device
from platform_core.web.forms import (
    as_struct,
    client_address,
    error_context,
    form_data,
    parse_money,
    redirect_after_post,
)
from platform_core.web.i18n import get_locale
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import earnings, sending, services
from .schemas import (
    DESTINATION_LABELS,
    FLAG_LABELS,
    MOVEMENT_LABELS,
    STATE_LABELS,
    STATE_TONES,
    PayoutAccountBind,
)

HOME = "/account/earnings"
ACCOUNT_PAGE = "/account/earnings/account"
NOTICES = {"requested": N_("Your withdrawal is under review. We tell you when it is paid."),
           "account": N_("Your payout account is saved.")}
BAD_AMOUNT = N_("Enter an amount like 50 or 50.50.")
MAX_AMOUNT = 10**12  # minor units: far past any limit a franchise sets, inside what every column holds


def labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "state_tones": STATE_TONES, "destination_labels": DESTINATION_LABELS,
            "movement_labels": MOVEMENT_LABELS, "flag_labels": FLAG_LABELS}


def money_amount(text: str, field: str = "amount") -> int:
    try:
        amount = parse_money(text, current_tenant().currency)
    except ValueError:
        raise ValidationFailed({field: BAD_AMOUNT}) from None
    if not 0 < amount <= MAX_AMOUNT:
        raise ValidationFailed({field: BAD_AMOUNT})
    return amount


async def _earnings_page(request: Request, customer_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    mine = await earnings.earnings("customer", customer_id, get_locale())
    notice = NOTICES.get(request.query_params.get("done", ""))
    return page(request, "payouts/my_earnings.html", status_code=status_code, earnings=mine,
                payouts=await services.holder_payouts("customer", customer_id), verified=await services.verified_name(customer_id) is not None,
                notice=notice, currency=mine.currency, quote=None, rules=mine.settings, device=current_device(),
                confirm_templates=sending.confirm_templates(),
                **labels(), **{"values": {}, "errors": {}, **extra})


@get(HOME, guards=[require_customer], include_in_schema=False, name="customer-earnings")
async def my_earnings(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    return await _earnings_page(request, customer.id)


@get(f"{HOME}/quote", guards=[require_customer], include_in_schema=False)
async def quote_fragment(request: Request, principal: NamedDependency[Principal]) -> Response:
    """The fee and what arrives, for the amount being typed (htmx, as the customer types)."""
    await active_customer(principal)
    try:
        amount = money_amount(request.query_params.get("amount", ""))
    except ValidationFailed:
        amount = 0
    rules = await services.settings()
    currency = current_tenant().currency
    return page(request, "payouts/_quote.html", quote=services.quote(rules, amount, currency) if amount else None, rules=rules,
                currency=currency)


@post(f"{HOME}/withdraw", guards=[require_customer], include_in_schema=False)
async def withdraw(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    form = await form_data(request)
    try:
        amount = money_amount(form.get("amount", "")[:20])
        await services.customer_withdraw(principal, amount, code=form.get("code", "")[:12], client=client_address(request))
    except SecondFactorRequired:
        raise
    except HearthError as exc:
        context = error_context(exc)
        if not context["errors"]:
            context["errors"] = {"amount": context["form_error"]}  # a limit or a refusal shows at the field
        return await _earnings_page(request, customer.id, status_code=exc.status_code, values=form, **context)
    return redirect_after_post(request, f"{HOME}?done=requested")


async def _account_page(request: Request, customer_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    return page(request, "payouts/payout_account.html", status_code=status_code, account=await services.payout_account("customer", customer_id),
                verified_name=await services.verified_name(customer_id), destination_labels=DESTINATION_LABELS,
                **{"values": {}, "errors": {}, **extra})


@get(ACCOUNT_PAGE, guards=[require_customer], include_in_schema=False, name="customer-payout-account")
async def account_form(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    return await _account_page(request, customer.id)


@post(ACCOUNT_PAGE, guards=[require_customer], include_in_schema=False)
async def bind_account(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    form = await form_data(request)
    try:
        kind = form.get("kind") if form.get("kind") in DESTINATION_LABELS else "alipay_login"
        data = as_struct({"kind": kind, "account": form.get("account", ""), "real_name": form.get("real_name", ""),
                          "code": form.get("code", "")}, PayoutAccountBind)
        await services.bind_customer_account(principal, data, client=client_address(request))
    except SecondFactorRequired:
        raise
    except HearthError as exc:
        context = error_context(exc)
        return await _account_page(request, customer.id, status_code=exc.status_code, values=form, **context)
    return redirect_after_post(request, f"{HOME}?done=account")


PAGE_HANDLERS = [my_earnings, quote_fragment, withdraw, account_form, bind_account]
