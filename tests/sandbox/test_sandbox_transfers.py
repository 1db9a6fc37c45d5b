"""The sandbox's transfer endpoints spoken to by the SDKs directly: what they refuse, as the real
APIs do, how a transfer's notification is retried, and the pages that list and settle transfers."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from alipay import AliPay
from alipay.exceptions import AliPayException
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from wechatpayv3 import WeChatPay as WeChatPayV3
from wechatpayv3 import WeChatPayType
from wechatpayv3.type import RequestType
from wechatpy.exceptions import WeChatPayException
from wechatpy.pay import WeChatPay

from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox

BILLS = "/v3/fund-app/mch-transfer/transfer-bills"
REPORTS = [{"info_type": "活动名称", "info_content": "提现"}, {"info_type": "奖励说明", "info_content": "提现"}]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    with running_sandbox(load_or_create(data_dir), port=port, policy=NotifyPolicy(delays=(0, 0.05, 0.1), duplicate_probability=0)) as sb:
        yield sb, tenant_config("sunshine", data_dir=data_dir, port=port)


def v3(cfg) -> WeChatPayV3:
    c = cfg.wechat_v3
    wxpay = WeChatPayV3(wechatpay_type=WeChatPayType.NATIVE, mchid=c.mchid, private_key=c.private_key, cert_serial_no=c.cert_serial_no,
                        appid=c.appid, apiv3_key=c.apiv3_key, public_key=c.public_key, public_key_id=c.public_key_id)
    wxpay._core._gate_way = c.gateway
    return wxpay


def bill(wxpay, no: str, amount: int, openid: str = "oPayee1", notify_url: str = "http://127.0.0.1:9/n", **extra):
    return wxpay.mch_transfer_bills(out_bill_no=no, transfer_scene_id="1000", openid=openid, transfer_amount=amount, transfer_remark="提现",
                                    transfer_scene_report_infos=REPORTS, notify_url=notify_url, **extra)


def test_v3_refuses_unsigned_requests_nameless_large_transfers_and_names_under_another_key(sandbox):
    sb, cfg = sandbox
    unsigned = httpx.post(cfg.wechat_v3.gateway + BILLS, json={"out_bill_no": "X1"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "SIGN_ERROR"

    wxpay = v3(cfg)
    code, text = wxpay._core.request(BILLS, method=RequestType.POST, data={
        "appid": cfg.wechat_v3.appid, "out_bill_no": "V3BIG1", "transfer_scene_id": "1000", "openid": "oPayee1", "transfer_amount": 200000,
        "transfer_remark": "提现", "notify_url": "http://127.0.0.1:9/n"})
    assert code == 400 and "user_name" in json.loads(text)["message"]

    # Encrypted with a key that is not WeChat Pay's: WeChat cannot read the name.
    other = rsa.generate_private_key(65537, 2048).public_key()
    name = base64.b64encode(other.encrypt("张三".encode(), padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))).decode()
    code, text = wxpay._core.request(BILLS, method=RequestType.POST, cipher_data=True, data={
        "appid": cfg.wechat_v3.appid, "out_bill_no": "V3BIG2", "transfer_scene_id": "1000", "openid": "oPayee1", "transfer_amount": 200000,
        "transfer_remark": "提现", "user_name": name, "notify_url": "http://127.0.0.1:9/n"})
    assert code == 400 and "decrypt" in json.loads(text)["message"]
    assert not [t for t in sb.transfers.values() if t.out_no in ("V3BIG1", "V3BIG2")]


def test_v3_off_loopback_notify_urls_are_refused(sandbox):
    sb, cfg = sandbox
    code, text = bill(v3(cfg), "V3FAR1", 100, notify_url="https://example.com/notify")
    assert code == 400 and "127.0.0.1" in json.loads(text)["message"]


def test_a_v3_transfer_notification_is_retried_until_the_merchant_accepts(sandbox):
    sb, cfg = sandbox
    receiver = Receiver(b"", failures=2)
    try:
        code, text = bill(v3(cfg), "V3RETRY1", 2500, notify_url=receiver.url)
        assert code == 200 and json.loads(text)["state"] == "SUCCESS"
        received = receiver.wait(3)
        assert len(received) == 3 and len({body for _, body in received}) == 1
        # The receiver has the third request before the sandbox has read its answer and logged it.
        deadline = time.monotonic() + 10
        while len(attempts := [d for d in sb.deliveries if d["url"] == receiver.url]) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [(d["attempt"], d["ok"]) for d in attempts] == [(1, False), (2, False), (3, True)]
        event = v3(cfg).callback(received[0][0], received[0][1].decode())
        assert event["event_type"] == "MCHTRANSFER.BILL.FINISHED" and event["resource"]["out_bill_no"] == "V3RETRY1"
    finally:
        receiver.close()


def test_v2_refuses_a_wrong_key_and_force_check_without_a_name(sandbox):
    sb, cfg = sandbox
    wrong = WeChatPay(appid=cfg.wechat_v2.appid, api_key="0" * 32, mch_id=cfg.wechat_v2.mch_id)
    wrong.API_BASE_URL = cfg.wechat_v2.api_base_url
    with pytest.raises(WeChatPayException) as refused:
        wrong.transfer.transfer("oPayee1", 100, "提现", client_ip="127.0.0.1", check_name="FORCE_CHECK", real_name="张三", out_trade_no="V2K1")
    assert refused.value.errcode == "SIGNERROR"
    pay = WeChatPay(appid=cfg.wechat_v2.appid, api_key=cfg.wechat_v2.api_key, mch_id=cfg.wechat_v2.mch_id)
    pay.API_BASE_URL = cfg.wechat_v2.api_base_url
    with pytest.raises(WeChatPayException) as nameless:
        pay.transfer.transfer("oPayee1", 100, "提现", client_ip="127.0.0.1", check_name="FORCE_CHECK", out_trade_no="V2K2")
    assert nameless.value.errcode == "PARAM_ERROR"
    assert not [t for t in sb.transfers.values() if t.out_no in ("V2K1", "V2K2")]


def test_alipay_refuses_a_request_signed_by_another_app(sandbox):
    sb, cfg = sandbox
    stranger = rsa.generate_private_key(65537, 2048).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                                   serialization.NoEncryption()).decode()
    ali = AliPay(appid=cfg.alipay.appid, app_notify_url=None, app_private_key_string=stranger,
                 alipay_public_key_string=cfg.alipay.alipay_public_key, sign_type="RSA2")
    ali._gateway = cfg.alipay.gateway
    with pytest.raises(AliPayException):
        ali.server_api("alipay.fund.trans.uni.transfer", {"out_biz_no": "AL1", "trans_amount": "1.00", "product_code": "TRANS_ACCOUNT_NO_PWD",
                                                           "biz_scene": "DIRECT_TRANSFER",
                                                           "payee_info": {"identity": "a@example.com", "identity_type": "ALIPAY_LOGON_ID", "name": "张三"}})
    assert not [t for t in sb.transfers.values() if t.out_no == "AL1"]


def test_the_index_lists_transfers_and_the_payee_settles_a_waiting_one_once(sandbox):
    sb, cfg = sandbox
    code, text = bill(v3(cfg), "V3PAGE1", 4321, openid="oPayee-confirm-1")
    answer = json.loads(text)
    assert code == 200 and answer["state"] == "WAIT_USER_CONFIRM" and answer["package_info"].endswith("/transfer/" + sb.transfers[
        next(k for k, t in sb.transfers.items() if t.out_no == "V3PAGE1")].id)
    index = httpx.get(sb.base_url + "/")
    assert "V3PAGE1" in index.text and "¥43.21" in index.text and "待收款人确认" in index.text
    page = httpx.get(answer["package_info"])
    assert page.status_code == 200 and "确认收款" in page.text and "¥43.21" in page.text
    assert httpx.post(answer["package_info"], data={"decision": "maybe"}).status_code == 400
    httpx.post(answer["package_info"], data={"decision": "confirm"})
    httpx.post(answer["package_info"], data={"decision": "decline"})  # too late: it is paid
    done = httpx.get(answer["package_info"])
    assert "已到账" in done.text and "确认收款" not in done.text
    code, text = v3(cfg).mch_transfer_bills_query(out_bill_no="V3PAGE1")
    assert json.loads(text)["state"] == "SUCCESS"
    assert httpx.get(sb.base_url + "/transfer/trnothing").status_code == 404
