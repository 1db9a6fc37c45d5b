"""The pay pages over HTTP: the office's statements, CSVs and maker-checker, the worker's own
statements, and what another franchise or another worker can not see."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from platform_core import clock
from platform_core.staff_pay import periods, services
from platform_core.staff_pay.schemas import PaySettings
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_console_user,
    make_worker,
    post_form,
    signed_in,
)

from .helpers import backdate, settled_order


async def _last_month_statement(tenant, owner_url, worker: int, *, paid: int = 10000) -> int:
    async with tenant_scope(tenant.id):
        await services.save_pay_settings(PaySettings(period="monthly"))
        tz = services.zone()
        month = periods.last_ended(clock.today(tz), PaySettings(period="monthly"), tz)
    order_id = await settled_order(tenant, worker, paid=paid)
    await backdate(owner_url, tenant.id, month.starts_at + timedelta(days=1), order_id=order_id)
    async with tenant_scope(tenant.id):
        await services.draw_statements(month.first_day)
        return next(s.id for s in await services.period_statements(month.first_day) if s.staff_id == worker)


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_the_office_confirms_marks_paid_and_exports_the_bank_batch(app, tenant_a, hearth_owner_url):
    worker = await make_worker(tenant_a, "王阿姨")
    statement_id = await _last_month_statement(tenant_a, hearth_owner_url, worker)
    user = await make_console_user(tenant_a, "finance")
    async with await signed_in(app, tenant_a, "console", user.id) as office:
        listing = await office.get("/console/finance/statements")
        assert listing.status_code == 200 and "王阿姨" in listing.text and "Ties out" in listing.text
        bank = await post_form(office, f"/console/finance/statements/workers/{worker}/bank",
                               {"holder": "王小梅", "bank": "工商银行 浦东支行", "account_number": "6222 0210 0112 3456"})
        assert bank.status_code == 303
        shown = await office.get(f"/console/finance/statements/workers/{worker}/bank")
        assert "**** 3456" in shown.text and "6222" not in shown.text and "王小梅" not in shown.text
        assert (await post_form(office, f"/console/finance/statements/{statement_id}/confirm")).status_code == 303
        again = await post_form(office, f"/console/finance/statements/{statement_id}/confirm")
        assert again.status_code == 409
        statement = await office.get(f"/console/finance/statements/{statement_id}/csv")
        rows = _rows(statement.content)
        assert rows[1] == ["Worker", "王阿姨"] and ["Net to pay", "60.00"] in rows
        async with tenant_scope(tenant_a.id):
            first_day = (await services.get_statement(statement_id)).first_day
        batch = await office.get(f"/console/finance/statements/bank-batch.csv?period={first_day}")
        assert _rows(batch.content)[1] == ["王阿姨", "王小梅", "工商银行 浦东支行", "6222021001123456", "60.00", "CNY",
                                           f"ST{first_day:%Y%m%d}-{worker}"]
        paid = await post_form(office, "/console/finance/statements/pay",
                               {"statement_ids": str(statement_id), "reference": "ICBC-1", "from": "statement"})
        assert paid.status_code == 303
        twice = await post_form(office, "/console/finance/statements/pay",
                                {"statement_ids": str(statement_id), "reference": "ICBC-1", "from": "statement"})
        assert twice.status_code == 409 and "already paid" in twice.text
        page = await office.get(f"/console/finance/statements/{statement_id}")
        assert "ICBC-1" in page.text and "Paid" in page.text


async def test_the_one_who_adds_an_adjustment_can_not_approve_it(app, tenant_a):
    worker = await make_worker(tenant_a, "李师傅")
    maker, checker = await make_console_user(tenant_a, "finance"), await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", maker.id) as office:
        bad = await post_form(office, "/console/finance/adjustments", {"staff_id": str(worker), "kind": "bonus", "amount": "abc", "reason": ""})
        assert bad.status_code == 400 and "Enter an amount" in bad.text
        added = await post_form(office, "/console/finance/adjustments",
                                {"staff_id": str(worker), "kind": "deduction", "amount": "20", "reason": "打碎花瓶"})
        assert added.status_code == 303
        async with tenant_scope(tenant_a.id):
            from platform_core.staff_pay.adjustments import list_adjustments
            [adjustment] = await list_adjustments(staff_id=worker)
        refused = await post_form(office, f"/console/finance/adjustments/{adjustment.id}/approve")
        assert refused.status_code == 403 and "can not approve" in refused.text
    async with await signed_in(app, tenant_a, "console", checker.id) as colleague:
        assert (await post_form(colleague, f"/console/finance/adjustments/{adjustment.id}/approve")).status_code == 303
        assert (await post_form(colleague, f"/console/finance/adjustments/{adjustment.id}/approve")).status_code == 409
    async with tenant_scope(tenant_a.id):
        from platform_core.ledger import services as ledger
        assert await ledger.balance(f"staff:{worker}:earnings", "CNY") == -2000


async def test_a_worker_sees_only_their_own_statements_and_a_franchise_only_its_own(app, tenant_a, tenant_b, hearth_owner_url):
    mine, theirs = await make_worker(tenant_a, "王阿姨"), await make_worker(tenant_a, "赵阿姨")
    my_statement = await _last_month_statement(tenant_a, hearth_owner_url, mine)
    their_statement = await _last_month_statement(tenant_a, hearth_owner_url, theirs)
    async with await signed_in(app, tenant_a, "staff", mine) as me:
        listing = await me.get("/staff/statements")
        assert listing.status_code == 200 and f"/staff/statements/{my_statement}" in listing.text
        assert f"/staff/statements/{their_statement}" not in listing.text
        own = await me.get(f"/staff/statements/{my_statement}")
        assert own.status_code == 200 and "60.00" in own.text
        assert (await me.get(f"/staff/statements/{their_statement}")).status_code == 404
        assert "/staff/statements" in (await me.get("/staff/earnings")).text
    other_office = await make_console_user(tenant_b, "owner")
    async with await signed_in(app, tenant_b, "console", other_office.id) as office_b:
        assert (await office_b.get(f"/console/finance/statements/{my_statement}")).status_code == 404
        assert (await office_b.get(f"/console/finance/statements/{my_statement}/csv")).status_code == 404
        assert (await post_form(office_b, f"/console/finance/statements/{my_statement}/confirm")).status_code == 404
        assert "王阿姨" not in (await office_b.get("/console/finance/statements")).text
    dispatcher = await make_console_user(tenant_a, "dispatcher")
    async with await signed_in(app, tenant_a, "console", dispatcher.id) as not_finance:
        assert (await not_finance.get("/console/finance/statements")).status_code == 403


async def test_the_pay_settings_are_saved_and_bad_values_named(app, tenant_a):
    owner = await make_console_user(tenant_a, "owner")
    async with await signed_in(app, tenant_a, "console", owner.id) as office:
        bad = await post_form(office, "/console/finance/statements/settings",
                              {"period": "yearly", "week_start": "0", "draw_after_days": "0", "pay_mode": "statement"})
        assert bad.status_code == 400 and 'id="field-period"' in bad.text
        ok = await post_form(office, "/console/finance/statements/settings",
                             {"period": "weekly", "week_start": "2", "draw_after_days": "1", "pay_mode": "on_demand"})
        assert ok.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert await services.pay_settings() == PaySettings(period="weekly", week_start=2, draw_after_days=1, pay_mode="on_demand")
