"""The transfer notify endpoint (/payments/transfer-notify/{provider}/{tenant}) and the JSON API
of "my earnings" for the customer app under /api/v1/me."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from platform_core.accounts.guards import BEARER_SECURITY, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import client_address
from platform_core.web.i18n import get_locale

from . import earnings, sending, services
from .schemas import (
    Earnings,
    FeeQuote,
    MyPayout,
    Payout,
    PayoutAccount,
    PayoutAccountBind,
    WithdrawalCreate,
)


@post("/payments/transfer-notify/{provider:str}/{tenant_slug:str}", operation_id="transferNotify", include_in_schema=False, status_code=200)
async def transfer_notify(request: Request, provider: FromPath[str], tenant_slug: FromPath[str]) -> Response:
    """A provider's word on a transfer. No session and no CSRF token: its signature is the
    authentication; the tenant comes from the path (tenancy.middleware)."""
    body = await request.body()
    headers = {key.lower(): value for key, value in request.headers.items()}
    reply = await sending.handle_notification(provider, headers, body, client_address(request))
    return Response(content=reply.body, status_code=reply.status_code, media_type=reply.media_type)


def mine(payout: Payout) -> MyPayout:
    return MyPayout(payout_no=payout.payout_no, amount=payout.amount, fee=payout.fee, receives=payout.receives, currency=payout.currency,
                    destination_kind=payout.destination_kind, destination_masked=payout.destination_masked, state=payout.state,
                    reason=payout.reason, created_at=payout.created_at, finished_at=payout.finished_at,
                    confirm=payout.confirm if payout.state == "sending" else {})


class EarningsController(Controller):
    path = "/api/v1/me"
    tags = ["Earnings"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @get("/earnings", operation_id="getMyEarnings", summary="My earnings: balance, movements, payout account")
    async def my_earnings(self, principal: NamedDependency[Principal]) -> Earnings:
        """Red packets and cash rewards, what is held in withdrawals not yet paid, the franchise's
        withdrawal rules and what plugins show beside the balance (loyalty's points value)."""
        customer = await active_customer(principal)
        return await earnings.earnings("customer", customer.id, get_locale())

    @get("/payout-account", operation_id="getMyPayoutAccount", summary="Where my withdrawals go")
    async def my_account(self, principal: NamedDependency[Principal]) -> PayoutAccount | None:
        customer = await active_customer(principal)
        return await services.payout_account("customer", customer.id)

    @put("/payout-account", operation_id="bindMyPayoutAccount", summary="Bind or change where my withdrawals go")
    async def bind(self, request: Request, principal: NamedDependency[Principal], data: JSONBody[PayoutAccountBind]) -> PayoutAccount:
        """Needs real-name verification (a 400 on `kind` otherwise). `alipay_login`: `account` a
        mobile number or an email, `real_name` the verified name. `wechat_openid`: the openid of
        the customer's WeChat sign-in. With two-step verification on, a 403
        `second_factor_required` asks for `code`."""
        await active_customer(principal)
        return await services.bind_customer_account(principal, data, client=client_address(request))

    @get("/withdrawals", operation_id="listMyWithdrawals", summary="My withdrawals, newest first")
    async def my_withdrawals(self, principal: NamedDependency[Principal]) -> list[MyPayout]:
        customer = await active_customer(principal)
        return [mine(p) for p in await services.holder_payouts("customer", customer.id)]

    @get("/withdrawals/quote", operation_id="quoteWithdrawal", summary="The fee on a withdrawal and what arrives")
    async def quote(self, principal: NamedDependency[Principal],
                    amount: Annotated[int, Parameter(ge=1, le=10**12, description="minor units")]) -> FeeQuote:
        await active_customer(principal)
        return services.quote(await services.settings(), amount, current_tenant().currency)

    @post("/withdrawals", operation_id="requestWithdrawal", status_code=201, summary="Withdraw from my earnings")
    async def withdraw(self, request: Request, principal: NamedDependency[Principal], data: JSONBody[WithdrawalCreate]) -> MyPayout:
        """`amount` (minor units, the fee included) leaves the earnings at once and waits for the
        office's review. A 400 on `amount` below the minimum, above the maximum or the daily
        limits, or beyond the balance; a 400 on `account` without a payout account."""
        await active_customer(principal)
        payout = await services.customer_withdraw(principal, data.amount, code=data.code, client=client_address(request))
        return mine(payout)


HANDLERS = [transfer_notify, EarningsController]
