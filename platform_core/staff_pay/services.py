"""Workers' pay: the franchise's pay settings and the statements drawn from the ledger.

A statement is a report of one worker's earnings account (`staff:{id}:earnings`) over one period:
its balance at the period's first instant (opening), every entry posted in the period as a line
(an order's commission, a bonus, a deduction, a payout, anything else), and its balance at the
period's end (closing), so opening + lines = closing, both read from the ledger. The ledger owns
the money; this domain owns the statement, its state and who moved it. See docs/staff-pay.md."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.ledger.schemas import EarningsEntry
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.orders.services import order_summaries
from platform_core.payouts import services as payouts
from platform_core.pluginsys.contexts import PayoutEvent
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext, translations

from . import periods
from .schemas import DrawResult, PayPeriod, PaySettings, Statement, StatementLine

LINE_KINDS = {"settlement": "order", "staff_bonus": "bonus", "staff_deduction": "deduction",
              "payout_hold": "payout", "payout_released": "payout"}
ADJUSTMENT_KEY = re.compile(r"staff_pay:adjustment:(\d+)")
_STATEMENT_COLUMNS = (
    "id, number, staff_id, first_day, last_day, starts_at, ends_at, currency, opening, orders_count, customers_paid, commission, "
    "bonuses, deductions, other, payouts, closing, net, state, drawn_at, confirmed_at, confirmed_by, paid_at, paid_by, pay_method, "
    "pay_reference"
)


READY = lazy_gettext("Your pay statement for %(first)s – %(last)s is ready")
PAID = lazy_gettext("Your pay statement for %(first)s – %(last)s is paid")


def zone() -> ZoneInfo:
    return ZoneInfo(current_tenant().timezone)


# --------------------------------------------------------------------------- settings


async def pay_settings() -> PaySettings:
    row = await current_connection().fetchrow("select period, week_start, draw_after_days, pay_mode from core_staff_pay_settings")
    return PaySettings(**dict(row)) if row else PaySettings()


async def save_pay_settings(data: PaySettings) -> PaySettings:
    await current_connection().execute(
        "insert into core_staff_pay_settings (tenant_id, period, week_start, draw_after_days, pay_mode) values ($1, $2, $3, $4, $5) "
        "on conflict (tenant_id) do update set period = excluded.period, week_start = excluded.week_start, "
        "draw_after_days = excluded.draw_after_days, pay_mode = excluded.pay_mode, updated_at = now()",
        current_tenant().id, data.period, data.week_start, data.draw_after_days, data.pay_mode)
    return data


async def period_starting(first_day: date | None) -> PayPeriod:
    """The period that contains `first_day` (today's when None), by the current settings."""
    settings = await pay_settings()
    return periods.period_of(first_day or clock.today(zone()), settings, zone())


# --------------------------------------------------------------------------- drawing up


def statement_number(period: PayPeriod, staff_id: int) -> str:
    """Unique per franchise, worker and period; also the payout number of its payment."""
    return f"ST{period.first_day:%Y%m%d}-{staff_id}"


async def _lines(entries: list[EarningsEntry]) -> dict[int, list[StatementLine]]:
    """The ledger's entries as each worker's statement lines, with the order's number, its
    service and what the customer paid, and an adjustment's reason (its posting's memo) and order."""
    adjustment_orders = await _adjustment_orders([int(m.group(1)) for e in entries if (m := ADJUSTMENT_KEY.fullmatch(e.key))])

    def order_of(entry: EarningsEntry) -> int | None:
        if entry.order_id is not None:
            return entry.order_id
        match = ADJUSTMENT_KEY.fullmatch(entry.key)
        return adjustment_orders.get(int(match.group(1))) if match else None

    orders = await order_summaries(order_id for e in entries if (order_id := order_of(e)) is not None)
    paid = await ledger.order_payments_settled([e.order_id for e in entries if e.kind == "settlement" and e.order_id])
    out: dict[int, list[StatementLine]] = defaultdict(list)
    for entry in entries:
        order_id = order_of(entry)
        summary = orders.get(order_id) if order_id is not None else None
        lines = out[entry.holder_id]
        lines.append(StatementLine(
            position=len(lines) + 1, kind=LINE_KINDS.get(entry.kind, "other"), occurred_at=entry.created_at, ledger_kind=entry.kind,
            order_id=order_id, order_number=summary.number if summary else "", item_title=summary.item_title[:200] if summary else "",
            customer_paid=paid.get(entry.order_id, 0) if entry.kind == "settlement" else 0, amount=entry.amount, note=entry.memo))
    return out


async def _adjustment_orders(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await current_connection().fetch(
        "select id, order_id from core_staff_adjustment where id = any($1::bigint[]) and order_id is not null", ids)
    return {r["id"]: r["order_id"] for r in rows}


def _totals(opening: int, lines: list[StatementLine]) -> dict[str, int]:
    by_kind: dict[str, int] = defaultdict(int)
    for line in lines:
        by_kind[line.kind] += line.amount
    commission, bonuses, deductions, other = by_kind["order"], by_kind["bonus"], -by_kind["deduction"], by_kind["other"]
    return {
        "opening": opening, "orders_count": len({line.order_id for line in lines if line.kind == "order"}),
        "customers_paid": sum(line.customer_paid for line in lines), "commission": commission, "bonuses": bonuses,
        "deductions": deductions, "other": other, "payouts": by_kind["payout"],
        "closing": opening + sum(line.amount for line in lines), "net": commission + bonuses - deductions + other,
    }


_INSERT_STATEMENT = """
insert into core_staff_statement (tenant_id, number, staff_id, first_day, last_day, starts_at, ends_at, currency, opening,
  orders_count, customers_paid, commission, bonuses, deductions, other, payouts, closing, net, drawn_by)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
on conflict (tenant_id, staff_id, first_day) do nothing
returning id
"""
_REDRAW_STATEMENT = """
update core_staff_statement set opening = $2, orders_count = $3, customers_paid = $4, commission = $5, bonuses = $6,
  deductions = $7, other = $8, payouts = $9, closing = $10, net = $11, drawn_by = $12, drawn_at = now()
where id = $1
"""


async def _write_lines(statement_id: int, lines: list[StatementLine], transaction_ids: list[int]) -> None:
    conn = current_connection()
    await conn.execute("delete from core_staff_statement_line where statement_id = $1", statement_id)
    await conn.executemany(
        "insert into core_staff_statement_line (tenant_id, statement_id, position, kind, occurred_at, ledger_transaction_id, "
        "ledger_kind, order_id, order_number, item_title, customer_paid, amount, note) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [(current_tenant().id, statement_id, line.position, line.kind, line.occurred_at, tx, line.ledger_kind, line.order_id,
          line.order_number, line.item_title, line.customer_paid, line.amount, line.note[:500])
         for line, tx in zip(lines, transaction_ids, strict=True)])


async def draw_statements(first_day: date, *, by: int | None = None, redraw: bool = True, staff_id: int | None = None) -> DrawResult:
    """Draw up the statements of the period containing `first_day`: one per worker whose
    earnings moved in it. A draft is drawn again from the ledger when `redraw` (the daily job
    leaves existing ones alone); a confirmed or paid one is never changed. Idempotent: the
    unique (worker, period) decides between two racing draws, and a draft being redrawn is
    locked first, so a confirm waits for it (or it for the confirm, and then leaves it)."""
    tenant = current_tenant()
    period = await period_starting(first_day)
    if period.ends_at > clock.now():
        raise ValidationFailed({"period": "This period has not ended yet: draw up its statements once it is over."})
    entries = await ledger.earnings_entries("staff", tenant.currency, period.starts_at, period.ends_at, holder_id=staff_id)
    lines = await _lines(entries)
    tx_ids: dict[int, list[int]] = defaultdict(list)
    for entry in entries:
        tx_ids[entry.holder_id].append(entry.transaction_id)
    openings = await ledger.earnings_balances_at("staff", tenant.currency, period.starts_at, sorted(lines))
    conn = current_connection()
    created = redrawn = kept = 0
    for holder_id in sorted(lines):
        totals = _totals(openings[holder_id], lines[holder_id])
        new_id = await conn.fetchval(
            _INSERT_STATEMENT, tenant.id, statement_number(period, holder_id), holder_id, period.first_day, period.last_day,
            period.starts_at, period.ends_at, tenant.currency, *totals.values(), by)
        if new_id is not None:
            await _write_lines(new_id, lines[holder_id], tx_ids[holder_id])
            created += 1
            continue
        row = await conn.fetchrow("select id, state from core_staff_statement where staff_id = $1 and first_day = $2 for update",
                                  holder_id, period.first_day)
        if row["state"] != "draft" or not redraw:
            kept += 1
            continue
        await conn.execute(_REDRAW_STATEMENT, row["id"], *totals.values(), by)
        await _write_lines(row["id"], lines[holder_id], tx_ids[holder_id])
        redrawn += 1
    return DrawResult(period=period, created=created, redrawn=redrawn, kept=kept)


async def draw_due_statements() -> DrawResult | None:
    """The daily job's work for the current franchise: on or after the draw day of the period
    that ended last, draw up the statements it lacks (existing ones are left as they are)."""
    settings, tz = await pay_settings(), zone()
    today = clock.today(tz)
    period = periods.last_ended(today, settings, tz)
    if today < periods.draw_day(period, settings):
        return None
    return await draw_statements(period.first_day, redraw=False)


# --------------------------------------------------------------------------- reading


def _statement(row, names: dict[int, str], lines: list[StatementLine] | None = None) -> Statement:
    return msgspec.convert({**dict(row), "staff_name": names.get(row["staff_id"], ""), "lines": lines or []}, Statement)


async def worker_names() -> dict[int, str]:
    return {w.id: w.name for w in await list_workers()}


async def period_statements(first_day: date) -> list[Statement]:
    """The statements of the period that starts on `first_day`, by worker name."""
    rows = await current_connection().fetch(
        f"select {_STATEMENT_COLUMNS} from core_staff_statement where first_day = $1 order by staff_id", first_day)
    names = await worker_names()
    return sorted((_statement(r, names) for r in rows), key=lambda s: (s.staff_name, s.staff_id))


async def worker_statements(staff_id: int, *, limit: int = 52) -> list[Statement]:
    """One worker's statements, newest period first (the staff app)."""
    rows = await current_connection().fetch(
        f"select {_STATEMENT_COLUMNS} from core_staff_statement where staff_id = $1 order by first_day desc limit $2", staff_id, limit)
    names = await worker_names()
    return [_statement(r, names) for r in rows]


async def get_statement(statement_id: int, *, staff_id: int | None = None) -> Statement:
    """A statement with its lines; with `staff_id`, only that worker's (another's is not found)."""
    conn = current_connection()
    row = await conn.fetchrow(
        f"select {_STATEMENT_COLUMNS} from core_staff_statement where id = $1 and ($2::bigint is null or staff_id = $2)",
        statement_id, staff_id)
    if row is None:
        raise NotFound("statement")
    rows = await conn.fetch(
        "select position, kind, occurred_at, ledger_kind, order_id, order_number, item_title, customer_paid, amount, note "
        "from core_staff_statement_line where statement_id = $1 order by position", statement_id)
    lines = [StatementLine(**dict(r)) for r in rows]
    return _statement(row, await worker_names(), lines)


async def ledger_closing_total(statements: list[Statement]) -> int | None:
    """The ledger's own sum of these workers' earnings at the period's end, to set beside the
    statements' closing balances (they tie out when equal). None when there are none."""
    if not statements:
        return None
    first = statements[0]
    balances = await ledger.earnings_balances_at("staff", first.currency, first.ends_at, [s.staff_id for s in statements])
    return sum(balances.values())


# --------------------------------------------------------------------------- confirming and paying


async def _locked(statement_id: int) -> Statement:
    row = await current_connection().fetchrow(f"select {_STATEMENT_COLUMNS} from core_staff_statement where id = $1 for update", statement_id)
    if row is None:
        raise NotFound("statement")
    return _statement(row, {})


async def confirm_statement(statement_id: int, *, by: int) -> Statement:
    """Finance checks a draft and confirms it: from now on its numbers do not change."""
    statement = await _locked(statement_id)
    if statement.state != "draft":
        raise Conflict("This statement is already confirmed.")
    await current_connection().execute(
        "update core_staff_statement set state = 'confirmed', confirmed_at = $2, confirmed_by = $3 where id = $1",
        statement_id, clock.now(), by)
    await _tell_worker(statement, READY)
    return await get_statement(statement_id)


async def _tell_worker(statement: Statement, title: str) -> None:
    """An entry in the worker's inbox (part of this transaction), in the franchise's language."""
    text = translations(current_tenant().locale).ugettext(title) % {"first": statement.first_day, "last": statement.last_day}
    await add_notification(NotificationCreate(recipient_kind="staff", recipient_id=statement.staff_id, title=text[:200],
                                              link=f"/staff/statements/{statement.id}"))


async def redraw_statement(statement_id: int, *, by: int) -> Statement:
    """A draft drawn again from the ledger (a late correction); a confirmed one can not change."""
    statement = await _locked(statement_id)
    if statement.state != "draft":
        raise Conflict("A confirmed statement can not be drawn again.")
    await draw_statements(statement.first_day, by=by, staff_id=statement.staff_id)
    return await get_statement(statement_id)


async def mark_paid_by_bank(statement_ids: list[int], *, by: int, reference: str) -> list[Statement]:
    """The office paid these confirmed statements by bank: for each, its net leaves the worker's
    earnings and is paid out of `provider:bank:clearing` (hold_payout then complete_payout, keyed
    by the statement's number, so it posts once), and the statement is paid. All or none: one
    that is not confirmed, has nothing to pay, or whose net the earnings no longer cover stops
    the batch with a 4xx naming it. Two racing requests queue on the statement's row; the
    second finds it paid (409)."""
    if not statement_ids:
        raise ValidationFailed({"statement_ids": "Choose the statements to mark paid."})
    if (await pay_settings()).pay_mode == "on_demand":
        # The workers withdraw what they are owed themselves; paying a statement too would pay
        # from the same earnings twice over.
        raise ValidationFailed({"statement_ids": "Workers of this franchise withdraw their earnings themselves: "
                                                 "statements are reports and are not paid."})
    paid = []
    for statement_id in sorted(set(statement_ids)):  # the same lock order in every request
        statement = await _locked(statement_id)
        if statement.state in ("paid", "paying"):
            raise Conflict("Statement %(number)s is already paid.", params={"number": statement.number})
        if statement.state != "confirmed":
            raise ValidationFailed({"statement_ids": "Confirm a statement before paying it."})
        if statement.to_pay <= 0:
            raise ValidationFailed({"statement_ids": "There is nothing to pay on this statement."})
        try:
            await ledger.hold_payout("staff", statement.staff_id, statement.currency, statement.to_pay, payout_no=statement.number)
        except ValidationFailed:
            raise ValidationFailed({"statement_ids": "The worker's earnings are less than this statement's net: "
                                                     "they were paid or withdrawn in the meantime."}) from None
        await ledger.complete_payout(statement.currency, statement.to_pay, 0, provider="bank", payout_no=statement.number)
        await current_connection().execute(
            "update core_staff_statement set state = 'paid', paid_at = $2, paid_by = $3, pay_method = 'bank', pay_reference = $4 "
            "where id = $1", statement_id, clock.now(), by, reference[:100])
        await _tell_worker(statement, PAID)
        paid.append(statement_id)
    return [await get_statement(i) for i in paid]


async def pay_by_transfer(statement_id: int, *, by: int) -> Statement:
    """Pay a confirmed statement's net to the worker's payout account (WeChat or Alipay) through
    payouts: a payout approved by `by`, held in the ledger now and sent by its job. The statement
    is `paying` until the transfer's end comes back (`payout_finished`). Refused like a bank
    payment (not confirmed, nothing to pay, earnings short, on-demand franchise), and when the
    worker has no payout account (400 on `account`)."""
    if (await pay_settings()).pay_mode == "on_demand":
        raise ValidationFailed({"statement_ids": "Workers of this franchise withdraw their earnings themselves: "
                                                 "statements are reports and are not paid."})
    statement = await _locked(statement_id)
    if statement.state in ("paid", "paying"):
        raise Conflict("Statement %(number)s is already paid.", params={"number": statement.number})
    if statement.state != "confirmed":
        raise ValidationFailed({"statement_ids": "Confirm a statement before paying it."})
    if statement.to_pay <= 0:
        raise ValidationFailed({"statement_ids": "There is nothing to pay on this statement."})
    try:
        payout = await payouts.create_payout("staff", statement.staff_id, statement.to_pay, source="statement",
                                             source_ref=statement.number, approved_by=by)
    except ValidationFailed as exc:
        if "amount" not in exc.fields:
            raise
        raise ValidationFailed({"statement_ids": "The worker's earnings are less than this statement's net: "
                                                 "they were paid or withdrawn in the meantime."}) from None
    await current_connection().execute(
        "update core_staff_statement set state = 'paying', pay_method = 'transfer', pay_reference = $2, paid_by = $3 where id = $1",
        statement_id, payout.payout_no, by)
    return await get_statement(statement_id)


async def payout_finished(event: PayoutEvent) -> None:
    """A statement's payout came to its end: paid, the statement is paid; failed (its money is
    back in the earnings), the statement can be paid again, by transfer or by bank."""
    if event.holder != "staff" or event.source != "statement":
        return
    conn = current_connection()
    statement_id = await conn.fetchval(
        "select id from core_staff_statement where number = $1 and state = 'paying' and pay_reference = $2 for update",
        event.source_ref, event.payout_no)
    if statement_id is None:
        return
    if event.state == "paid":
        await conn.execute("update core_staff_statement set state = 'paid', paid_at = $2 where id = $1", statement_id, event.occurred_at)
        await _tell_worker(await get_statement(statement_id), PAID)
    else:
        await conn.execute("update core_staff_statement set state = 'confirmed', pay_method = null, pay_reference = '', paid_by = null "
                           "where id = $1", statement_id)
