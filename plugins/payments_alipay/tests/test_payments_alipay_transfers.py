"""Transfers to an Alipay account (alipay.fund.trans.uni.transfer) end to end against the payment
sandbox: python-alipay-sdk's signed requests, Alipay's signed answers, the query and the
alipay.fund.trans.order.changed notification, verified with Alipay's public key."""

from __future__ import annotations

import asyncio
import json
import secrets
from urllib.parse import parse_qsl, urlencode

import httpx
import msgspec
import pytest
from anyio import to_thread

from platform_core.payments.provider import (
    NotificationRefused,
    ProviderError,
    TransferRequest,
)
from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.testing import Receiver
from plugins.payments_alipay.config import AlipayConfig
from plugins.payments_alipay.plugin import PROVIDER, sandbox_values


@pytest.fixture
def receiver():
    r = Receiver(b"success")  # what Alipay wants back to stop retrying
    yield r
    r.close()


class Merchant:
    def __init__(self, sandbox):
        self.sb, data_dir, port = sandbox
        self.cfg = tenant_config("alipay-transfers", data_dir=data_dir, port=port)
        self.config = msgspec.convert(sandbox_values(self.cfg), AlipayConfig)

    def request(self, amount: int, *, account: str = "", name: str = "王小花", notify_url: str = "http://127.0.0.1:9/notify") -> TransferRequest:
        return TransferRequest(transfer_no="WD" + secrets.token_hex(8).upper(), amount=amount, currency="CNY", account_kind="alipay_login",
                               account=account or f"138{secrets.randbelow(10**8):08d}", real_name=name, remark="阳光家政 提现",
                               notify_url=notify_url)

    def received(self, transfer_no: str):
        return [t for t in self.sb.transfers.values() if t.provider == "alipay" and t.out_no == transfer_no]


async def test_a_transfer_pays_once_even_when_sent_twice_and_another_amount_is_an_error(sandbox):
    m = Merchant(sandbox)
    request = m.request(8800)
    first = await PROVIDER.transfer(m.config, request)
    again = await PROVIDER.transfer(m.config, request)
    assert first.status == again.status == "succeeded" and first.provider_ref and again.provider_ref == first.provider_ref
    [paid] = m.received(request.transfer_no)
    assert (paid.amount, paid.account, paid.name) == (8800, request.account, "王小花")
    # "Failed" would release the money although the first transfer paid: it stays to be looked at.
    with pytest.raises(ProviderError) as conflict:
        await PROVIDER.transfer(m.config, msgspec.structs.replace(request, amount=8900))
    assert "other details" in conflict.value.message
    assert [t.amount for t in m.received(request.transfer_no)] == [8800]
    assert (await PROVIDER.query_transfer(m.config, request.transfer_no, first.provider_ref)).status == "succeeded"


async def test_the_same_transfer_sent_twice_at_once_pays_once(sandbox):
    m = Merchant(sandbox)
    request = m.request(4200)
    results = await asyncio.gather(PROVIDER.transfer(m.config, request), PROVIDER.transfer(m.config, request))
    assert {(r.status, r.provider_ref) for r in results} == {("succeeded", results[0].provider_ref)}
    assert [t.amount for t in m.received(request.transfer_no)] == [4200]


@pytest.mark.parametrize(("marker", "code"), [("wrongname", "PAYEE_USER_INFO_ERROR"), ("frozen", "PAYEE_ACCOUNT_STATUS_ERROR")])
async def test_a_refused_transfer_is_failed_with_alipays_reason(sandbox, marker, code):
    m = Merchant(sandbox)
    request = m.request(3000, account=f"{marker}{secrets.token_hex(3)}@example.com")
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "failed" and code in result.message
    assert (await PROVIDER.query_transfer(m.config, request.transfer_no, "")).status == "failed"


async def test_pending_then_the_order_changed_notification_verifies_and_a_tampered_one_is_refused(sandbox, receiver):
    m = Merchant(sandbox)
    request = m.request(199999, account=f"confirm{secrets.token_hex(3)}@example.com", notify_url=receiver.url)
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "pending"
    assert (await PROVIDER.query_transfer(m.config, request.transfer_no, result.provider_ref)).status == "pending"
    [dealing] = m.received(request.transfer_no)
    async with httpx.AsyncClient() as client:
        await client.post(m.sb.transfer_url(dealing), data={"decision": "confirm"})
    deliveries = await to_thread.run_sync(receiver.wait)
    # The shared sandbox may deliver twice, as Alipay does: each copy is the same event.
    notices = [await PROVIDER.parse_transfer_notification(m.config, headers, body) for headers, body in deliveries]
    assert {(n.event_id, n.transfer_no, n.status, n.amount, n.merchant_id, n.provider_ref) for n in notices} == {
        (notices[0].event_id, request.transfer_no, "succeeded", 199999, m.cfg.alipay.appid, dealing.transfer_id)}
    assert (await PROVIDER.query_transfer(m.config, request.transfer_no, result.provider_ref)).status == "succeeded"

    headers, body = deliveries[0]
    fields = dict(parse_qsl(body.decode()))
    order = json.loads(fields["biz_content"])
    fields["biz_content"] = json.dumps(order | {"trans_amount": "19999.99"}, ensure_ascii=False)
    with pytest.raises(NotificationRefused) as refused:
        await PROVIDER.parse_transfer_notification(m.config, headers, urlencode(fields).encode())
    assert refused.value.reason == "signature"
    # A payment's notification path does not take it either.
    with pytest.raises(NotificationRefused):
        await PROVIDER.parse_notification(m.config, headers, body)


async def test_a_request_alipay_refuses_pays_nothing_and_is_failed_with_its_reason(sandbox):
    m = Merchant(sandbox)
    request = m.request(500, notify_url="https://example.com/notify")  # Alipay (here: the sandbox) refuses it
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "failed" and "INVALID_PARAMETER" in result.message and m.received(request.transfer_no) == []


async def test_a_system_busy_answer_is_not_a_failure_and_the_same_transfer_sent_again_pays_once(sandbox):
    # Alipay's SYSTEM_ERROR: "the result is unknown, send again with the same out_biz_no or query".
    # Read as failed, the payout would be released while Alipay had paid: paid twice.
    m = Merchant(sandbox)
    request = m.request(6600, account=f"busy{secrets.token_hex(3)}@example.com")
    with pytest.raises(ProviderError) as unknown:
        await PROVIDER.transfer(m.config, request)
    assert "SYSTEM_ERROR" in unknown.value.message
    assert (await PROVIDER.query_transfer(m.config, request.transfer_no, "")).status == "succeeded"
    assert (await PROVIDER.transfer(m.config, request)).status == "succeeded"
    assert [t.amount for t in m.received(request.transfer_no)] == [6600]


async def test_a_transfer_alipay_never_received_queries_as_missing(sandbox):
    m = Merchant(sandbox)
    result = await PROVIDER.query_transfer(m.config, "WDNEVERSENT" + secrets.token_hex(4).upper(), "")
    assert (result.status, result.message) == ("failed", "missing")


@pytest.mark.parametrize(("amount", "sent"), [(1, "0.01"), (199999, "1999.99"), (200000, "2000.00")])
async def test_amounts_are_sent_as_exact_yuan(sandbox, amount, sent):
    m = Merchant(sandbox)
    request = m.request(amount)
    assert (await PROVIDER.transfer(m.config, request)).status == "succeeded"
    [paid] = m.received(request.transfer_no)
    assert paid.amount == amount and m.sb.alipay_transfer_order(paid)["trans_amount"] == sent


async def test_alipay_needs_the_payees_name_and_an_alipay_account(sandbox):
    m = Merchant(sandbox)
    nameless = m.request(100, name="")
    assert (await PROVIDER.transfer(m.config, nameless)).status == "failed" and m.received(nameless.transfer_no) == []
    openid = msgspec.structs.replace(m.request(100), account_kind="wechat_openid", account="oPayee")
    assert (await PROVIDER.transfer(m.config, openid)).status == "failed" and m.received(openid.transfer_no) == []
    assert PROVIDER.pays_out(m.config) and not PROVIDER.pays_out(AlipayConfig())
