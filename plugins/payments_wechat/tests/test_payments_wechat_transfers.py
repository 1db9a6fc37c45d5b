"""Transfers to a person's WeChat balance, API v3 (商家转账, wechatpayv3) and v2 (企业付款到零钱,
wechatpy), end to end against the payment sandbox: the real SDK requests, signatures and
encryption; the notifications as WeChat sends them, verified by the provider."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets

import httpx
import msgspec
import pytest
from anyio import to_thread
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from platform_core.payments.provider import (
    NotificationRefused,
    ProviderError,
    TransferRequest,
)
from platform_core.sandbox.config import tenant_config
from plugins.payments_wechat.config import WeChatPayConfig
from plugins.payments_wechat.plugin import PROVIDER, sandbox_values

VERSIONS = pytest.mark.parametrize("version", ["v2", "v3"])
FAILURES = {"v2": {"wrongname": "NAME_MISMATCH", "frozen": "PAYEE_ACCOUNT_ABNORMAL"},
            "v3": {"wrongname": "NAME_NOT_CORRECT", "frozen": "ACCOUNT_FROZEN"}}


class Merchant:
    """A franchise's WeChat Pay merchant account pointed at the sandbox."""

    def __init__(self, sandbox, version: str):
        self.sb, data_dir, port = sandbox
        self.version = version
        self.cfg = tenant_config(f"wxtr-{version}", data_dir=data_dir, port=port)
        self.config = msgspec.convert(sandbox_values(self.cfg, version), WeChatPayConfig)

    def request(self, amount: int, *, openid: str = "", name: str = "王小花", notify_url: str = "http://127.0.0.1:9/notify") -> TransferRequest:
        return TransferRequest(transfer_no="WD" + secrets.token_hex(8).upper(), amount=amount, currency="CNY", account_kind="wechat_openid",
                               account=openid or "oPayee" + secrets.token_hex(6), real_name=name, remark="阳光家政 提现",
                               notify_url=notify_url)

    def received(self, transfer_no: str):
        """The transfers the sandbox holds under that number (at most one, whatever was sent)."""
        return [t for t in self.sb.transfers.values() if t.out_no == transfer_no and t.provider == f"wechat_{self.version}"]


async def confirm(sb, transfer, decision: str = "confirm") -> None:
    """The person answers WeChat's "confirm receipt" sheet (the sandbox's transfer page)."""
    async with httpx.AsyncClient() as client:
        page = await client.get(sb.transfer_url(transfer))
        assert page.status_code == 200 and "确认收款" in page.text
        await client.post(sb.transfer_url(transfer), data={"decision": decision})


@VERSIONS
async def test_a_transfer_pays_the_person_once_even_when_sent_twice(sandbox, version):
    m = Merchant(sandbox, version)
    request = m.request(8800)
    first = await PROVIDER.transfer(m.config, request)
    again = await PROVIDER.transfer(m.config, request)
    assert first.status == again.status == "succeeded" and first.provider_ref and again.provider_ref == first.provider_ref
    [paid] = m.received(request.transfer_no)
    assert (paid.amount, paid.account, paid.status) == (8800, request.account, "succeeded")
    assert (await PROVIDER.query_transfer(m.config, request.transfer_no, first.provider_ref)).status == "succeeded"


@VERSIONS
async def test_the_same_transfer_sent_twice_at_once_pays_once(sandbox, version):
    m = Merchant(sandbox, version)
    request = m.request(4200)
    results = await asyncio.gather(PROVIDER.transfer(m.config, request), PROVIDER.transfer(m.config, request))
    assert {(r.status, r.provider_ref) for r in results} == {("succeeded", results[0].provider_ref)}
    assert [t.amount for t in m.received(request.transfer_no)] == [4200]


@VERSIONS
async def test_the_same_number_with_another_amount_is_an_error_not_a_failure(sandbox, version):
    m = Merchant(sandbox, version)
    request = m.request(5000)
    assert (await PROVIDER.transfer(m.config, request)).status == "succeeded"
    # "Failed" would release the money although the first transfer paid: it stays to be looked at.
    with pytest.raises(ProviderError) as conflict:
        await PROVIDER.transfer(m.config, msgspec.structs.replace(request, amount=9000))
    assert "other details" in conflict.value.message
    assert [t.amount for t in m.received(request.transfer_no)] == [5000]


@VERSIONS
@pytest.mark.parametrize("marker", ["wrongname", "frozen"])
async def test_a_refused_transfer_comes_back_failed_with_wechats_reason(sandbox, version, marker):
    m = Merchant(sandbox, version)
    request = m.request(3000, openid=f"oPayee-{marker}-{secrets.token_hex(3)}")
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "failed" and FAILURES[version][marker] in result.message
    queried = await PROVIDER.query_transfer(m.config, request.transfer_no, result.provider_ref)
    assert queried.status == "failed" and queried.message != "missing"


@VERSIONS
async def test_a_transfer_waiting_for_the_person_is_pending_until_a_query_finds_it_done(sandbox, version):
    m = Merchant(sandbox, version)
    request = m.request(12345, openid="oPayee-confirm-" + secrets.token_hex(3))
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "pending"
    asked = await PROVIDER.query_transfer(m.config, request.transfer_no, result.provider_ref)
    assert asked.status == "pending"
    if version == "v3":  # what the page inside WeChat hands to requestMerchantTransfer (the transfer's answer only)
        assert result.confirm["mchId"] == m.config.mch_id and result.confirm["appId"] == m.config.appid
        assert result.confirm["package"]
    else:
        assert result.confirm == {}
    [waiting] = m.received(request.transfer_no)
    await confirm(m.sb, waiting)
    done = await PROVIDER.query_transfer(m.config, request.transfer_no, result.provider_ref)
    assert done.status == "succeeded" and done.provider_ref == waiting.transfer_id and done.confirm == {}


@VERSIONS
async def test_a_transfer_wechat_never_received_queries_as_missing(sandbox, version):
    m = Merchant(sandbox, version)
    result = await PROVIDER.query_transfer(m.config, "WDNEVERSENT" + secrets.token_hex(4).upper(), "")
    assert (result.status, result.message) == ("failed", "missing")


async def test_v3_pending_then_the_finished_notification_verifies_and_a_tampered_one_is_refused(sandbox, receiver):
    m = Merchant(sandbox, "v3")
    request = m.request(6600, openid="oPayee-confirm-" + secrets.token_hex(3), notify_url=receiver.url)
    assert (await PROVIDER.transfer(m.config, request)).status == "pending"
    [waiting] = m.received(request.transfer_no)
    await confirm(m.sb, waiting)
    [(headers, body)] = await to_thread.run_sync(receiver.wait)
    notice = await PROVIDER.parse_transfer_notification(m.config, headers, body)
    assert (notice.transfer_no, notice.status, notice.amount, notice.currency) == (request.transfer_no, "succeeded", 6600, "CNY")
    assert notice.merchant_id == m.cfg.wechat_v3.mchid and notice.provider_ref == waiting.transfer_id and notice.event_id

    # The same envelope with the bill re-encrypted to say another amount: the signature no longer holds.
    event = json.loads(body)
    resource = event["resource"]
    aes = AESGCM(m.cfg.wechat_v3.apiv3_key.encode())
    bill = json.loads(aes.decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode()))
    bill["transfer_amount"] = 660000
    resource["ciphertext"] = base64.b64encode(aes.encrypt(resource["nonce"].encode(), json.dumps(bill).encode(),
                                                          resource["associated_data"].encode())).decode()
    with pytest.raises(NotificationRefused) as refused:
        await PROVIDER.parse_transfer_notification(m.config, headers, json.dumps(event).encode())
    assert refused.value.reason == "signature"
    # A payment notification is not a transfer's.
    with pytest.raises(NotificationRefused):
        await PROVIDER.parse_notification(m.config, headers, body)


async def test_v3_a_person_who_declines_is_notified_as_failed(sandbox, receiver):
    m = Merchant(sandbox, "v3")
    request = m.request(700, openid="oPayee-confirm-" + secrets.token_hex(3), notify_url=receiver.url)
    assert (await PROVIDER.transfer(m.config, request)).status == "pending"
    [waiting] = m.received(request.transfer_no)
    await confirm(m.sb, waiting, "decline")
    [(headers, body)] = await to_thread.run_sync(receiver.wait)
    notice = await PROVIDER.parse_transfer_notification(m.config, headers, body)
    assert notice.status == "failed" and "USER_CANCELLED" in notice.message


@VERSIONS
@pytest.mark.parametrize("amount", [1, 199999, 200000])
async def test_amounts_arrive_exactly_and_from_2000_yuan_v3_sends_the_name_encrypted(sandbox, version, amount):
    m = Merchant(sandbox, version)
    request = m.request(amount, name="欧阳晓明")
    assert (await PROVIDER.transfer(m.config, request)).status == "succeeded"
    [paid] = m.received(request.transfer_no)
    assert paid.amount == amount
    if version == "v3":
        # The sandbox only learns the name by decrypting user_name with WeChat Pay's private key.
        assert paid.name == ("欧阳晓明" if amount >= 200000 else "")
    else:
        assert paid.name == "欧阳晓明"  # re_user_name, checked by FORCE_CHECK on every v2 transfer


async def test_v3_from_2000_yuan_without_a_name_is_failed_before_asking_wechat(sandbox):
    m = Merchant(sandbox, "v3")
    request = m.request(200000, name="")
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "failed" and "real name" in result.message and m.received(request.transfer_no) == []


async def test_v3_a_request_wechat_refuses_pays_nothing_and_is_failed_with_its_reason(sandbox):
    m = Merchant(sandbox, "v3")
    request = m.request(500, notify_url="https://example.com/notify")  # WeChat (here: the sandbox) refuses it
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "failed" and "PARAM_ERROR" in result.message and m.received(request.transfer_no) == []
    blank = await PROVIDER.transfer(m.config, msgspec.structs.replace(m.request(500), remark=" "))
    assert blank.status == "failed" and "remark" in blank.message


async def test_v2_has_no_transfer_notifications(sandbox):
    m = Merchant(sandbox, "v2")
    with pytest.raises(NotificationRefused):
        await PROVIDER.parse_transfer_notification(m.config, {}, b"<xml></xml>")


def test_which_merchants_can_pay_out(sandbox):
    v2, v3 = Merchant(sandbox, "v2").config, Merchant(sandbox, "v3").config
    assert PROVIDER.pays_out(v3) and PROVIDER.pays_out(v2)
    # v2 transfers need the merchant API certificate; nothing pays out before the account is set up.
    assert not PROVIDER.pays_out(msgspec.structs.replace(v2, api_client_cert=""))
    assert not PROVIDER.pays_out(WeChatPayConfig())


async def test_only_yuan_to_an_openid(sandbox):
    m = Merchant(sandbox, "v3")
    request = msgspec.structs.replace(m.request(100), account_kind="alipay_login", account="someone@example.com")
    result = await PROVIDER.transfer(m.config, request)
    assert result.status == "failed" and m.received(request.transfer_no) == []
