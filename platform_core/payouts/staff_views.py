"""The worker's withdrawals in the staff app (/staff/earnings/withdraw): what is owed, the Alipay
account the money goes to, the withdraw form and the history. Reached from the earnings page's
"withdraw" entry (compute_earnings_panels) when the franchise lets workers withdraw."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency

from platform_core.accounts.guards import require_staff
from platform_core.accounts.services import active_staff
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError, NotFound
from platform_core.ledger import services as ledger
from platform_core.tenancy.context import current_tenant
from platform_core.web.forms import (
    as_struct,
    error_context,
    form_data,
    redirect_after_post,
)
from platform_core.web.pages import page

from . import services
from .schemas import PayoutAccountBind
from .views import NOTICES, labels, money_amount

HOME = "/staff/earnings/withdraw"


async def _page(request: Request, staff_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    rules = await services.settings()
    if not rules.staff_on_demand:
        raise NotFound("page")
    currency = current_tenant().currency
    return page(request, "payouts/staff_withdraw.html", status_code=status_code, rules=rules, currency=currency, quote=None,
                balance=await ledger.balance(services.earnings_code("staff", staff_id), currency),
                held=await services.held_amount("staff", staff_id), account=await services.payout_account("staff", staff_id),
                payouts=await services.holder_payouts("staff", staff_id), notice=NOTICES.get(request.query_params.get("done", "")),
                **labels(), **{"values": {}, "errors": {}, **extra})


@get(HOME, guards=[require_staff], include_in_schema=False, name="staff-withdraw")
async def withdraw_page(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    return await _page(request, staff.id)


@post(HOME, guards=[require_staff], include_in_schema=False)
async def withdraw(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    form = await form_data(request)
    try:
        await services.staff_withdraw(staff.id, money_amount(form.get("amount", "")[:20]))
    except HearthError as exc:
        context = error_context(exc)
        if not context["errors"]:
            context["errors"] = {"amount": context["form_error"]}
        return await _page(request, staff.id, status_code=exc.status_code, values=form, **context)
    return redirect_after_post(request, f"{HOME}?done=requested")


@post(f"{HOME}/account", guards=[require_staff], include_in_schema=False)
async def bind_account(request: Request, principal: NamedDependency[Principal]) -> Response:
    staff = await active_staff(principal)
    form = await form_data(request)
    try:
        data = as_struct({"kind": "alipay_login", "account": form.get("account", ""), "real_name": form.get("real_name", "")},
                         PayoutAccountBind)
        await services.bind_staff_account(staff.id, data, actor_kind="staff", actor_id=staff.id)
    except HearthError as exc:
        return await _page(request, staff.id, status_code=exc.status_code, values=form, **error_context(exc))
    return redirect_after_post(request, f"{HOME}?done=account")


STAFF_HANDLERS = [withdraw_page, withdraw, bind_account]
