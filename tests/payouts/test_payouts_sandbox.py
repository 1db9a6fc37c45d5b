"""Money out end to end through the real Alipay plugin and the payment sandbox: a worker's
withdrawal paid once approved, one to a frozen account failed with its money back, and a pay
statement paid by transfer (paying, then paid once Alipay answers; paid again after a failure)."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from platform_core.db import current_connection
from platform_core.errors import Forbidden
from platform_core.ledger import services as ledger
from platform_core.notifications.services import list_notifications
from platform_core.payouts import sending
from platform_core.payouts import services as payouts
from platform_core.payouts.schemas import PayoutAccountBind
from platform_core.pluginsys.services import enable_plugin, set_plugin_config
from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.testing import Receiver
from platform_core.staff_pay import services as statements
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_worker
from plugins.payments_alipay.plugin import sandbox_values

from ..staff_pay.helpers import backdate, settled_order
from ..staff_pay.test_staff_pay_statements import _monthly
from .conftest import earnings_balance, give_earnings


@pytest.fixture
def receiver():
    r = Receiver(b"success")
    yield r
    r.close()


@pytest.fixture
async def shop(runtime, make_tenant, sandbox, receiver, monkeypatch):
    """A franchise paying out through Alipay's sandbox; Alipay's notifications go to `receiver`
    (the transfer's own answer is what settles these payouts)."""
    _, data_dir, port = sandbox
    monkeypatch.setattr(runtime, "settings", msgspec.structs.replace(runtime.settings, notify_base_url=receiver.url.removesuffix("/notify")))
    tenant = await make_tenant(prefix="payout")
    await set_plugin_config(tenant.id, "payments_alipay", sandbox_values(tenant_config(tenant.slug, data_dir=data_dir, port=port)))
    await enable_plugin(tenant.id, "payments_alipay", actor="test")
    return tenant


async def worker_with_alipay(tenant, account: str = "13900139000") -> int:
    worker = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        await payouts.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account=account, real_name="张师傅"),
                                         actor_kind="staff", actor_id=worker)
    return worker


async def sent(tenant, payout_no: str) -> str:
    """The send job's work for a payout, here (the job worker may have done it already: a send
    locks the payout and does nothing twice)."""
    async with tenant_scope(tenant.id):
        payout_id = await current_connection().fetchval("select id from core_payout where payout_no = $1", payout_no)
        await sending.send(payout_id)
        return (await payouts.get_payout(payout_id)).state


async def test_an_approved_withdrawal_is_paid_by_alipay_and_a_frozen_account_gets_its_money_back(app, shop, sandbox):
    sb = sandbox[0]
    finance = await make_console_user(shop, "finance")
    paid_worker, frozen_worker = await worker_with_alipay(shop), await worker_with_alipay(shop, "frozen.zhang@example.com")
    for worker in (paid_worker, frozen_worker):
        await give_earnings(shop, "staff", worker, 20000)
    async with tenant_scope(shop.id):
        good = await payouts.request_withdrawal("staff", paid_worker, 12000, actor_kind="staff", actor_id=paid_worker)
        bad = await payouts.request_withdrawal("staff", frozen_worker, 12000, actor_kind="staff", actor_id=frozen_worker)
        await payouts.approve(good.id, finance.id)
        await payouts.approve(bad.id, finance.id)
    assert await sent(shop, good.payout_no) == "paid" and await sent(shop, bad.payout_no) == "failed"
    [transfer] = [t for t in sb.transfers.values() if t.out_no == good.payout_no]
    assert (transfer.amount, transfer.account, transfer.name) == (12000 - good.fee, "13900139000", "张师傅")
    assert await earnings_balance(shop, "staff", paid_worker) == 8000
    assert await earnings_balance(shop, "staff", frozen_worker) == 20000  # released
    async with tenant_scope(shop.id):
        assert await ledger.balance("payouts:pending", shop.currency) == 0
        assert await ledger.balance("provider:alipay:clearing", shop.currency) == -(12000 - good.fee)
        assert (await payouts.get_payout(bad.id)).reason


async def test_a_pay_statement_paid_by_transfer_is_paid_when_alipay_answers_and_can_be_paid_again_after_a_failure(
        app, shop, sandbox, hearth_owner_url):
    _, month = await _monthly(shop)
    finance = await make_console_user(shop, "finance")
    worker = await worker_with_alipay(shop, "frozen.li@example.com")
    order_id = await settled_order(shop, worker, paid=10000)
    await backdate(hearth_owner_url, shop.id, month.starts_at + timedelta(days=2), order_id=order_id)
    async with tenant_scope(shop.id):
        await statements.draw_statements(month.first_day)
        [statement] = await statements.period_statements(month.first_day)
        await statements.confirm_statement(statement.id, by=finance.id)
        paying = await statements.pay_by_transfer(statement.id, by=finance.id)
    assert paying.state == "paying" and paying.pay_method == "transfer"

    async def statement_state() -> str:
        async with tenant_scope(shop.id):
            return (await statements.get_statement(statement.id)).state

    # The frozen account refuses it: the statement is open for paying again, the money back.
    assert await sent(shop, paying.pay_reference) == "failed" and await statement_state() == "confirmed"
    assert await earnings_balance(shop, "staff", worker) == 6000
    async with tenant_scope(shop.id):
        await payouts.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account="13700137000", real_name="张师傅"),
                                         actor_kind="console", actor_id=finance.id)
        # Who set the account can not pay to it (maker-checker): another finance user does.
        with pytest.raises(Forbidden):
            await statements.pay_by_transfer(statement.id, by=finance.id)
        checker = await make_console_user(shop, "finance")
        again = await statements.pay_by_transfer(statement.id, by=checker.id)
    assert again.pay_reference != paying.pay_reference
    assert await sent(shop, again.pay_reference) == "paid" and await statement_state() == "paid"
    async with tenant_scope(shop.id):
        done = await statements.get_statement(statement.id)
        assert (done.pay_method, done.pay_reference, done.paid_by) == ("transfer", again.pay_reference, checker.id)
        assert await ledger.balance(f"staff:{worker}:earnings", shop.currency) == 0
        assert await ledger.balance("provider:alipay:clearing", shop.currency) == 10000 - 6000  # the order came in by Alipay too
        # The worker hears of it from the statement (confirmed, then paid), never as a "withdrawal".
        inbox = await list_notifications("staff", worker)
        assert [n.link for n in inbox] == [f"/staff/statements/{statement.id}"] * 2
        with pytest.raises(Exception) as twice:
            await statements.pay_by_transfer(statement.id, by=finance.id)
        assert twice.value.status_code == 409
