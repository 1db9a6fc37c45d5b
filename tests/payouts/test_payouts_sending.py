"""Approved payouts through the provider's transfer: paid at once, pending until a notification
or a query says so, failed with the money back and the person told; a duplicated notification
pays once, a lost one is reconciled, a forged or foreign one is refused and kept; the totals tie
out to the ledger. The provider's servers are StandInTransfers (conftest)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.payouts import sending, services
from platform_core.payouts.schemas import PayoutAccountBind, PayoutSettingsUpdate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    eventually,
    make_console_user,
    make_worker,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for

from .conftest import (
    MERCHANT,
    earnings_balance,
    give_earnings,
    pays_out_through,
)


async def requested(tenant, standin, amount: int = 10000, earnings: int = 20000, *, fee_bp: int = 0):
    """A worker's withdrawal waiting for review, and a finance user to approve it."""
    await pays_out_through(tenant, standin)
    async with tenant_scope(tenant.id):
        await services.save_settings(PayoutSettingsUpdate(fee_bp=fee_bp))
    worker = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        await services.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account="13900139000", real_name="张师傅"),
                                          actor_kind="staff", actor_id=worker)
    await give_earnings(tenant, "staff", worker, earnings)
    async with tenant_scope(tenant.id):
        payout = await services.request_withdrawal("staff", worker, amount, actor_kind="staff", actor_id=worker)
    return payout, worker, await make_console_user(tenant, "finance")


async def approve(tenant, payout, user) -> None:
    """Approve, then do the send job's work here: the job is queued (asserted), and running its
    function in the test keeps the test from waiting on the worker (which may run it as well:
    the second run finds the payout sent and changes nothing)."""
    async with tenant_scope(tenant.id):
        await services.approve(payout.id, user.id)
        assert await current_connection().fetchval(
            "select count(*) from core_job where kind = $1 and key = $2", services.SEND_JOB, payout.payout_no) == 1
    async with tenant_scope(tenant.id):
        await sending.send(payout.id)


async def state_of(tenant, payout_id: int) -> str:
    async with tenant_scope(tenant.id):
        return (await services.get_payout(payout_id)).state


async def reaches(tenant, payout_id: int, state: str) -> bool:
    async def check():
        return await state_of(tenant, payout_id) == state
    return await eventually(check, timeout=20)


async def notify(app, tenant, headers: dict, body: bytes, provider: str = "standin"):
    async with client_for(app, "anything.example") as client:
        return await client.post(f"/payments/transfer-notify/{provider}/{tenant.slug}", content=body, headers=headers)


async def test_approval_sends_the_transfer_and_a_success_pays_it(app, tenant_a, standin):
    payout, worker, finance = await requested(tenant_a, standin, 10000, fee_bp=100)
    assert payout.fee == 100
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "paid")
    assert standin.paid == {payout.payout_no: 9900}  # what arrives: the amount less the fee
    assert standin.transfers[payout.payout_no]["account"] == "13900139000" and standin.transfers[payout.payout_no]["real_name"] == "张师傅"
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("payouts:pending", tenant_a.currency) == 0
        assert await ledger.balance("provider:standin:clearing", tenant_a.currency) == -9900
        assert await ledger.balance("franchise:payout_fees", tenant_a.currency) == 100
        done = await services.get_payout(payout.id)
    assert done.provider == "standin" and done.attempts == 1 and done.finished_at is not None
    assert await earnings_balance(tenant_a, "staff", worker) == 10000
    async with await signed_in(app, tenant_a, "staff", worker) as staff:
        page = await staff.get("/staff/earnings/withdraw")
        inbox = await staff.get("/api/v1/notifications/", headers={"accept": "application/json"})
    assert f'data-payout="{payout.payout_no}" data-state="paid"' in page.text
    # Told in the franchise's language what arrives where.
    assert [n["body"] for n in inbox.json()["items"]] == ["¥99.00 已转入您的账户 139****9000。"]


async def test_a_sent_payout_is_never_paid_twice_by_a_second_send(app, tenant_a, standin):
    payout, _, finance = await requested(tenant_a, standin)
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "paid")
    async with tenant_scope(tenant_a.id):
        assert await sending.send(payout.id) == "paid"  # a repeated job: the payout is done, nothing is sent
    assert standin.calls == [f"transfer {payout.payout_no}"]


async def test_a_pending_transfer_is_paid_by_its_notification_once_however_often_it_comes(app, tenant_a, standin):
    standin.mode = "pending"
    payout, worker, finance = await requested(tenant_a, standin, 8000)
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "sending")
    standin.settle(payout.payout_no)
    headers, body = standin.notification(payout.payout_no)
    replies = await asyncio.gather(*(notify(app, tenant_a, headers, body) for _ in range(3)))
    assert [r.status_code for r in replies] == [200, 200, 200] and all(r.content == b"success" for r in replies)
    assert (await notify(app, tenant_a, headers, body)).content == b"success"  # a late repeat is accepted and changes nothing
    assert await state_of(tenant_a, payout.id) == "paid"
    async with tenant_scope(tenant_a.id):
        assert [t.kind for t in await _payout_transactions(payout.payout_no)] == ["payout_hold", "payout_paid"]
        assert await ledger.balance("provider:standin:clearing", tenant_a.currency) == -8000
        outcomes = await current_connection().fetch("select outcome from core_payout_notification where payout_id = $1", payout.id)
    assert [r["outcome"] for r in outcomes] == ["applied"]
    assert await earnings_balance(tenant_a, "staff", worker) == 12000


async def _payout_transactions(payout_no: str):
    rows = await current_connection().fetch("select kind from core_ledger_transaction where memo = $1 order by id", payout_no)
    return [type("T", (), {"kind": r["kind"]}) for r in rows]


async def test_a_lost_notification_is_reconciled_by_the_query(app, tenant_a, standin):
    standin.mode = "pending"
    payout, _, finance = await requested(tenant_a, standin, 5000)
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "sending")
    standin.settle(payout.payout_no)  # paid at the provider; its notification never arrives
    async with tenant_scope(tenant_a.id):
        assert await sending.sweep(timedelta(0)) == 1  # the daily sweep queues a query for it
    async with tenant_scope(tenant_a.id):
        assert await sending.query(payout.id) == "paid"  # the query job's work
    assert await reaches(tenant_a, payout.id, "paid")
    assert f"query {payout.payout_no}" in standin.calls
    async with tenant_scope(tenant_a.id):
        assert await ledger.balance("payouts:pending", tenant_a.currency) == 0


async def test_a_failed_transfer_returns_the_money_and_tells_the_worker_why(app, tenant_a, standin):
    standin.mode = "failed"
    payout, worker, finance = await requested(tenant_a, standin, 7000)
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "failed")
    assert await earnings_balance(tenant_a, "staff", worker) == 20000
    async with tenant_scope(tenant_a.id):
        failed = await services.get_payout(payout.id)
        assert await ledger.balance("payouts:pending", tenant_a.currency) == 0
    assert failed.reason == "Account frozen" and failed.provider_message == "Account frozen"
    async with await signed_in(app, tenant_a, "staff", worker) as staff:
        page = (await staff.get("/staff/earnings/withdraw")).text
        inbox = (await staff.get("/api/v1/notifications/")).text
    assert "Account frozen" in page and "Account frozen" in inbox


async def test_a_pending_transfer_that_then_fails_is_released_by_its_notification(app, tenant_a, standin):
    standin.mode = "pending"
    payout, worker, finance = await requested(tenant_a, standin, 6000)
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "sending")
    standin.settle(payout.payout_no, "failed")
    headers, body = standin.notification(payout.payout_no)
    assert (await notify(app, tenant_a, headers, body)).content == b"success"
    assert await state_of(tenant_a, payout.id) == "failed"
    assert await earnings_balance(tenant_a, "staff", worker) == 20000


async def test_a_provider_that_did_not_answer_is_asked_again_and_sent_once(app, tenant_a, standin):
    standin.mode = "down"
    payout, _, finance = await requested(tenant_a, standin, 4000)
    await approve(tenant_a, payout, finance)

    assert await reaches(tenant_a, payout.id, "sending")  # the send job's answer committed
    assert standin.calls == [f"transfer {payout.payout_no}"] and standin.paid == {}
    standin.mode = "succeeded"
    async with await signed_in(app, tenant_a, "console", finance.id) as console:
        queried = await console.post(f"/console/finance/withdrawals/{payout.id}/query", data={"csrf_token": console.cookies.get("hearth_csrf")})
    assert queried.status_code == 303
    assert await state_of(tenant_a, payout.id) == "paid", (standin.calls, queried.headers)
    # The query found no transfer at the provider and sent it again, with the same number.
    assert standin.calls[-2:] == [f"query {payout.payout_no}", f"transfer {payout.payout_no}"]
    assert standin.paid == {payout.payout_no: 4000}


async def test_a_payout_no_service_can_pay_waits_longer_each_time_it_is_asked(app, tenant_a):
    # No payment plugin that pays to Alipay is on: the approved payout waits, held, and its query
    # job comes back after 2, 4, 8 ... minutes (at most an hour), not every minute for ever.
    worker = await make_worker(tenant_a)
    async with tenant_scope(tenant_a.id):
        await services.bind_staff_account(worker, PayoutAccountBind(kind="alipay_login", account="13900139000", real_name="张师傅"),
                                          actor_kind="staff", actor_id=worker)
    await give_earnings(tenant_a, "staff", worker, 20000)
    finance = await make_console_user(tenant_a, "finance")
    async with tenant_scope(tenant_a.id):
        payout = await services.request_withdrawal("staff", worker, 5000, actor_kind="staff", actor_id=worker)
        await services.approve(payout.id, finance.id)
    waits = []
    for _ in range(4):
        async with tenant_scope(tenant_a.id):
            assert await sending.send(payout.id) == "approved"
            waits.append(await current_connection().fetchval(
                "select extract(epoch from max(run_at) - now()) / 60 from core_job where kind = $1 and payload->>'payout_id' = $2",
                services.QUERY_JOB, str(payout.id)))
    assert waits == sorted(waits) and waits[-1] > 10, waits
    assert await state_of(tenant_a, payout.id) == "approved" and await earnings_balance(tenant_a, "staff", worker) == 15000
    async with await signed_in(app, tenant_a, "console", finance.id) as console:
        console.cookies.set("hearth_locale", "zh_CN")
        page = await console.get(f"/console/finance/withdrawals/{payout.id}")
    assert "目前没有可向此账户打款的支付服务。" in page.text  # the core's own words, in the console's language


async def test_forged_foreign_and_unknown_notifications_are_refused_and_kept(app, tenant_a, tenant_b, standin):
    standin.mode = "pending"
    payout, _, finance = await requested(tenant_a, standin, 3000)
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "sending")
    standin.settle(payout.payout_no)
    headers, body = standin.notification(payout.payout_no)
    forged = await notify(app, tenant_a, {"x-signature": "0" * 64}, body)
    other_merchant = await notify(app, tenant_a, *standin.notification(payout.payout_no, merchant="someone-else"))
    wrong_amount = await notify(app, tenant_a, *standin.notification(payout.payout_no, amount=300000))
    other_tenant = await notify(app, tenant_b, headers, body)  # tenant B has no payout with this number
    unknown_provider = await notify(app, tenant_a, headers, body, provider="nosuch")
    assert [r.content for r in (forged, other_merchant, wrong_amount, other_tenant)] == [b"fail"] * 4
    assert unknown_provider.status_code == 404
    assert await state_of(tenant_a, payout.id) == "sending"
    async with tenant_scope(tenant_a.id):
        reasons = [r["reason"] for r in await current_connection().fetch(
            "select reason from core_payment_refusal where provider in ('standin', 'nosuch') order by id")]
    assert reasons == ["signature", "merchant", "amount", "unknown_provider"]
    async with tenant_scope(tenant_b.id):
        assert [r["reason"] for r in await current_connection().fetch("select reason from core_payment_refusal")] == ["unknown_payment"]
    assert (await notify(app, tenant_a, headers, body)).content == b"success"
    assert await state_of(tenant_a, payout.id) == "paid"
    assert MERCHANT


async def test_the_payouts_totals_tie_out_to_the_ledger(app, tenant_a, standin):
    paid, _, finance = await requested(tenant_a, standin, 10000, fee_bp=200)
    await approve(tenant_a, paid, finance)
    assert await reaches(tenant_a, paid.id, "paid")
    standin.mode = "pending"
    sending_one, _, _ = await requested(tenant_a, standin, 6000)
    await approve(tenant_a, sending_one, finance)
    assert await reaches(tenant_a, sending_one.id, "sending")
    waiting, _, _ = await requested(tenant_a, standin, 3000)
    rejected, _, _ = await requested(tenant_a, standin, 2000)
    async with tenant_scope(tenant_a.id):
        await services.reject(rejected.id, finance.id, "Duplicate")
        totals = {(t.state, t.provider): t for t in await services.totals()}
        pending_ledger = await ledger.balance("payouts:pending", tenant_a.currency)
        clearing = await ledger.balance("provider:standin:clearing", tenant_a.currency)
        fees = await ledger.balance("franchise:payout_fees", tenant_a.currency)
    held = sum(t.amount for (state, _), t in totals.items() if state in ("requested", "approved", "sending"))
    assert held == pending_ledger == 6000 + 3000
    paid_total = totals[("paid", "standin")]
    assert -clearing == paid_total.amount - paid_total.fee == 9800 and fees == paid_total.fee == 200
    async with await signed_in(app, tenant_a, "console", finance.id) as console:
        page = await console.get("/console/finance/payouts")
    assert page.status_code == 200 and 'id="payout-totals"' in page.text
    assert "does not match the ledger" not in page.text


async def test_a_failed_transfer_does_not_use_up_the_days_withdrawals(app, tenant_a, standin):
    """The money of a failed transfer came back: the person fixes the account and withdraws it
    again the same day, within limits that the failed one would otherwise have used up."""
    standin.mode = "failed"
    payout, worker, finance = await requested(tenant_a, standin, 7000)
    async with tenant_scope(tenant_a.id):
        await services.save_settings(PayoutSettingsUpdate(daily_count=1, daily_amount=7000))
    await approve(tenant_a, payout, finance)
    assert await reaches(tenant_a, payout.id, "failed")
    async with tenant_scope(tenant_a.id):
        again = await services.request_withdrawal("staff", worker, 7000, actor_kind="staff", actor_id=worker)
    assert again.state == "requested" and await earnings_balance(tenant_a, "staff", worker) == 13000
