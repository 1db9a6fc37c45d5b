"""The console's money-out pages (Business menu): the withdrawals queue and a payout's review
page (the person, their balance and real-name status, the destination masked, their history;
approve, reject with a reason, query the provider now), the payouts with totals by state and
provider beside the ledger's figures, and the payout settings. Seeing needs `finance.view`;
deciding and the settings `finance.manage`. The approve and reject actions also answer JSON
under /api/v1/console/payouts, with the same 403 for the maker-checker rule."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody
from litestar.response import Redirect

from platform_core.accounts.console_services import console_user_names
from platform_core.accounts.guards import BEARER_SECURITY, require_console
from platform_core.accounts.services import (
    customer_cards,
    realname_verified,
    staff_names,
)
from platform_core.bounds import is_digits, text
from platform_core.errors import HearthError, NotFound, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.payments.provider import ProviderError
from platform_core.payments.services import installed_providers
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    as_struct,
    error_context,
    form_data,
    format_money_input,
    parse_money,
)
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import sending, services
from .schemas import (
    STATE_LABELS,
    Payout,
    PayoutAccountBind,
    PayoutFilter,
    PayoutSettingsUpdate,
)
from .views import MAX_AMOUNT, labels

BASE = "/console/finance"
VIEW = require_console("finance.view")
MANAGE = require_console("finance.manage")
DONE = {
    "approved": ("success", N_("Approved: the payout is being sent.")),
    "rejected": ("success", N_("Rejected: the money is back in the person's earnings and they were told why.")),
    "queried": ("info", N_("Asked the payment service; the state below is its answer.")),
    "settings": ("success", N_("The payout settings are saved.")),
    "account": ("success", N_("The worker's payout account is saved. Another finance user approves their next payouts.")),
}
MONEY_FIELDS = ("min_amount", "max_amount", "daily_amount", "fee_min", "review_threshold")


def _number(text: str) -> bool:
    return is_digits(text) and len(text) < 10


def _filter(request: Request) -> PayoutFilter:
    query = request.query_params
    page_no = query.get("page") or ""
    return PayoutFilter(state=query.get("state") if query.get("state") in STATE_LABELS else None,
                        holder=query.get("holder") if query.get("holder") in ("customer", "staff") else None,
                        page=int(page_no) if _number(page_no) and 0 < int(page_no) < 100_000 else 1)


async def _names(payouts: list[Payout]) -> dict[tuple[str, int], str]:
    customers = await customer_cards(p.holder_id for p in payouts if p.holder == "customer")
    workers = await staff_names(p.holder_id for p in payouts if p.holder == "staff")
    return {**{("customer", i): c.display_name or c.phone for i, c in customers.items()},
            **{("staff", i): n for i, n in workers.items()}}


def _flash(request: Request) -> list[tuple[str, str]]:
    done = DONE.get(request.query_params.get("done", ""))
    return [done] if done else []


@get(f"{BASE}/withdrawals", guards=[VIEW], include_in_schema=False, name="console-withdrawals")
async def queue(request: Request) -> Response:
    query = request.query_params
    f = _filter(request) if "state" in query else msgspec.structs.replace(_filter(request), state="requested")
    payouts, total = await services.search_payouts(f)
    return page(request, "payouts/console_withdrawals.html", console=True, filters=f, payouts=payouts, total=total,
                names=await _names(payouts), pages=(total + services.PAGE_SIZE - 1) // services.PAGE_SIZE,
                query={k: v for k, v in query.items() if k != "page"}, flash=_flash(request), **labels())


async def _detail(request: Request, payout_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    payout = await services.get_payout(payout_id)
    names = await _names([payout])
    currency = payout.currency
    people = await console_user_names([i for i in (payout.decided_by, payout.destination_changed_by_id if payout.destination_changed_by_kind == "console" else None,
                                                   payout.requested_by_id if payout.requested_by_kind == "console" else None) if i])
    return page(request, "payouts/console_payout.html", console=True, status_code=status_code, payout=payout, name=names.get((payout.holder, payout.holder_id), ""),
                balance=await ledger.balance(services.earnings_code(payout.holder, payout.holder_id), currency),
                verified=await realname_verified(payout.holder_id) if payout.holder == "customer" else None,
                history=[p for p in await services.holder_payouts(payout.holder, payout.holder_id, 20) if p.id != payout.id],
                people=people, flash=_flash(request), **labels(), **{"values": {}, "errors": {}, "form_error": None, **extra})


@get(f"{BASE}/withdrawals/{{payout_id:int}}", guards=[VIEW], include_in_schema=False, name="console-payout")
async def payout_page(request: Request, payout_id: PathId) -> Response:
    return await _detail(request, payout_id)


def _user_id(request: Request) -> int:
    return request.scope["state"]["console_user"].id


@post(f"{BASE}/withdrawals/{{payout_id:int}}/approve", guards=[MANAGE], include_in_schema=False, name="console-payout-approve")
async def approve(request: Request, payout_id: PathId) -> Response:
    try:
        await services.approve(payout_id, _user_id(request))
    except HearthError as exc:
        return await _detail(request, payout_id, status_code=exc.status_code, **error_context(exc))
    return Redirect(f"{BASE}/withdrawals/{payout_id}?done=approved", status_code=303)


@post(f"{BASE}/withdrawals/{{payout_id:int}}/reject", guards=[MANAGE], include_in_schema=False, name="console-payout-reject")
async def reject(request: Request, payout_id: PathId) -> Response:
    form = await form_data(request)
    try:
        decision = as_struct({"reason": form.get("reason", "")}, PayoutDecision)
        await services.reject(payout_id, _user_id(request), decision.reason)
    except HearthError as exc:
        return await _detail(request, payout_id, status_code=exc.status_code, values=form, **error_context(exc))
    return Redirect(f"{BASE}/withdrawals/{payout_id}?done=rejected", status_code=303)


@post(f"{BASE}/withdrawals/{{payout_id:int}}/query", guards=[MANAGE], include_in_schema=False, name="console-payout-query")
async def query_now(request: Request, payout_id: PathId) -> Response:
    await services.get_payout(payout_id)
    try:
        await sending.query(payout_id)
    except ProviderError as exc:
        return await _detail(request, payout_id, status_code=502, form_error=exc.message)
    return Redirect(f"{BASE}/withdrawals/{payout_id}?done=queried", status_code=303)


@get(f"{BASE}/payouts", guards=[VIEW], include_in_schema=False, name="console-payouts")
async def payouts_page(request: Request) -> Response:
    f = _filter(request)
    payouts, total = await services.search_payouts(f)
    currency = current_tenant().currency
    totals = await services.totals()
    clearing = {name: await ledger.balance(f"provider:{name}:clearing", currency) for name in sorted({t.provider for t in totals if t.provider})}
    return page(request, "payouts/console_payouts.html", console=True, filters=f, payouts=payouts, total=total, totals=totals,
                names=await _names(payouts), pages=(total + services.PAGE_SIZE - 1) // services.PAGE_SIZE,
                pending_ledger=await ledger.balance("payouts:pending", currency), fees_ledger=await ledger.balance("franchise:payout_fees", currency),
                clearing=clearing, currency=currency, providers={n: p.label for n, p in installed_providers().items()},
                query={k: v for k, v in request.query_params.items() if k != "page"}, **labels())


def _settings_values(rules) -> dict[str, str]:
    currency = current_tenant().currency
    values = {name: format_money_input(getattr(rules, name), currency) for name in MONEY_FIELDS}
    return {**values, "daily_count": str(rules.daily_count), "fee_percent": f"{rules.fee_bp / 100:g}", "staff_on_demand": "1" if rules.staff_on_demand else ""}


@get(f"{BASE}/payout-settings", guards=[VIEW], include_in_schema=False, name="console-payout-settings")
async def settings_page(request: Request) -> Response:
    return page(request, "payouts/console_settings.html", console=True, values=_settings_values(await services.settings()), errors={},
                flash=_flash(request))


def _settings_update(form: dict[str, str]) -> PayoutSettingsUpdate:
    currency, errors, data = current_tenant().currency, {}, {}
    for name in MONEY_FIELDS:
        try:
            data[name] = parse_money(form.get(name, "")[:20], currency)
            if not 0 <= data[name] <= MAX_AMOUNT:
                raise ValueError(name)
        except ValueError:
            errors[name] = N_("Enter an amount like 50 or 50.50.")
    try:
        percent = float(form.get("fee_percent", "0")[:10] or 0)
        if not 0 <= percent <= 50:
            raise ValueError(percent)
        data["fee_bp"] = round(percent * 100)
        if not 0 <= data["fee_bp"] <= 5000:
            raise ValueError
    except ValueError:
        errors["fee_percent"] = N_("Enter a percentage from 0 to 50.")
    count = form.get("daily_count", "")
    if _number(count) and 1 <= int(count) <= 100:
        data["daily_count"] = int(count)
    else:
        errors["daily_count"] = N_("Enter a number from 1 to 100.")
    if errors:
        raise ValidationFailed(errors)
    return PayoutSettingsUpdate(**data, staff_on_demand=form.get("staff_on_demand") == "1")


@post(f"{BASE}/payout-settings", guards=[MANAGE], include_in_schema=False, name="console-payout-settings-save")
async def save_settings(request: Request) -> Response:
    form = await form_data(request)
    try:
        await services.save_settings(_settings_update(form))
    except HearthError as exc:
        return page(request, "payouts/console_settings.html", console=True, status_code=exc.status_code, values=form, flash=[],
                    **error_context(exc))
    return Redirect(f"{BASE}/payout-settings?done=settings", status_code=303)


@get(f"{BASE}/payout-accounts/staff/{{staff_id:int}}", guards=[MANAGE], include_in_schema=False, name="console-staff-payout-account")
async def staff_account_page(request: Request, staff_id: PathId) -> Response:
    """The office sets a worker's Alipay account (a worker without a smartphone). Who did is
    kept: that office user can not approve the worker's next payouts (maker-checker)."""
    return await _staff_account(request, staff_id)


async def _staff_account(request: Request, staff_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    name = (await staff_names([staff_id])).get(staff_id)
    if name is None:
        raise NotFound("staff")
    return page(request, "payouts/console_staff_account.html", console=True, status_code=status_code, staff_id=staff_id, name=name,
                account=await services.payout_account("staff", staff_id), flash=_flash(request),
                **{"values": {}, "errors": {}, **extra}, **labels())


@post(f"{BASE}/payout-accounts/staff/{{staff_id:int}}", guards=[MANAGE], include_in_schema=False, name="console-staff-payout-account-save")
async def save_staff_account(request: Request, staff_id: PathId) -> Response:
    if (await staff_names([staff_id])).get(staff_id) is None:
        raise NotFound("staff")
    form = await form_data(request)
    try:
        data = as_struct({"kind": "alipay_login", "account": form.get("account", ""), "real_name": form.get("real_name", "")},
                         PayoutAccountBind)
        await services.bind_staff_account(staff_id, data, actor_kind="console", actor_id=_user_id(request))
    except HearthError as exc:
        return await _staff_account(request, staff_id, status_code=exc.status_code, values=form, **error_context(exc))
    return Redirect(f"{BASE}/payout-accounts/staff/{staff_id}?done=account", status_code=303)


class PayoutDecision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: text(300) = ""  # type: ignore[valid-type]  # the column's length, as the page's field allows


class ConsolePayoutController(Controller):
    """Deciding a withdrawal from an office client (JSON): the same rules as the pages."""

    path = "/api/v1/console/payouts"
    tags = ["Console: payouts"]
    guards = [MANAGE]
    security = BEARER_SECURITY

    @post("/{payout_id:int}/approve", operation_id="approvePayout", status_code=200, summary="Approve a withdrawal")
    async def approve(self, request: Request, payout_id: PathId) -> Payout:
        """A 403 when the office user changed the person's payout account or asked for the
        payout (maker-checker); a 409 when it was already decided."""
        return await services.approve(payout_id, _user_id(request))

    @post("/{payout_id:int}/reject", operation_id="rejectPayout", status_code=200, summary="Reject a withdrawal with a reason")
    async def reject(self, request: Request, payout_id: PathId, data: JSONBody[PayoutDecision]) -> Payout:
        return await services.reject(payout_id, _user_id(request), data.reason)


CONSOLE_HANDLERS = [queue, payout_page, approve, reject, query_now, payouts_page, settings_page, save_settings, staff_account_page,
                    save_staff_account, ConsolePayoutController]
