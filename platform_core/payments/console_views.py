"""Console pages for money: payments with filters and daily totals by provider, a payment's
detail (refunds, the notifications applied, the order's ledger entries) with the refund form,
and the notifications that were refused. Seeing needs `finance.view`; refunding `finance.manage`."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.response import Redirect

from platform_core.accounts.console_services import list_console_users
from platform_core.accounts.guards import require_console
from platform_core.bounds import is_digits
from platform_core.db import current_connection
from platform_core.errors import HearthError, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.money import from_minor, to_minor
from platform_core.orders.services import get_order
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .schemas import CASH, PAYMENT_STATUSES, REFUND_STATUSES, WALLET, PaymentFilter

REFUSAL_REASONS = {
    "signature": N_("The signature did not check out."),
    "malformed": N_("The notification could not be read."),
    "stale": N_("Its timestamp was outside the allowed window."),
    "merchant": N_("It was for another merchant account."),
    "unknown_payment": N_("No payment of ours has this number."),
    "amount": N_("The amount did not match the payment."),
    "currency": N_("The currency did not match the payment."),
    "unknown_provider": N_("No such payment provider is installed."),
    "not_configured": N_("The provider is not set up for this franchise."),
}
DONE = {
    "succeeded": ("success", N_("The refund is done.")),
    "pending": ("info", N_("The refund was sent; the provider has not confirmed it yet.")),
    "failed": ("error", N_("The provider refused the refund. Its answer is in the refunds below.")),
}


def provider_labels() -> dict[str, str]:
    """Every installed provider's name → its label msgid, and those of the wallet and of cash."""
    return {WALLET: N_("Wallet balance"), CASH: N_("Cash or transfer"), **{name: p.label for name, p in services.installed_providers().items()}}


def _filter(request: Request) -> tuple[PaymentFilter, dict[str, str]]:
    query = request.query_params
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("day_from", "day_to"):
        try:
            days[name] = date.fromisoformat(query[name]) if query.get(name) else None
        except ValueError:
            days[name], errors[name] = None, N_("Enter a date like 2026-05-01.")
    page_no = query.get("page") or ""
    return PaymentFilter(
        status=query.get("status") if query.get("status") in PAYMENT_STATUSES else None,
        provider=query.get("provider") or None,
        q=(query.get("q") or "").strip() or None,
        page=int(page_no) if is_digits(page_no) and int(page_no) > 0 else 1,
        **days,
    ), errors


@get("/console/payments", guards=[require_console("finance.view")], include_in_schema=False, name="console-payments")
async def payments_page(request: Request) -> Response:
    f, errors = _filter(request)
    rows, total = await services.search_payments(f)
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return page(
        request, "payments/console_payments.html", console=True, filters=f, errors=errors, rows=rows, total=total, query=query,
        pages=(total + services.PAGE_SIZE - 1) // services.PAGE_SIZE, totals=await services.daily_totals(), payment_statuses=PAYMENT_STATUSES,
        providers=provider_labels(), timezone=ZoneInfo(current_tenant().timezone),
    )


@get("/console/payments/refusals", guards=[require_console("finance.view")], include_in_schema=False, name="console-payment-refusals")
async def refusals_page(request: Request) -> Response:
    return page(
        request, "payments/console_refusals.html", console=True, refusals=await services.refusals(), reasons=REFUSAL_REASONS,
        providers=provider_labels(), timezone=ZoneInfo(current_tenant().timezone),
    )


async def _notifications(payment_id: int) -> list[dict[str, Any]]:
    """The provider events recorded for the payment (a duplicate event is never a second row)."""
    rows = await current_connection().fetch(
        "select event_id, status, outcome, received_at from core_payment_notification where payment_id = $1 order by received_at, id",
        payment_id)
    return [dict(r) for r in rows]


async def _requesters() -> dict[str, str]:
    """requested_by ("console:12", "system") → who, as the console shows it."""
    people = {f"console:{u.id}": u.display_name or u.email for u in await list_console_users()}
    return {**people, "system": N_("Automatic")}


async def _workers() -> dict[int, str]:
    """Worker id → name, for the ledger entries of their earnings."""
    return {w.id: w.name for w in await list_workers()}


async def _detail(request: Request, payment_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    payment = await services.get_payment(payment_id)
    order = await get_order(payment.order_id) if payment.order_id else None
    done = DONE.get(request.query_params.get("refund", ""))
    extra.setdefault("values", {"amount": from_minor(payment.refundable) if payment.refundable else "", "reason": ""})
    extra.setdefault("errors", {})
    return page(
        request, "payments/console_payment.html", console=True, status_code=status_code, payment=payment, order=order,
        refunds=await services.payment_refunds(payment.id), notifications=await _notifications(payment.id),
        transactions=await ledger.order_transactions(order.id) if order else [], requesters=await _requesters(), workers=await _workers(),
        payment_statuses=PAYMENT_STATUSES, refund_statuses=REFUND_STATUSES, providers=provider_labels(), timezone=ZoneInfo(current_tenant().timezone),
        flash=[done] if done else [], **extra,
    )


@get("/console/payments/{payment_id:int}", guards=[require_console("finance.view")], include_in_schema=False, name="console-payment")
async def payment_page(request: Request, payment_id: PathId) -> Response:
    return await _detail(request, payment_id)


def _refund_amount(values: dict[str, str]) -> int:
    """The form's amount in minor units; every field's error at once."""
    errors = {}
    try:
        amount = to_minor(values["amount"])
    except ValueError:
        amount, errors["amount"] = 0, N_("Enter an amount like 12.30.")
    if not values["reason"]:
        errors["reason"] = N_("Say why, for the records.")
    elif len(values["reason"]) > 300:
        errors["reason"] = N_("This is too long.")
    if errors:
        raise ValidationFailed(errors)
    return amount


@post("/console/payments/{payment_id:int}/refunds", guards=[require_console("finance.manage")], include_in_schema=False,
      name="console-payment-refund")
async def refund(request: Request, payment_id: PathId) -> Response:
    """A full or partial refund: the amount in yuan (dollars), a reason for the records."""
    await services.get_payment(payment_id)  # another tenant's payment, or none: 404 before reading the form
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("amount", "reason")}
    user_id = request.scope["state"]["console_user"].id
    try:
        done = await services.refund_payment(payment_id, _refund_amount(values), values["reason"], f"console:{user_id}")
    except HearthError as exc:
        return await _detail(request, payment_id, status_code=exc.status_code, values=values, **error_context(exc))
    return Redirect(f"/console/payments/{payment_id}?refund={done.status}", status_code=303)


@get("/console/payments/orders/{order_id:int}", guards=[require_console("finance.view")], include_in_schema=False,
     name="console-order-payments")
async def order_payments_card(request: Request, order_id: PathId) -> Response:
    """The order page's Payments card (loaded by htmx): payments, refunds and ledger entries."""
    order = await get_order(order_id)
    return page(
        request, "payments/console_order_card.html", order=order, payments=await services.order_payments(order.id),
        refunds=await services.order_refunds(order.id), transactions=await ledger.order_transactions(order.id), workers=await _workers(),
        payment_statuses=PAYMENT_STATUSES, refund_statuses=REFUND_STATUSES, providers=provider_labels(), timezone=ZoneInfo(current_tenant().timezone),
    )


CONSOLE_HANDLERS = [payments_page, refusals_page, payment_page, refund, order_payments_card]
