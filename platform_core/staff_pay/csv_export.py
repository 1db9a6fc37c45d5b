"""CSV files the office downloads: one statement, and the bank batch of statements to pay. UTF-8
with a byte order mark, so Excel opens Chinese names; a cell that a spreadsheet would read as a
formula is quoted with a leading apostrophe."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from platform_core.web.i18n import gettext as _

from .schemas import BankAccount, Statement


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _amount(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _write(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def statement_csv(statement: Statement, tz: ZoneInfo, line_labels: dict[str, str]) -> bytes:
    rows: list[list[object]] = [
        [_("Statement"), statement.number], [_("Worker"), statement.staff_name],
        [_("Period"), f"{statement.first_day} – {statement.last_day}"], [_("Currency"), statement.currency], [],
        [_("Date"), _("Kind"), _("Order number"), _("Service"), _("Customer paid"), _("Amount"), _("Note")],
    ]
    for line in statement.lines:
        rows.append([line.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), _(line_labels[line.kind]), line.order_number,
                     line.item_title, _amount(line.customer_paid) if line.kind == "order" else "", _amount(line.amount), line.note])
    rows += [[], [_("Opening balance"), _amount(statement.opening)], [_("Commission"), _amount(statement.commission)],
             [_("Bonuses"), _amount(statement.bonuses)], [_("Deductions"), _amount(-statement.deductions)],
             [_("Other adjustments"), _amount(statement.other)], [_("Payouts"), _amount(statement.payouts)],
             [_("Closing balance"), _amount(statement.closing)], [_("Net to pay"), _amount(statement.to_pay)]]
    return _write(rows)


def bank_batch_csv(statements: list[Statement], accounts: dict[int, BankAccount]) -> bytes:
    rows: list[list[object]] = [[_("Worker"), _("Account holder"), _("Bank"), _("Account number"), _("Amount"), _("Currency"),
                                 _("Statement")]]
    for s in statements:
        account = accounts.get(s.staff_id)
        rows.append([s.staff_name, account.holder if account else "", account.bank if account else "",
                     account.account_masked if account else "", _amount(s.to_pay), s.currency, s.number])
    return _write(rows)
