"""WeChat Pay, API v2 (wechatpy) and v3 (wechatpayv3), end to end against the payment sandbox:
the real SDKs, the real payments services and notify endpoint, PostgreSQL and the ledger.

The sandbox delivers each notification to a local Receiver (the notify base URL of the payment);
the test then posts exactly what WeChat sent to /payments/notify/wechat/{tenant}."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import secrets
import ssl
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
import xmltodict
from anyio import to_thread
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.orders.services import get_order
from platform_core.payments import services
from platform_core.payments.provider import (
    CheckoutRequest,
    PaymentUnavailable,
    ProviderError,
    RefundRequest,
)
from platform_core.pluginsys.config import shown
from platform_core.pluginsys.services import (
    enable_plugin,
    get_plugin_config,
    set_plugin_config,
)
from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.keys import generate
from platform_core.sandbox.server import rsa_sign, rsa_verify
from platform_core.sandbox.testing import Receiver
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.clock import real_now
from platform_core.testing.factories import make_customer, make_item, make_order
from platform_core.testing.pytest_plugin import client_for
from plugins.payments_wechat.config import WeChatPayConfig
from plugins.payments_wechat.plugin import NAME, PROVIDER, sandbox_values

PRICE = 19900
V2_ACCEPTED = b"<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
VERSIONS = pytest.mark.parametrize("version", ["v2", "v3"])


class Shop:
    """A franchise with WeChat Pay on (pointed at the sandbox), a customer and an unpaid order."""

    def __init__(self, app, runtime, tenant, sandbox, version):
        self.app, self.runtime, self.tenant, self.version = app, runtime, tenant, version
        self.sb, data_dir, port = sandbox
        self.cfg = tenant_config(tenant.slug, data_dir=data_dir, port=port)

    async def setup(self):
        await set_plugin_config(self.tenant.id, NAME, sandbox_values(self.cfg, self.version))
        await enable_plugin(self.tenant.id, NAME, actor="test")
        self.customer_id = await make_customer(self.tenant)
        self.item_id = await make_item(self.tenant, price=PRICE)
        return self

    async def order(self) -> int:
        return await make_order(self.tenant, customer_id=self.customer_id, item_id=self.item_id, total=PRICE)

    async def start(self, order_id: int, *, base_url: str = "http://127.0.0.1:9", device: str = "desktop", openid: str | None = None):
        async with tenant_scope(self.tenant.id):
            return await services.start_payment(
                provider_name="wechat", customer_id=self.customer_id, amount=PRICE, currency="CNY", subject="深度保洁 3 小时",
                device=device, client_ip="127.0.0.1", base_url=base_url, return_url=f"http://{self.tenant.slug}.localhost/orders/{order_id}",
                order_id=order_id, openid=openid)

    async def pay(self, receiver: Receiver) -> tuple[int, object, dict, bytes]:
        """A new order paid on the sandbox's pay page; returns it with WeChat's notification."""
        order_id = await self.order()
        payment = await self.start(order_id, base_url=receiver.url)
        assert payment.action.kind == "qr" and payment.action.url.startswith(self.sb.base_url + "/pay/")
        await approve(payment.action.url)
        received = await to_thread.run_sync(receiver.wait)
        assert len(received) == 1
        headers, body = received[0]
        return order_id, payment, headers, body

    async def notify(self, headers: dict, body: bytes) -> httpx.Response:
        wanted = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        async with client_for(self.app, f"{self.tenant.slug}.localhost") as client:
            return await client.post(f"/payments/notify/wechat/{self.tenant.slug}", content=body, headers=wanted)

    def sandbox_payment(self, payment_no: str):
        return self.sb.find(f"wechat_{self.version}", self.cfg.wechat_v3.mchid, payment_no)

    def accepted(self, response: httpx.Response) -> bool:
        if self.version == "v2":
            return response.status_code == 200 and response.content == V2_ACCEPTED
        return response.status_code == 204 and response.content == b""

    def refused(self, response: httpx.Response) -> bool:
        if self.version == "v2":
            return response.status_code == 200 and b"<return_code><![CDATA[FAIL]]></return_code>" in response.content
        return response.status_code == 400 and response.json()["code"] == "FAIL"

    async def state(self, payment_id: int, order_id: int):
        async with tenant_scope(self.tenant.id):
            payment = await services.get_payment(payment_id)
            order = await get_order(order_id)
            kinds = [t.kind for t in await ledger.order_transactions(order_id)]
            clearing = await ledger.balance("provider:wechat:clearing", "CNY")
        return payment, order, kinds, clearing


def paid_order(order) -> bool:
    """Paid, and on to dispatch: which state dispatch has moved it to since is not ours to say."""
    return order.paid_at is not None and order.state not in ("pending_payment", "cancelled")


async def approve(url: str) -> None:
    async with httpx.AsyncClient() as client:
        page = await client.get(url)
        assert page.status_code == 200 and "确认支付" in page.text
        await client.post(url, data={"decision": "approve"})


@pytest.fixture
def shop(app, runtime, make_tenant, sandbox):
    async def factory(version: str) -> Shop:
        return await Shop(app, runtime, await make_tenant(prefix="wx"), sandbox, version).setup()

    return factory


# --------------------------------------------------------------------------- forging notifications


def resigned_v2(shop: Shop, body: bytes, **changes: str) -> bytes:
    """A v2 notification with fields changed and signed again with the merchant's API key, as
    WeChat (here: the sandbox) signs."""
    data = dict(xmltodict.parse(body)["xml"])
    data.pop("sign")
    data.update(changes)
    return dict_to_xml(data, calculate_signature(data, shop.cfg.wechat_v2.api_key)).encode()


def resigned_v3(shop: Shop, body: bytes, **amount: int) -> tuple[dict, bytes]:
    """A v3 notification whose transaction has another amount: encrypted with the APIv3 key and
    signed with the platform key, as the sandbox does."""
    event = json.loads(body)
    resource = event["resource"]
    plain = AESGCM(shop.cfg.wechat_v3.apiv3_key.encode()).decrypt(
        resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode())
    transaction = json.loads(plain)
    transaction["amount"] |= amount
    nonce = secrets.token_hex(6)
    resource |= {"nonce": nonce, "ciphertext": base64.b64encode(AESGCM(shop.cfg.wechat_v3.apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(transaction).encode(), resource["associated_data"].encode())).decode()}
    event["id"] = "EV-" + secrets.token_hex(12)
    text = json.dumps(event, ensure_ascii=False)
    return {"Content-Type": "application/json"} | shop.sb.wechat_v3_headers(text), text.encode()


# --------------------------------------------------------------------------- paying


@VERSIONS
async def test_a_native_payment_pays_the_order_once_and_answers_as_wechat_expects(shop, receiver, version):
    s = await shop(version)
    order_id, payment, headers, body = await s.pay(receiver)
    assert s.sandbox_payment(payment.payment_no).notify_url == f"{receiver.url}/payments/notify/wechat/{s.tenant.slug}"

    first = await s.notify(headers, body)
    assert s.accepted(first), first.content
    paid, order, kinds, clearing = await s.state(payment.id, order_id)
    assert paid.status == "succeeded" and paid.paid_at is not None and paid.provider_ref
    assert paid_order(order)
    assert kinds == ["payment"] and clearing == PRICE

    # WeChat sends it again (it does when our answer is late): accepted, nothing moves twice.
    again = await s.notify(headers, body)
    assert s.accepted(again)
    repaid, _, kinds, clearing = await s.state(payment.id, order_id)
    assert repaid.paid_at == paid.paid_at and kinds == ["payment"] and clearing == PRICE
    async with tenant_scope(s.tenant.id):
        assert await current_connection().fetchval("select count(*) from core_payment_notification where payment_id = $1", payment.id) == 1
        assert await services.refusals() == []


@VERSIONS
async def test_the_same_notification_delivered_four_times_at_once_credits_once(shop, receiver, version):
    s = await shop(version)
    order_id, payment, headers, body = await s.pay(receiver)
    answers = await asyncio.gather(*(s.notify(headers, body) for _ in range(4)))
    assert all(s.accepted(a) for a in answers)
    paid, order, kinds, clearing = await s.state(payment.id, order_id)
    assert paid.status == "succeeded" and paid_order(order) and kinds == ["payment"] and clearing == PRICE


@VERSIONS
async def test_forged_and_tampered_notifications_are_refused_and_listed(shop, receiver, version):
    s = await shop(version)
    order_id, payment, headers, body = await s.pay(receiver)
    if version == "v2":
        other_no = payment.payment_no[:-1] + ("1" if payment.payment_no[-1] != "1" else "2")
        tampered = body.replace(payment.payment_no.encode(), other_no.encode())
        # Signed with a key that is not the merchant's.
        fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": s.cfg.wechat_v2.appid, "mch_id": s.cfg.wechat_v2.mch_id,
                  "out_trade_no": payment.payment_no, "total_fee": str(PRICE), "transaction_id": "4200000000000000001", "nonce_str": "x"}
        forged_headers, forged = headers, dict_to_xml(fields, calculate_signature(fields, "0" * 32)).encode()
    else:
        tampered = body.replace(b'"summary"', b'"Summary"')
        # Signed by someone else's key under WeChat's serial.
        other = generate().wechat_platform.private_pem
        forged_headers = headers | {"Wechatpay-Signature": rsa_sign(other, f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body.decode()}\n")}
        forged = body
    for h, b in ((headers, tampered), (forged_headers, forged)):
        assert s.refused(await s.notify(h, b))
    still, order, kinds, clearing = await s.state(payment.id, order_id)
    assert still.status == "pending" and order.state == "pending_payment" and kinds == [] and clearing == 0
    async with tenant_scope(s.tenant.id):
        assert [(r.provider, r.reason) for r in await services.refusals()] == [("wechat", "signature"), ("wechat", "signature")]

    # The genuine notification still goes through afterwards.
    assert s.accepted(await s.notify(headers, body))
    assert (await s.state(payment.id, order_id))[0].status == "succeeded"


@VERSIONS
async def test_a_validly_signed_notification_for_another_amount_is_refused(shop, receiver, version):
    s = await shop(version)
    order_id, payment, headers, body = await s.pay(receiver)
    if version == "v2":
        body = resigned_v2(s, body, total_fee="100", cash_fee="100")
    else:
        headers, body = resigned_v3(s, body, total=100, payer_total=100)
    assert s.refused(await s.notify(headers, body))
    still, order, kinds, _ = await s.state(payment.id, order_id)
    assert still.status == "pending" and order.state == "pending_payment" and kinds == []
    async with tenant_scope(s.tenant.id):
        assert [(r.reason, r.detail, r.payment_no) for r in await services.refusals()] == [("amount", f"100 for {PRICE}", payment.payment_no)]


async def test_a_v3_notification_signed_long_ago_is_refused_as_stale(shop, receiver):
    s = await shop("v3")  # v2 notifications carry no timestamp
    _, payment, headers, body = await s.pay(receiver)
    old = str(int(headers["Wechatpay-Timestamp"]) - 600)
    replayed = headers | {"Wechatpay-Timestamp": old, "Wechatpay-Signature": rsa_sign(
        s.sb.keys.wechat_platform.private_pem, f"{old}\n{headers['Wechatpay-Nonce']}\n{body.decode()}\n")}
    assert s.refused(await s.notify(replayed, body))
    async with tenant_scope(s.tenant.id):
        assert [r.reason for r in await services.refusals()] == ["stale"]
        assert (await services.get_payment(payment.id)).status == "pending"


# --------------------------------------------------------------------------- refunds


@VERSIONS
async def test_a_partial_refund_then_the_rest_go_back_through_wechat(shop, receiver, version):
    s = await shop(version)
    order_id, payment, headers, body = await s.pay(receiver)
    assert s.accepted(await s.notify(headers, body))
    async with tenant_scope(s.tenant.id):
        part = await services.refund_payment(payment.id, 5000, "少做了一小时", "console:1")
        assert part.status == "succeeded" and part.provider_ref and part.finished_at is not None
        assert (await services.get_payment(payment.id)).refundable == PRICE - 5000
        rest = await services.refund_payment(payment.id, PRICE - 5000, "客户取消", "console:1")
        assert rest.status == "succeeded" and (await services.get_payment(payment.id)).refundable == 0
        with pytest.raises(ValidationFailed) as too_much:
            await services.refund_payment(payment.id, 1, "", "console:1")
        assert "amount" in too_much.value.fields
        kinds = [t.kind for t in await ledger.order_transactions(order_id)]
        clearing = await ledger.balance("provider:wechat:clearing", "CNY")
    assert kinds == ["payment", "refund", "refund"] and clearing == 0
    # WeChat's side agrees: both refunds, under our refund numbers, adding up to the payment.
    refunds = s.sandbox_payment(payment.payment_no).refunds
    assert [(r["out_refund_no"], r["amount"]) for r in refunds] == [(part.refund_no, 5000), (rest.refund_no, PRICE - 5000)]


@VERSIONS
async def test_a_refund_wechat_refuses_is_failed_with_its_reason(shop, receiver, version):
    s = await shop(version)
    order_id, payment, headers, body = await s.pay(receiver)
    assert s.accepted(await s.notify(headers, body))
    # Refunded at WeChat behind our back (e.g. from the merchant platform): WeChat refuses ours.
    s.sb.refund(s.sandbox_payment(payment.payment_no), "elsewhere", PRICE)
    async with tenant_scope(s.tenant.id):
        refused = await services.refund_payment(payment.id, 100, "", "console:1")
        kinds = [t.kind for t in await ledger.order_transactions(order_id)]
    assert refused.status == "failed" and "WeChat Pay" in refused.message and kinds == ["payment"]


# --------------------------------------------------------------------------- v2 refunds over mutual TLS


def _certificate(subject: str, key, issuer: str, issuer_key, *, ip: str | None = None, ca: bool = False) -> x509.Certificate:
    now = real_now()  # OpenSSL checks the dates by the machine's clock, which HEARTH_TEST_CLOCK does not move
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class MutualTlsRefunds:
    """WeChat's secapi/pay/refund behind TLS that requires a client certificate signed by its CA
    (the sandbox speaks plain HTTP). Records the certificate each refund came with."""

    def __init__(self, folder: Path, api_key: str):
        def pem_of(obj) -> bytes:
            return obj.public_bytes(serialization.Encoding.PEM)

        self.ca_key, server_key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
        self.ca = _certificate("WeChat Pay test CA", self.ca_key, "WeChat Pay test CA", self.ca_key, ca=True)
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(pem_of(self.ca))
        (folder / "server.pem").write_bytes(pem_of(_certificate("127.0.0.1", server_key, "WeChat Pay test CA", self.ca_key, ip="127.0.0.1"))
                                            + server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                                       serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "server.pem")
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(self.ca_file)
        self.presented: list[str] = []
        refunds = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                subject = dict(item[0] for item in self.connection.getpeercert()["subject"])
                refunds.presented.append(subject["commonName"])
                asked = dict(xmltodict.parse(self.rfile.read(int(self.headers["Content-Length"])))["xml"])
                answer = {"return_code": "SUCCESS", "result_code": "SUCCESS", "out_refund_no": asked["out_refund_no"],
                          "refund_id": "50300000000001", "refund_fee": asked["refund_fee"], "nonce_str": "n"}
                body = dict_to_xml(answer, calculate_signature(answer, api_key)).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client_certificate(self, private_pem: str, mch_id: str) -> str:
        key = serialization.load_pem_private_key(private_pem.encode(), None)
        return _certificate(mch_id, key, "WeChat Pay test CA", self.ca_key).public_bytes(serialization.Encoding.PEM).decode()


async def test_a_v2_refund_presents_the_merchant_api_certificate(shop, tmp_path, monkeypatch):
    s = await shop("v2")
    wechat = MutualTlsRefunds(tmp_path, s.cfg.wechat_v2.api_key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(wechat.ca_file))  # trust the stand-in's CA, as the real one is trusted
    try:
        certificate = wechat.client_certificate(s.cfg.wechat_v3.private_key, s.cfg.wechat_v2.mch_id)
        # Pasted into the console's one-line field: the line breaks are gone.
        await set_plugin_config(s.tenant.id, NAME, {"api_base_url": wechat.url, "api_client_cert": certificate.replace("\n", "")})
        config = await get_plugin_config(s.tenant.id, NAME)
        refund = RefundRequest(payment_no="HPAID1", refund_no="HPAID1R01", amount=500, payment_amount=PRICE, currency="CNY", reason="")
        result = await PROVIDER.refund(config, refund)
        assert result.status == "succeeded" and result.provider_ref == "50300000000001"
        assert wechat.presented == [s.cfg.wechat_v2.mch_id]

        without = msgspec.structs.replace(config, api_client_cert="")
        with pytest.raises(ProviderError) as refused:
            await PROVIDER.refund(without, refund)
        assert "could not be reached" in refused.value.message and wechat.presented == [s.cfg.wechat_v2.mch_id]
    finally:
        wechat.server.shutdown()
        wechat.server.server_close()

    with pytest.raises(ValidationFailed) as bad:
        await set_plugin_config(s.tenant.id, NAME, {"api_client_cert": "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----"})
    assert "api_client_cert" in bad.value.fields


# --------------------------------------------------------------------------- reconciliation


@VERSIONS
async def test_reconciliation_finds_a_payment_whose_notification_was_lost(shop, receiver, version):
    s = await shop(version)
    order_id, payment, _headers, _body = await s.pay(receiver)  # the notification never reaches us
    async with tenant_scope(s.tenant.id):
        assert await services.reconcile_payment(payment.id) == "succeeded"
    paid, order, kinds, clearing = await s.state(payment.id, order_id)
    assert paid.status == "succeeded" and paid_order(order) and kinds == ["payment"] and clearing == PRICE
    assert paid.provider_ref == s.sandbox_payment(payment.payment_no).transaction_id


@VERSIONS
async def test_an_expired_unpaid_payment_is_closed_at_wechat(shop, version):
    s = await shop(version)
    order_id = await s.order()
    payment = await s.start(order_id)
    async with tenant_scope(s.tenant.id):
        assert await services.reconcile_payment(payment.id) == "pending"  # still time to pay
        await current_connection().execute("update core_payment set expires_at = $2 where id = $1", payment.id, clock.now() - timedelta(minutes=1))
        assert await services.reconcile_payment(payment.id) == "closed"
    assert s.sandbox_payment(payment.payment_no).status == "closed"  # the QR code no longer pays
    closed, order, kinds, _ = await s.state(payment.id, order_id)
    assert closed.status == "closed" and order.state == "pending_payment" and kinds == []


# --------------------------------------------------------------------------- inside WeChat, on a phone


@VERSIONS
async def test_inside_wechat_jsapi_needs_the_payers_openid(shop, version):
    s = await shop(version)
    order_id = await s.order()
    async with tenant_scope(s.tenant.id):
        config = await get_plugin_config(s.tenant.id, NAME)
    request = CheckoutRequest(payment_no="HNOOPENID1", amount=PRICE, currency="CNY", subject="保洁", device="wechat", client_ip="127.0.0.1",
                              notify_url="http://127.0.0.1:9/n", return_url="http://x/", expires_at=datetime.now(timezone.utc))
    with pytest.raises(PaymentUnavailable):
        await PROVIDER.create(config, request)
    with pytest.raises(ValidationFailed) as refused:
        await s.start(order_id, device="wechat")
    assert refused.value.fields["provider"] == "To pay with WeChat Pay inside WeChat, sign in with WeChat first."

    payment = await s.start(order_id, device="wechat", openid="oPayer123")
    params = payment.action.params
    assert payment.action.kind == "jsapi" and params["package"] == f"prepay_id={payment.action.provider_ref}"
    assert params["appId"] == s.cfg.wechat_v3.appid and payment.provider_ref == payment.action.provider_ref
    if version == "v2":
        unsigned = {k: v for k, v in params.items() if k != "paySign"}
        assert params["signType"] == "MD5" and params["paySign"] == calculate_signature(unsigned, s.cfg.wechat_v2.api_key)
    else:
        message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
        assert params["signType"] == "RSA" and rsa_verify(s.sb.keys.wechat_merchant.public_pem, message, params["paySign"])


@VERSIONS
async def test_a_phone_browser_goes_to_the_h5_cashier_and_comes_back(shop, receiver, version):
    s = await shop(version)
    order_id = await s.order()
    payment = await s.start(order_id, device="mobile", base_url=receiver.url)
    url = urlsplit(payment.action.url)
    assert payment.action.kind == "redirect" and payment.action.method == "h5"
    assert payment.action.url.startswith(s.sb.base_url + f"/pay/wechat_{version}/")
    assert parse_qs(url.query)["redirect_url"] == [f"http://{s.tenant.slug}.localhost/orders/{order_id}"]
    await approve(payment.action.url)
    headers, body = (await to_thread.run_sync(receiver.wait))[0]
    assert s.accepted(await s.notify(headers, body))
    assert paid_order((await s.state(payment.id, order_id))[1])


# --------------------------------------------------------------------------- WeChat unreachable or not itself


@VERSIONS
async def test_an_unreachable_wechat_is_a_provider_error_that_names_no_secret(shop, version):
    s = await shop(version)
    order_id = await s.order()
    async with tenant_scope(s.tenant.id):
        config = await get_plugin_config(s.tenant.id, NAME)
    down = msgspec.structs.replace(config, api_base_url="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(ProviderError) as caught:
        await PROVIDER.query(down, "HNOSUCHPAYMENT", "")
    assert "could not be reached" in caught.value.message
    assert not any(secret in caught.value.message for secret in (config.api_key, config.apiv3_key, config.private_key[40:80]))
    # Checkout says so on the payment-method field, and leaves no payment behind.
    await set_plugin_config(s.tenant.id, NAME, {"api_base_url": "http://127.0.0.1:9"})
    with pytest.raises(ValidationFailed) as refused:
        await s.start(order_id)
    assert "provider" in refused.value.fields
    async with tenant_scope(s.tenant.id):
        assert await services.order_payments(order_id) == []


async def test_a_v3_answer_not_signed_by_wechat_pay_is_not_believed(shop):
    s = await shop("v3")
    payment = await s.start(await s.order())
    async with tenant_scope(s.tenant.id):
        config = await get_plugin_config(s.tenant.id, NAME)
    assert (await PROVIDER.query(config, payment.payment_no, payment.provider_ref)).status == "pending"
    # Someone else's public key configured as WeChat Pay's: the sandbox's signed answers no longer verify.
    impostor = msgspec.structs.replace(config, platform_public_key=generate().wechat_platform.public_pem)
    with pytest.raises(ProviderError) as caught:
        await PROVIDER.query(impostor, payment.payment_no, payment.provider_ref)
    assert "could not be verified" in caught.value.message


# --------------------------------------------------------------------------- settings


def test_each_api_version_needs_its_own_credentials():
    v2 = WeChatPayConfig(api_version="v2", appid="wx1", mch_id="1900000109", api_key="k" * 32)
    assert v2.configured() and not msgspec.structs.replace(v2, api_version="v3").configured()
    assert not WeChatPayConfig().configured()


async def test_bad_keys_are_refused_on_their_field_and_secrets_never_shown(runtime, make_tenant, sandbox):
    tenant = await make_tenant(prefix="wxc")
    with pytest.raises(ValidationFailed) as short:
        await set_plugin_config(tenant.id, NAME, {"api_key": "short", "mch_id": "19000001"})
    assert short.value.fields == {"api_key": "The API key is 32 characters long."}
    with pytest.raises(ValidationFailed) as digits:
        await set_plugin_config(tenant.id, NAME, {"mch_id": "19x"})
    assert "mch_id" in digits.value.fields
    _, data_dir, port = sandbox
    await set_plugin_config(tenant.id, NAME, sandbox_values(tenant_config(tenant.slug, data_dir=data_dir, port=port)))
    visible = shown(await get_plugin_config(tenant.id, NAME))
    for secret in ("api_key", "private_key", "apiv3_key"):
        assert visible[secret] and "PRIVATE KEY" not in visible[secret] and len(visible[secret]) < 20


async def test_a_notification_for_a_franchise_without_wechat_pay_set_up_is_refused(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="wxn")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        response = await client.post(f"/payments/notify/wechat/{tenant.slug}", content=b"<xml></xml>")
    assert response.status_code == 400 and response.json()["code"] == "FAIL"
    async with tenant_scope(tenant.id):
        assert [r.reason for r in await services.refusals()] == ["not_configured"]
