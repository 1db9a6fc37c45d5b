"""Customer pages: the checkout of an order (/orders/{number}/pay), a payment in progress
(/payments/{payment_no}: the provider's own part of the page, such as a code to scan or a card
form, polled until it is paid), and the wallet (/account/wallet: balance, history, top-up
through the same checkout)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.accounts.guards import require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import NotFound, ValidationFailed
from platform_core.lazy import lazy_module
from platform_core.money import to_minor
from platform_core.orders.schemas import Order
from platform_core.orders.services import get_order, get_order_by_number
from platform_core.tenancy.context import current_tenant
from platform_core.web.device import device_of
from platform_core.web.forms import error_context, redirect_after_post
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services, wallet
from .schemas import CASH, MAX_TOPUP, MIN_TOPUP, WALLET, Payment

segno = lazy_module("segno")  # QR codes on a few pages only

POLL_SECONDS = 2
WALLET_DONE = {"topup": N_("Your top-up arrived. Thank you!")}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def method_labels() -> dict[str, str]:
    """Every provider's label by name (msgids), the wallet's too: how a payment was made."""
    labels = {name: provider.label for name, provider in services.installed_providers().items()}
    labels[WALLET] = N_("Wallet balance")
    labels[CASH] = N_("Cash or transfer")
    return labels


async def own_payment(principal: Principal, payment_no: str) -> Payment:
    """The customer's own payment; another customer's is not found."""
    payment = await services.get_payment_by_no(payment_no)
    if payment.customer_id != principal.user_id:
        raise NotFound("payment")
    return payment


async def done_url(payment: Payment) -> str:
    """Where the customer goes once the payment went through."""
    if payment.order_id is None:
        return "/account/wallet?done=topup"
    return f"/orders/{(await get_order(payment.order_id)).number}?done=paid"


async def retry_url(payment: Payment) -> str:
    if payment.order_id is None:
        return "/account/wallet"
    return f"/orders/{(await get_order(payment.order_id)).number}/pay"


def next_step(request: Request, payment: Payment) -> Response:
    """After a payment starts: off to the provider's page when it has one, else our page for it
    (with the provider's part: PaymentProvider.checkout_page)."""
    action = payment.action
    if action is not None and action.url and action.kind in ("redirect", "client_secret"):
        return redirect_after_post(request, action.url)
    return redirect_after_post(request, f"/payments/{payment.payment_no}")


# --------------------------------------------------------------------------- checkout of an order


async def _checkout_context(request: Request, principal: Principal, order: Order) -> dict[str, Any]:
    device = device_of(request.headers.get("user-agent", ""))
    return {
        "order": order,
        "options": await services.checkout_options(device, order.currency),
        "balance": await wallet.balance(principal.user_id, order.currency),
        "values": {},
        "errors": {},
    }


async def _payable(principal: Principal, number: str) -> Order:
    return await get_order_by_number(number, customer_id=principal.user_id)


@get("/orders/{number:str}/pay", guards=[require_customer], name="payments.checkout")
async def checkout_page(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    order = await _payable(principal, number)
    if not services.awaits_payment(order):
        return Redirect(f"/orders/{number}", status_code=303)
    return page(request, "payments/checkout.html", **await _checkout_context(request, principal, order))


@post("/orders/{number:str}/pay", guards=[require_customer], name="payments.start")
async def start_checkout(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    customer = await active_customer(principal)
    order = await _payable(principal, number)
    if not services.awaits_payment(order):
        return redirect_after_post(request, f"/orders/{number}")
    form = await request.form()
    provider = str(form.get("provider") or "")
    try:
        if provider == WALLET:
            await services.pay_with_wallet(order.id, customer.id)
            return redirect_after_post(request, f"/orders/{number}?done=paid")
        payment = await services.start_payment(
            provider_name=provider, customer_id=customer.id, amount=order.total, currency=order.currency,
            subject=f"{current_tenant().name} {order.number}", device=device_of(request.headers.get("user-agent", "")),
            client_ip=client_ip(request), base_url=base_url(request), return_url=f"{base_url(request)}/orders/{number}/returned",
            order_id=order.id, openid=str(form.get("openid") or "") or None)
    except ValidationFailed as exc:
        context = await _checkout_context(request, principal, order)
        context.update(error_context(exc), values={"provider": provider})
        return page(request, "payments/checkout.html", status_code=400, **context)
    return next_step(request, payment)


@get("/orders/{number:str}/returned", guards=[require_customer], name="payments.returned")
async def back_from_provider(principal: NamedDependency[Principal], number: FromPath[str]) -> Redirect:
    """Where the provider's page sends the customer back (every order payment's return_url). The
    provider's notification may have come first: then the order with its "paid" notice, else the
    order, which waits for the payment and polls it (?paying=1: should the money come in before that
    page loads, it sends the customer on to the notice)."""
    order = await _payable(principal, number)
    payments = await services.order_payments(order.id)
    paid = services.money_is_in(order, payments)
    if not paid and payments:
        await services.ask_provider_now(payments[-1])
    return Redirect(f"/orders/{number}?done=paid" if paid else f"/orders/{number}?paying=1", status_code=303)


# --------------------------------------------------------------------------- a payment in progress


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#111827")


@get("/payments/{payment_no:str}", guards=[require_customer], name="payments.detail")
async def payment_page(request: Request, principal: NamedDependency[Principal], payment_no: FromPath[str]) -> Response:
    payment = await own_payment(principal, payment_no)
    if payment.status == "succeeded":
        return Redirect(await done_url(payment), status_code=303)
    action = payment.action
    provider = services.installed_providers().get(payment.provider)
    checkout = provider.checkout_page(action) if provider is not None and action is not None else None
    return page(
        request, "payments/pay.html", csp=checkout.sources if checkout else None, payment=payment, action=action, checkout=checkout,
        method=method_labels().get(payment.provider, payment.provider),
        qr=qr_svg(action.url) if action is not None and action.kind == "qr" else None,
        order=await get_order(payment.order_id) if payment.order_id else None,
        retry=await retry_url(payment), poll_seconds=POLL_SECONDS,
    )


@get("/payments/{payment_no:str}/status", guards=[require_customer], name="payments.status")
async def payment_status(request: Request, principal: NamedDependency[Principal], payment_no: FromPath[str]) -> Response:
    """The poll of a page waiting for a payment (htmx, every POLL_SECONDS): off to the order or
    the wallet once it is paid."""
    payment = await own_payment(principal, payment_no)
    if payment.status == "succeeded":
        return redirect_after_post(request, await done_url(payment))
    return page(request, "payments/_status.html", payment=payment, retry=await retry_url(payment), poll_seconds=POLL_SECONDS)


# --------------------------------------------------------------------------- the wallet


async def _wallet_context(request: Request, principal: Principal, latest: Payment | None = None) -> dict[str, Any]:
    currency = current_tenant().currency
    device = device_of(request.headers.get("user-agent", ""))
    # Back from the provider's page (?topup=1), the money may still be on its way: the page says
    # so and polls the payment, as the order page does, and reloads with the balance once it is in.
    return {
        "arriving": latest if latest is not None and services.still_pending(latest) else None,
        "poll_seconds": POLL_SECONDS,
        "wallet": await wallet.get_wallet(principal.user_id, currency),
        "options": await services.checkout_options(device, currency),
        "values": {},
        "errors": {},
    }


@get("/account/wallet", guards=[require_customer], name="payments.wallet")
async def wallet_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    latest = await services.latest_topup(principal.user_id) if request.query_params.get("topup") else None
    if latest is not None and latest.status == "succeeded":
        # The provider's notification came before the customer's browser did.
        return Redirect("/account/wallet?done=topup", status_code=303)
    if latest is not None:
        await services.ask_provider_now(latest)
    notice = WALLET_DONE.get(request.query_params.get("done", ""))
    return page(request, "payments/wallet.html", flash=[("success", notice)] if notice else [],
                **await _wallet_context(request, principal, latest))


@post("/account/wallet/topups", guards=[require_customer], name="payments.topup")
async def start_topup(request: Request, principal: NamedDependency[Principal]) -> Response:
    customer = await active_customer(principal)
    form = await request.form()
    values = {"amount": str(form.get("amount") or "").strip(), "provider": str(form.get("provider") or "")}
    try:
        amount = topup_amount(values["amount"])
        payment = await services.start_payment(
            provider_name=values["provider"], customer_id=customer.id, amount=amount, currency=current_tenant().currency,
            subject=f"{current_tenant().name} {N_('Wallet top-up')}", device=device_of(request.headers.get("user-agent", "")),
            client_ip=client_ip(request), base_url=base_url(request), return_url=f"{base_url(request)}/account/wallet?topup=1")
    except ValidationFailed as exc:
        context = await _wallet_context(request, principal)
        context.update(error_context(exc), values=values)
        return page(request, "payments/wallet.html", status_code=400, **context)
    return next_step(request, payment)


def topup_amount(text: str) -> int:
    """A top-up typed as money ("200" or "200.50") in minor units, within the limits."""
    try:
        amount = to_minor(text)
    except ValueError:
        raise ValidationFailed({"amount": N_("Enter an amount like 200 or 200.50.")}) from None
    if not MIN_TOPUP <= amount <= MAX_TOPUP:
        raise ValidationFailed({"amount": N_("Top up between 1.00 and 100,000.00.")})
    return amount


HANDLERS = [checkout_page, start_checkout, back_from_provider, payment_page, payment_status, wallet_page, start_topup]
