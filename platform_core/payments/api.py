"""The payments JSON API under /api/v1 for the mini-program and apps: paying an order through a
provider or from the wallet, a payment's state (to poll), the wallet and its top-ups."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from platform_core.accounts.guards import BEARER_SECURITY, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import ValidationFailed
from platform_core.orders.schemas import Order
from platform_core.orders.services import get_order_by_number
from platform_core.tenancy.context import current_tenant
from platform_core.web.device import device_of
from platform_core.web.i18n import lazy_gettext as N_

from . import services, wallet
from .schemas import Payment, PaymentStart, TopupStart
from .views import base_url, client_ip, own_payment
from .wallet import Wallet


async def _payable(principal: Principal, number: str) -> Order:
    order = await get_order_by_number(number, customer_id=principal.user_id)
    if not services.awaits_payment(order):
        raise ValidationFailed({"provider": N_("This order is not waiting for a payment.")})
    return order


class PaymentController(Controller):
    path = "/api/v1"
    tags = ["Payments"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @post("/orders/{number:str}/payments", operation_id="payMyOrder", status_code=201, summary="Pay an order through a provider")
    async def pay(
        self, request: Request, principal: NamedDependency[Principal], number: FromPath[str],
        data: JSONBody[PaymentStart]) -> Payment:
        """Starts (or, within its time, reuses) a payment and returns it with `action`: what the
        app does next (`redirect`: open `url`; `qr`: show `url` as a QR code; `jsapi`: call
        wx.requestPayment with `params`, which needs `openid`; `client_secret`: confirm with
        Stripe). Then poll `GET /api/v1/payments/{payment_no}` until `status` is `succeeded`.
        A provider the franchise does not offer on this device is a 400 on `provider`."""
        customer = await active_customer(principal)
        order = await _payable(principal, number)
        return await services.start_payment(
            provider_name=data.provider, customer_id=customer.id, amount=order.total, currency=order.currency,
            subject=f"{current_tenant().name} {order.number}", device=device_of(request.headers.get("user-agent", "")),
            client_ip=client_ip(request), base_url=base_url(request), return_url=f"{base_url(request)}/orders/{number}/returned",
            order_id=order.id, openid=data.openid)

    @post("/orders/{number:str}/payments/wallet", operation_id="payMyOrderFromWallet", status_code=201,
          summary="Pay an order from the wallet")
    async def pay_from_wallet(self, principal: NamedDependency[Principal], number: FromPath[str]) -> Payment:
        """The whole amount from the balance at once; a 400 on `provider` when the balance is short."""
        customer = await active_customer(principal)
        order = await _payable(principal, number)
        return await services.pay_with_wallet(order.id, customer.id)

    @get("/payments/{payment_no:str}", operation_id="getMyPayment", summary="One of the customer's payments")
    async def payment(self, principal: NamedDependency[Principal], payment_no: FromPath[str]) -> Payment:
        return await own_payment(principal, payment_no)

    @get("/wallet", operation_id="getMyWallet", summary="The wallet: balance and history")
    async def my_wallet(self, principal: NamedDependency[Principal]) -> Wallet:
        return await wallet.get_wallet(principal.user_id, current_tenant().currency)

    @post("/wallet/topups", operation_id="topUpMyWallet", status_code=201, summary="Top up the wallet through a provider")
    async def topup(
        self, request: Request, principal: NamedDependency[Principal], data: JSONBody[TopupStart]) -> Payment:
        """`amount` in minor units (100 to 10,000,000). Returns the payment with its `action`, as
        for an order; the balance grows once the provider confirms it."""
        customer = await active_customer(principal)
        return await services.start_payment(
            provider_name=data.provider, customer_id=customer.id, amount=data.amount, currency=current_tenant().currency,
            subject=f"{current_tenant().name} {N_('Wallet top-up')}", device=device_of(request.headers.get("user-agent", "")),
            client_ip=client_ip(request), base_url=base_url(request), return_url=f"{base_url(request)}/account/wallet",
            openid=data.openid)


HANDLERS = [PaymentController]
