"""WeChat Pay v2 (wechatpy) and v3 (wechatpayv3) against the running sandbox, through the real SDKs."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import httpx
import pytest
from wechatpayv3 import WeChatPay as WeChatPayV3
from wechatpayv3 import WeChatPayType
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.pay import WeChatPay

from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox

V2_OK = b"<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    cfg = tenant_config("sunshine", data_dir=data_dir, port=port)
    from platform_core.sandbox.keys import load_or_create

    with running_sandbox(load_or_create(data_dir), port=port, policy=NotifyPolicy(delays=(0, 0.05, 0.1), duplicate_probability=0)) as sb:
        yield sb, cfg


def v2_client(cfg) -> WeChatPay:
    pay = WeChatPay(appid=cfg.wechat_v2.appid, api_key=cfg.wechat_v2.api_key, mch_id=cfg.wechat_v2.mch_id)
    pay.API_BASE_URL = cfg.wechat_v2.api_base_url
    return pay


def v3_client(cfg, kind=WeChatPayType.NATIVE) -> WeChatPayV3:
    c = cfg.wechat_v3
    wxpay = WeChatPayV3(wechatpay_type=kind, mchid=c.mchid, private_key=c.private_key, cert_serial_no=c.cert_serial_no, appid=c.appid,
                        apiv3_key=c.apiv3_key, public_key=c.public_key, public_key_id=c.public_key_id)
    wxpay._core._gate_way = c.gateway
    return wxpay


def approve(url: str) -> httpx.Response:
    page = httpx.get(url)
    assert page.status_code == 200 and "确认支付" in page.text
    return httpx.post(url, data={"decision": "approve"})


def test_wechat_v2_native_payment_is_approved_notified_queried_refunded(sandbox):
    sb, cfg = sandbox
    pay = v2_client(cfg)
    receiver = Receiver(V2_OK)
    try:
        created = pay.order.create(trade_type="NATIVE", body="深度保洁", total_fee=19900, notify_url=receiver.url,
                                   client_ip="127.0.0.1", product_id="p1", out_trade_no="v2-order-1")
        assert created["prepay_id"] and created["code_url"].startswith(sb.base_url + "/pay/wechat_v2/")
        assert pay.order.query(out_trade_no="v2-order-1")["trade_state"] == "NOTPAY"
        approve(created["code_url"])
        (_, body), *_ = receiver.wait()
        notice = pay.parse_payment_result(body)
        assert notice["out_trade_no"] == "v2-order-1" and notice["total_fee"] == 19900
        with pytest.raises(InvalidSignatureException):
            pay.parse_payment_result(body.replace(b"19900", b"10000"))
        queried = pay.order.query(out_trade_no="v2-order-1")
        assert queried["trade_state"] == "SUCCESS" and queried["transaction_id"] == notice["transaction_id"]
        partial = pay.refund.apply(total_fee=19900, refund_fee=5000, out_refund_no="r1", out_trade_no="v2-order-1")
        assert partial["refund_fee"] == "5000"
        pay.refund.apply(total_fee=19900, refund_fee=14900, out_refund_no="r2", out_trade_no="v2-order-1")
        from wechatpy.exceptions import WeChatPayException

        with pytest.raises(WeChatPayException):
            pay.refund.apply(total_fee=19900, refund_fee=1, out_refund_no="r3", out_trade_no="v2-order-1")
        assert pay.order.query(out_trade_no="v2-order-1")["trade_state"] == "REFUND"
    finally:
        receiver.close()


def test_wechat_v2_jsapi_and_mweb_orders_and_close(sandbox):
    sb, cfg = sandbox
    pay = v2_client(cfg)
    jsapi = pay.order.create(trade_type="JSAPI", body="保洁", total_fee=100, notify_url="http://127.0.0.1:9/n", client_ip="127.0.0.1",
                             user_id="oOpenId", out_trade_no="v2-jsapi")
    params = pay.jsapi.get_jsapi_params(jsapi["prepay_id"])
    assert params["package"] == "prepay_id=" + jsapi["prepay_id"]
    mweb = pay.order.create(trade_type="MWEB", body="保洁", total_fee=100, notify_url="http://127.0.0.1:9/n", client_ip="127.0.0.1",
                            scene_info={"h5_info": {"type": "Wap"}}, out_trade_no="v2-mweb")
    assert mweb["mweb_url"].startswith(sb.base_url)
    # The H5 cashier sends the browser back to `redirect_url` once paid, as WeChat's does.
    back = "http://sunshine.localhost:8000/orders/20261125-0001"
    h5_page = mweb["mweb_url"] + ("&" if "?" in mweb["mweb_url"] else "?") + urlencode({"redirect_url": back})
    assert httpx.get(h5_page).status_code == 200
    approved = httpx.post(mweb["mweb_url"].split("?")[0], data={"decision": "approve"})
    assert approved.status_code == 302 and approved.headers["location"] == back
    pay.order.close("v2-jsapi")
    assert pay.order.query(out_trade_no="v2-jsapi")["trade_state"] == "CLOSED"


def test_wechat_v2_request_signed_with_a_wrong_key_is_refused(sandbox):
    _, cfg = sandbox
    pay = WeChatPay(appid=cfg.wechat_v2.appid, api_key="0" * 32, mch_id=cfg.wechat_v2.mch_id)
    pay.API_BASE_URL = cfg.wechat_v2.api_base_url
    from wechatpy.exceptions import WeChatPayException

    with pytest.raises(WeChatPayException):
        pay.order.query(out_trade_no="anything")


def test_sandbox_refuses_notify_urls_off_loopback(sandbox):
    _, cfg = sandbox
    from wechatpy.exceptions import WeChatPayException

    with pytest.raises(WeChatPayException):
        v2_client(cfg).order.create(trade_type="NATIVE", body="x", total_fee=1, notify_url="https://example.com/n", client_ip="127.0.0.1",
                                    product_id="p", out_trade_no="v2-remote")


def test_wechat_v3_native_payment_notification_decrypts_and_refunds(sandbox):
    sb, cfg = sandbox
    wxpay = v3_client(cfg)
    receiver = Receiver(b"")
    try:
        code, text = wxpay.pay(description="深度保洁", out_trade_no="v3-order-1", amount={"total": 25000}, notify_url=receiver.url)
        assert code == 200
        approve(json.loads(text)["code_url"])
        (headers, body), *_ = receiver.wait()
        event = wxpay.callback(headers, body.decode())
        assert event["event_type"] == "TRANSACTION.SUCCESS"
        assert event["resource"]["out_trade_no"] == "v3-order-1" and event["resource"]["amount"]["total"] == 25000
        assert wxpay.callback(headers, body.decode().replace('"summary"', '"Summary"')) is None
        code, text = wxpay.query(out_trade_no="v3-order-1")
        assert code == 200 and json.loads(text)["trade_state"] == "SUCCESS"
        code, text = wxpay.refund(out_refund_no="v3-r1", out_trade_no="v3-order-1", amount={"refund": 5000, "total": 25000, "currency": "CNY"})
        assert code == 200 and json.loads(text)["amount"]["refund"] == 5000
        code, _ = wxpay.refund(out_refund_no="v3-r2", out_trade_no="v3-order-1", amount={"refund": 20001, "total": 25000, "currency": "CNY"})
        assert code == 400
        code, _ = wxpay.refund(out_refund_no="v3-r2", out_trade_no="v3-order-1", amount={"refund": 20000, "total": 25000, "currency": "CNY"})
        assert code == 200
    finally:
        receiver.close()


def test_wechat_v3_jsapi_h5_and_close(sandbox):
    _, cfg = sandbox
    code, text = v3_client(cfg, WeChatPayType.JSAPI).pay(description="x", out_trade_no="v3-jsapi", amount={"total": 100},
                                                          payer={"openid": "o1"}, notify_url="http://127.0.0.1:9/n")
    assert code == 200 and json.loads(text)["prepay_id"]
    h5 = v3_client(cfg, WeChatPayType.H5)
    code, text = h5.pay(description="x", out_trade_no="v3-h5", amount={"total": 100}, notify_url="http://127.0.0.1:9/n",
                        scene_info={"payer_client_ip": "127.0.0.1", "h5_info": {"type": "Wap"}})
    assert code == 200 and json.loads(text)["h5_url"]
    assert h5.close(out_trade_no="v3-h5")[0] == 204
    assert json.loads(h5.query(out_trade_no="v3-h5")[1])["trade_state"] == "CLOSED"


def test_failed_notifications_are_retried_until_the_merchant_answers(sandbox):
    sb, cfg = sandbox
    pay = v2_client(cfg)
    receiver = Receiver(V2_OK, failures=2)
    try:
        created = pay.order.create(trade_type="NATIVE", body="x", total_fee=300, notify_url=receiver.url, client_ip="127.0.0.1",
                                   product_id="p", out_trade_no="v2-retry")
        approve(created["code_url"])
        assert len(receiver.wait(3)) == 3
        # The sandbox records a delivery once the answer is in: a moment after the receiver saw it.
        deadline = time.monotonic() + 5
        while len(outcomes := [d["ok"] for d in sb.deliveries if d["url"] == receiver.url]) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outcomes == [False, False, True]
    finally:
        receiver.close()


def test_notifications_are_sometimes_duplicated_deterministically(tmp_path):
    from platform_core.sandbox.keys import load_or_create

    port = free_port()
    cfg = tenant_config("dup", data_dir=tmp_path, port=port)
    with running_sandbox(load_or_create(tmp_path), port=port, policy=NotifyPolicy(delays=(0,), duplicate_probability=1.0, seed=7)):
        receiver = Receiver(V2_OK)
        try:
            created = v2_client(cfg).order.create(trade_type="NATIVE", body="x", total_fee=300, notify_url=receiver.url,
                                                  client_ip="127.0.0.1", product_id="p", out_trade_no="v2-dup")
            approve(created["code_url"])
            first, second = receiver.wait(2)[:2]
            assert first[1] == second[1]
        finally:
            receiver.close()
