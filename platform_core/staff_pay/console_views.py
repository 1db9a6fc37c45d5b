"""The console's pay pages (Finance): statements of a period per worker with their totals and
the ledger's tie-out, drawing up by hand, one statement (lines, confirm, redraw, mark paid, CSV),
the bank batch CSV, the pay settings, bonuses and deductions (maker-checker) and workers' bank
details. Seeing needs `finance.view`; every change `finance.manage`."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, get, post

from platform_core import clock
from platform_core.accounts.console_services import list_console_users
from platform_core.accounts.guards import require_console
from platform_core.accounts.ratelimit import Limit, enforce
from platform_core.bounds import is_digits
from platform_core.errors import HearthError, ValidationFailed
from platform_core.money import to_minor
from platform_core.payouts.services import payout_account
from platform_core.runtime import current_runtime
from platform_core.staff.services import get_worker, list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import (
    as_struct,
    done_notice,
    error_context,
    form_data,
    redirect_after_post,
)
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import adjustments, bank, csv_export, periods, services
from .schemas import MAX_ADJUSTMENT, AdjustmentCreate, BankAccountUpdate, PaySettings

BASE = "/console/finance/statements"
VIEW = require_console("finance.view")
MANAGE = require_console("finance.manage")
STATE_LABELS = {"draft": N_("Draft"), "confirmed": N_("Confirmed"), "paying": N_("Paying by transfer"), "paid": N_("Paid")}
STATE_TONES = {"draft": "warning", "confirmed": "info", "paying": "info", "paid": "success"}
LINE_LABELS = {"order": N_("Completed order"), "bonus": N_("Bonus"), "deduction": N_("Deduction"), "payout": N_("Payout"),
               "other": N_("Refund or correction")}
ADJUSTMENT_LABELS = {"bonus": N_("Bonus"), "deduction": N_("Deduction")}
ADJUSTMENT_STATES = {"proposed": N_("Waiting for approval"), "approved": N_("Approved"), "rejected": N_("Rejected")}
ADJUSTMENT_TONES = {"proposed": "warning", "approved": "success", "rejected": "danger"}
PERIOD_LABELS = {"weekly": N_("Weekly"), "monthly": N_("Monthly")}
PAY_MODE_LABELS = {"statement": N_("By statement: the office pays each confirmed statement"),
                   "on_demand": N_("On demand: workers withdraw their earnings; statements are reports")}
WEEKDAYS = [N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday")]
NOTICES = {
    "drawn": N_("The statements are drawn up from the ledger."),
    "confirmed": N_("The statement is confirmed: its numbers are frozen."),
    "transfer": N_("The payment is on its way to the worker's account. The statement shows paid once the payment service confirms it."),
    "redrawn": N_("The statement is drawn again from the ledger."),
    "paid": N_("Marked paid by bank, and posted to the ledger."),
    "settings": N_("The pay settings are saved."),
    "proposed": N_("The adjustment waits for a colleague's approval."),
    "approved": N_("The adjustment is approved and posted to the worker's earnings."),
    "rejected": N_("The adjustment is rejected."),
    "bank": N_("The bank details are saved."),
}


# Paying, exporting account numbers and changing where money goes: generous for an office's
# day, tight enough that a stolen session can not script it.
MONEY_PER_USER = (Limit("1h", 60, 3600),)


def _user(request: Request) -> int:
    return request.scope["state"]["console_user"].id


async def _limit(request: Request, action: str) -> None:
    await enforce(current_runtime().kv, current_tenant().key("staff-pay", action, _user(request)), MONEY_PER_USER)


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "state_tones": STATE_TONES, "line_labels": LINE_LABELS, "currency": current_tenant().currency,
            "tz": services.zone()}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def _period_page(request: Request, first_day: date | None, *, status_code: int = 200, **extra: Any) -> Response:
    settings, tz = await services.pay_settings(), services.zone()
    period = await services.period_starting(first_day)
    if first_day is None and period.ends_at > clock.now():
        period = periods.previous(period, settings, tz)  # the office works on the period that ended
    statements = await services.period_statements(period.first_day)
    totals = {name: sum(getattr(s, name) for s in statements)
              for name in ("orders_count", "customers_paid", "commission", "bonuses", "deductions", "other", "payouts", "opening", "closing")}
    totals["to_pay"] = sum(s.to_pay for s in statements if s.state != "paid")
    extra.setdefault("errors", {})
    return page(
        request, "staff_pay/console_statements.html", console=True, status_code=status_code, period=period, settings=settings,
        previous=periods.previous(period, settings, tz), following=periods.following(period, settings, tz),
        ended=period.ends_at <= clock.now(), statements=statements, totals=totals,
        ledger_closing=await services.ledger_closing_total(statements), accounts=await bank.bank_accounts([s.staff_id for s in statements]),
        flash=done_notice(request, NOTICES), **_labels(), **extra)


@get(BASE, guards=[VIEW], include_in_schema=False, name="console-statements")
async def statements_page(request: Request) -> Response:
    return await _period_page(request, _day(request.query_params.get("period")))


@post(f"{BASE}/draw", guards=[MANAGE], include_in_schema=False, name="console-statements-draw")
async def draw(request: Request) -> Response:
    values = await form_data(request)
    first_day = _day(values.get("period"))
    try:
        if first_day is None:
            raise ValidationFailed({"period": "Choose a period."})
        result = await services.draw_statements(first_day, by=_user(request))
    except HearthError as exc:
        return await _period_page(request, first_day, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"{BASE}?period={result.period.first_day}&done=drawn")


async def _statement_page(request: Request, statement_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    statement = await services.get_statement(statement_id)
    people = {u.id: u.display_name or u.email for u in await list_console_users()}
    extra.setdefault("errors", {})
    return page(request, "staff_pay/console_statement.html", console=True, status_code=status_code, statement=statement, people=people,
                account=(await bank.bank_accounts([statement.staff_id])).get(statement.staff_id), flash=done_notice(request, NOTICES),
                pay_mode=(await services.pay_settings()).pay_mode, payout_account=await payout_account("staff", statement.staff_id),
                **_labels(), **extra)


@get(f"{BASE}/{{statement_id:int}}", guards=[VIEW], include_in_schema=False, name="console-statement")
async def statement_page(request: Request, statement_id: PathId) -> Response:
    return await _statement_page(request, statement_id)


@get(f"{BASE}/{{statement_id:int}}/csv", guards=[VIEW], include_in_schema=False, name="console-statement-csv")
async def statement_csv(statement_id: PathId) -> Response:
    statement = await services.get_statement(statement_id)
    return _csv(csv_export.statement_csv(statement, services.zone(), LINE_LABELS), f"{statement.number}.csv")


def _csv(body: bytes, filename: str) -> Response:
    return Response(content=body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@post(f"{BASE}/{{statement_id:int}}/confirm", guards=[MANAGE], include_in_schema=False, name="console-statement-confirm")
async def confirm(request: Request, statement_id: PathId) -> Response:
    try:
        await services.confirm_statement(statement_id, by=_user(request))
    except HearthError as exc:
        return await _statement_page(request, statement_id, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"{BASE}/{statement_id}?done=confirmed")


@post(f"{BASE}/{{statement_id:int}}/redraw", guards=[MANAGE], include_in_schema=False, name="console-statement-redraw")
async def redraw(request: Request, statement_id: PathId) -> Response:
    try:
        await services.redraw_statement(statement_id, by=_user(request))
    except HearthError as exc:
        return await _statement_page(request, statement_id, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"{BASE}/{statement_id}?done=redrawn")


@post(f"{BASE}/pay", guards=[MANAGE], include_in_schema=False, name="console-statements-pay")
async def mark_paid(request: Request) -> Response:
    """Mark paid by bank: one statement (from its page) or the ticked ones of a period."""
    form = await request.form()
    ids = [int(v) for v in form.getall("statement_ids", [])[:500] if is_digits(str(v)) and 0 < int(v) < 2**63]
    reference = str(form.get("reference") or "").strip()
    single = ids[0] if form.get("from") == "statement" and len(ids) == 1 else None
    try:
        await _limit(request, "pay")
        if len(reference) > 100 or "\x00" in reference:
            raise ValidationFailed({"reference": "Enter the bank's reference (at most 100 characters)."})
        paid = await services.mark_paid_by_bank(ids, by=_user(request), reference=reference)
    except HearthError as exc:
        if single is not None:
            return await _statement_page(request, single, status_code=exc.status_code, values={"reference": reference}, **error_context(exc))
        return await _period_page(request, _day(str(form.get("period") or "")), status_code=exc.status_code, **error_context(exc))
    if single is not None:
        return redirect_after_post(request, f"{BASE}/{single}?done=paid")
    return redirect_after_post(request, f"{BASE}?period={paid[0].first_day}&done=paid")


@post(f"{BASE}/{{statement_id:int}}/transfer", guards=[MANAGE], include_in_schema=False, name="console-statement-transfer")
async def pay_by_transfer(request: Request, statement_id: PathId) -> Response:
    """Pay one confirmed statement to the worker's payout account (WeChat or Alipay)."""
    try:
        await _limit(request, "pay")
        await services.pay_by_transfer(statement_id, by=_user(request))
    except HearthError as exc:
        return await _statement_page(request, statement_id, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"{BASE}/{statement_id}?done=transfer")


@get(f"{BASE}/bank-batch.csv", guards=[MANAGE], include_in_schema=False, name="console-statements-bank-batch")
async def bank_batch(request: Request) -> Response:
    """The confirmed statements of a period with something to pay, with the workers' bank
    details in clear, for the bank's batch payment (finance.manage only)."""
    await _limit(request, "bank-batch")
    period = await services.period_starting(_day(request.query_params.get("period")))
    due = [s for s in await services.period_statements(period.first_day) if s.state == "confirmed" and s.to_pay > 0]
    accounts = await bank.bank_accounts([s.staff_id for s in due], reveal=True)
    return _csv(csv_export.bank_batch_csv(due, accounts), f"bank-batch-{period.first_day}.csv")


# --------------------------------------------------------------------------- settings


def _settings_values(s: PaySettings) -> dict[str, str]:
    return {"period": s.period, "week_start": str(s.week_start), "draw_after_days": str(s.draw_after_days), "pay_mode": s.pay_mode}


def _settings_page(request: Request, values: dict[str, str], *, status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("errors", {})
    return page(request, "staff_pay/console_settings.html", console=True, status_code=status_code, values=values,
                periods=_options(PERIOD_LABELS), pay_modes=_options(PAY_MODE_LABELS),
                weekdays=[(str(i), _(day)) for i, day in enumerate(WEEKDAYS)],
                offsets=[(str(n), _("On the first day of the next period") if n == 0 else _("%(days)s days later", days=n)) for n in range(11)],
                flash=done_notice(request, NOTICES), **extra)


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, _(label)) for key, label in labels.items()]


@get(f"{BASE}/settings", guards=[MANAGE], include_in_schema=False, name="console-staff-pay-settings")
async def settings_page(request: Request) -> Response:
    return _settings_page(request, _settings_values(await services.pay_settings()))


@post(f"{BASE}/settings", guards=[MANAGE], include_in_schema=False, name="console-staff-pay-settings-save")
async def save_settings(request: Request) -> Response:
    values = await form_data(request)
    try:
        data = as_struct({k: values.get(k, "") for k in ("period", "week_start", "draw_after_days", "pay_mode")}, PaySettings)
        await services.save_pay_settings(data)
    except HearthError as exc:
        return _settings_page(request, values, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"{BASE}/settings?done=settings")


# --------------------------------------------------------------------------- adjustments


async def _adjustments_page(request: Request, values: dict[str, str] | None = None, *, status_code: int = 200, **extra: Any) -> Response:
    people = {u.id: u.display_name or u.email for u in await list_console_users()}
    extra.setdefault("errors", {})
    return page(request, "staff_pay/console_adjustments.html", console=True, status_code=status_code,
                rows=await adjustments.list_adjustments(),
                worker_options=[(str(w.id), w.name) for w in await list_workers(status="active")], people=people, me=_user(request),
                values=values or {"kind": "bonus"}, kinds=ADJUSTMENT_LABELS, kind_options=_options(ADJUSTMENT_LABELS), states=ADJUSTMENT_STATES, tones=ADJUSTMENT_TONES,
                currency=current_tenant().currency, tz=services.zone(), flash=done_notice(request, NOTICES), **extra)


@get("/console/finance/adjustments", guards=[VIEW], include_in_schema=False, name="console-staff-adjustments")
async def adjustments_page(request: Request) -> Response:
    return await _adjustments_page(request)


@post("/console/finance/adjustments", guards=[MANAGE], include_in_schema=False, name="console-staff-adjustment-propose")
async def propose(request: Request) -> Response:
    values = await form_data(request)
    try:
        try:
            amount = to_minor(values.get("amount", ""))
        except ValueError:
            amount = 0
        if not 0 < amount <= MAX_ADJUSTMENT:
            raise ValidationFailed({"amount": "Enter an amount from 0.01 to 100000, like 50 or 49.90."})
        data = as_struct({"staff_id": values.get("staff_id", ""), "kind": values.get("kind", ""), "amount": amount,
                          "reason": values.get("reason", ""), "order_number": values.get("order_number", "")}, AdjustmentCreate)
        await adjustments.propose_adjustment(data, proposed_by=_user(request))
    except HearthError as exc:
        return await _adjustments_page(request, values, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, "/console/finance/adjustments?done=proposed")


async def _decide(request: Request, adjustment_id: int, decision: str) -> Response:
    try:
        if decision == "approved":
            await adjustments.approve_adjustment(adjustment_id, approved_by=_user(request))
        else:
            await adjustments.reject_adjustment(adjustment_id, rejected_by=_user(request))
    except HearthError as exc:
        return await _adjustments_page(request, status_code=exc.status_code, **error_context(exc))
    return redirect_after_post(request, f"/console/finance/adjustments?done={decision}")


@post("/console/finance/adjustments/{adjustment_id:int}/approve", guards=[MANAGE], include_in_schema=False,
      name="console-staff-adjustment-approve")
async def approve(request: Request, adjustment_id: PathId) -> Response:
    """Maker-checker: the one who added the adjustment gets a 403 here."""
    return await _decide(request, adjustment_id, "approved")


@post("/console/finance/adjustments/{adjustment_id:int}/reject", guards=[MANAGE], include_in_schema=False,
      name="console-staff-adjustment-reject")
async def reject(request: Request, adjustment_id: PathId) -> Response:
    return await _decide(request, adjustment_id, "rejected")


# --------------------------------------------------------------------------- bank details


async def _bank_page(request: Request, staff_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    worker = await get_worker(staff_id)
    extra.setdefault("errors", {})
    extra.setdefault("values", {})
    return page(request, "staff_pay/console_bank.html", console=True, status_code=status_code, worker=worker,
                account=(await bank.bank_accounts([staff_id])).get(staff_id), flash=done_notice(request, NOTICES), **extra)


@get(f"{BASE}/workers/{{staff_id:int}}/bank", guards=[MANAGE], include_in_schema=False, name="console-staff-bank")
async def bank_page(request: Request, staff_id: PathId) -> Response:
    return await _bank_page(request, staff_id)


@post(f"{BASE}/workers/{{staff_id:int}}/bank", guards=[MANAGE], include_in_schema=False, name="console-staff-bank-save")
async def save_bank(request: Request, staff_id: PathId) -> Response:
    await get_worker(staff_id)  # another franchise's worker: 404 before reading the form
    values = await form_data(request)
    try:
        await _limit(request, "bank")
        data = as_struct({k: values.get(k, "") for k in ("holder", "bank", "account_number")}, BankAccountUpdate)
        if not data.holder.strip():
            raise ValidationFailed({"holder": "This field is required."})
        await bank.save_bank_account(staff_id, data, by=_user(request))
    except HearthError as exc:
        values.pop("account_number", None)  # never echoed back into the page
        return await _bank_page(request, staff_id, status_code=exc.status_code, values=values, **error_context(exc))
    return redirect_after_post(request, f"{BASE}/workers/{staff_id}/bank?done=bank")


CONSOLE_HANDLERS = [statements_page, draw, statement_page, statement_csv, confirm, redraw, mark_paid, pay_by_transfer, bank_batch, settings_page,
                    save_settings, adjustments_page, propose, approve, reject, bank_page, save_bank]
