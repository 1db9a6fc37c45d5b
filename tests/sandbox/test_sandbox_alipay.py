"""Alipay through python-alipay-sdk against the running sandbox: page/wap pay, notify, query, refund, close."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import httpx
import pytest
from alipay import AliPay

from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    cfg = tenant_config("sunshine", data_dir=data_dir, port=port)
    with running_sandbox(load_or_create(data_dir), port=port, policy=NotifyPolicy(delays=(0, 0.05), duplicate_probability=0)) as sb:
        yield sb, cfg


def client(cfg) -> AliPay:
    ali = AliPay(appid=cfg.alipay.appid, app_notify_url=None, app_private_key_string=cfg.alipay.app_private_key,
                 alipay_public_key_string=cfg.alipay.alipay_public_key, sign_type="RSA2")
    ali._gateway = cfg.alipay.gateway
    return ali


def checkout(ali: AliPay, method, out_trade_no: str, amount: str, notify_url: str) -> str:
    """Follow the signed redirect like a browser would; returns the pay page URL."""
    query = method(subject="深度保洁", out_trade_no=out_trade_no, total_amount=amount, return_url="http://127.0.0.1:9/done", notify_url=notify_url)
    resp = httpx.get(ali._gateway + "?" + query)
    assert resp.status_code == 302
    return resp.headers["location"]


def test_alipay_page_pay_is_approved_notified_verified_queried_and_refunded(sandbox):
    sb, cfg = sandbox
    ali = client(cfg)
    receiver = Receiver(b"success")
    try:
        pay_url = checkout(ali, ali.api_alipay_trade_page_pay, "ali-1", "199.00", receiver.url)
        assert "¥199.00" in httpx.get(pay_url).text
        assert ali.api_alipay_trade_query(out_trade_no="ali-1")["trade_status"] == "WAIT_BUYER_PAY"
        approved = httpx.post(pay_url, data={"decision": "approve"})
        assert approved.headers["location"] == "http://127.0.0.1:9/done"
        (_, body), *_ = receiver.wait()
        data = dict(parse_qsl(body.decode()))
        signature = data.pop("sign")
        assert ali.verify(dict(data), signature)
        assert data["total_amount"] == "199.00" and data["app_id"] == cfg.alipay.appid
        assert not ali.verify(dict(data, total_amount="1.00"), signature)
        assert ali.api_alipay_trade_query(out_trade_no="ali-1")["trade_status"] == "TRADE_SUCCESS"
        partial = ali.api_alipay_trade_refund(refund_amount="50.00", out_trade_no="ali-1", out_request_no="ali-1-r1")
        assert partial["code"] == "10000" and partial["refund_fee"] == "50.00"
        too_much = ali.api_alipay_trade_refund(refund_amount="149.01", out_trade_no="ali-1", out_request_no="ali-1-r2")
        assert too_much["code"] == "40004"
        rest = ali.api_alipay_trade_refund(refund_amount="149.00", out_trade_no="ali-1", out_request_no="ali-1-r2")
        assert rest["refund_fee"] == "199.00"
        assert ali.api_alipay_trade_query(out_trade_no="ali-1")["trade_status"] == "TRADE_CLOSED"
    finally:
        receiver.close()


def test_alipay_wap_pay_declined_then_closed(sandbox):
    _, cfg = sandbox
    ali = client(cfg)
    pay_url = checkout(ali, ali.api_alipay_trade_wap_pay, "ali-wap", "0.01", "http://127.0.0.1:9/n")
    httpx.post(pay_url, data={"decision": "decline"})
    assert "已拒绝" in httpx.get(pay_url).text
    assert ali.api_alipay_trade_close(out_trade_no="ali-wap")["code"] == "10000"
    assert ali.api_alipay_trade_query(out_trade_no="ali-wap")["trade_status"] == "TRADE_CLOSED"


def test_alipay_full_refund_without_request_number(sandbox):
    _, cfg = sandbox
    ali = client(cfg)
    receiver = Receiver(b"success")
    try:
        httpx.post(checkout(ali, ali.api_alipay_trade_page_pay, "ali-full", "88.80", receiver.url), data={"decision": "approve"})
        assert ali.api_alipay_trade_refund(refund_amount="88.80", out_trade_no="ali-full")["refund_fee"] == "88.80"
    finally:
        receiver.close()


def test_alipay_request_signed_by_another_app_key_is_refused(sandbox, tmp_path):
    _, cfg = sandbox
    other = tenant_config("other", data_dir=tmp_path)  # a different data dir: different keys
    ali = AliPay(appid=cfg.alipay.appid, app_notify_url=None, app_private_key_string=other.alipay.app_private_key,
                 alipay_public_key_string=cfg.alipay.alipay_public_key, sign_type="RSA2")
    ali._gateway = cfg.alipay.gateway
    from alipay.exceptions import AliPayException

    with pytest.raises(AliPayException):
        ali.api_alipay_trade_query(out_trade_no="ali-1")


def test_alipay_response_from_an_impostor_fails_verification(sandbox, tmp_path):
    _, cfg = sandbox
    other = tenant_config("other", data_dir=tmp_path)
    ali = AliPay(appid=cfg.alipay.appid, app_notify_url=None, app_private_key_string=cfg.alipay.app_private_key,
                 alipay_public_key_string=other.alipay.alipay_public_key, sign_type="RSA2")
    ali._gateway = cfg.alipay.gateway
    from alipay.exceptions import AliPayValidationError

    with pytest.raises(AliPayValidationError):
        ali.api_alipay_trade_query(out_trade_no="ali-1")


def test_the_sandbox_index_lists_payments_and_notification_attempts(sandbox):
    sb, cfg = sandbox
    ali = client(cfg)
    receiver = Receiver(b"success")
    try:
        pay_url = checkout(ali, ali.api_alipay_trade_wap_pay, "ali-index", "66.00", receiver.url)
        httpx.post(pay_url, data={"decision": "approve"})
        receiver.wait()
        deadline = time.monotonic() + 5  # the attempt is recorded once its answer is read
        while not any(d["url"] == receiver.url for d in sb.deliveries) and time.monotonic() < deadline:
            time.sleep(0.02)
        page = httpx.get(f"{sb.base_url}/")
    finally:
        receiver.close()
    assert page.status_code == 200
    row = next(line for line in page.text.split("<tr>") if "ali-index" in line)
    assert "66.00" in row and "paid" in row and pay_url.split("127.0.0.1")[1].split("/", 1)[1] in row
    assert receiver.url in page.text
