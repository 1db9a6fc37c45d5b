"""The sandbox's aiohttp app: the providers' side of WeChat Pay v2/v3, Alipay and Stripe webhooks,
AMap's web-service API and QQ Connect's sign-in.

State lives in memory (a restart forgets payments, as a fresh sandbox should). Network stays on
127.0.0.1: notify URLs elsewhere are refused at creation.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import html
import json
import os
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
from aiohttp import web
from babel.numbers import format_currency, get_currency_precision
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from stripe import WebhookSignature
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from .keys import SandboxKeys

if TYPE_CHECKING:
    from .qq_oauth import QQConnect

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Alipay's sub_code for a refused transfer, by the sandbox's reason.
ALIPAY_TRANSFER_CODES = {"name": "PAYEE_USER_INFO_ERROR", "frozen": "PAYEE_ACCOUNT_STATUS_ERROR", "cancelled": "PAYEE_NOT_CONFIRMED"}


@dataclass
class Payment:
    id: str
    provider: str  # wechat_v2 | wechat_v3 | alipay | stripe
    merchant: str  # mch_id or app_id
    appid: str
    out_trade_no: str
    amount: int  # fen (cents for Stripe's other currencies)
    description: str
    notify_url: str
    return_url: str = ""
    status: str = "pending"  # pending | paid | declined | closed
    transaction_id: str = field(default_factory=lambda: "42" + str(time.time_ns())[-16:] + str(random.randint(10, 99)))
    paid_at: float | None = None
    refunds: list[dict] = field(default_factory=list)
    currency: str = "CNY"  # WeChat Pay and Alipay take yuan; a Stripe intent says its own

    @property
    def refunded(self) -> int:
        return sum(r["amount"] for r in self.refunds)


# Steering a transfer's outcome (docs/sandbox.md): a payee account (openid or Alipay logon id)
# containing one of these words is refused, or waits for the person to confirm on /transfer/{id}.
MARKERS = {"wrongname": "name", "frozen": "frozen", "confirm": "waiting"}


@dataclass
class Transfer:
    """Money the merchant sent to a person: WeChat's transfer to balance (v2 or v3) or Alipay's
    alipay.fund.trans.uni.transfer. Keyed by the merchant's number, as the real APIs are."""

    id: str
    provider: str  # wechat_v2 | wechat_v3 | alipay
    merchant: str  # mch_id or app_id
    appid: str
    out_no: str  # partner_trade_no / out_bill_no / out_biz_no
    amount: int  # fen
    account: str  # the openid or the Alipay logon id
    name: str  # the payee's name as the merchant sent it (decrypted for v3), or ""
    remark: str
    notify_url: str  # "" for v2, which has no transfer notification
    status: str = "pending"  # pending | waiting (for the person to confirm) | succeeded | failed | cancelled
    reason: str = ""  # why it failed: name | frozen | cancelled
    transfer_id: str = field(default_factory=lambda: "13" + str(time.time_ns())[-18:] + str(random.randint(10, 99)))
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def final(self) -> bool:
        return self.status in ("succeeded", "failed", "cancelled")


@dataclass
class NotifyPolicy:
    """Real providers retry failed notifications with backoff and sometimes deliver twice."""

    delays: tuple[float, ...] = (0, 15, 15, 30, 180, 600)
    duplicate_probability: float = 0.1
    seed: int | None = None


class SandboxError(Exception):
    pass


class TransferConflict(SandboxError):
    """A transfer number sent again with another amount or payee."""


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK


@functools.lru_cache(maxsize=32)
def _load_private(pem: str):
    # Loading checks the key, tens of milliseconds for RSA-2048: once per key, not per signature.
    return serialization.load_pem_private_key(pem.encode(), password=None)


@functools.lru_cache(maxsize=32)
def _load_public(pem: str):
    return serialization.load_pem_public_key(pem.encode())


def rsa_sign(private_pem: str, message: str) -> str:
    sig = _load_private(private_pem).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode()


def rsa_verify(public_pem: str, message: str, signature: str) -> bool:
    try:
        _load_public(public_pem).verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def shown(amount: int, currency: str) -> str:
    """An amount as the pay page shows it, in its own currency: "¥199.00", "HK$25.00"."""
    return format_currency(amount / 10 ** get_currency_precision(currency), currency, locale="zh_CN" if currency == "CNY" else "en")


def fen(amount: str) -> int:
    whole, _, frac = amount.strip().partition(".")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise SandboxError(f"bad amount {amount!r}")
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


class Sandbox:
    def __init__(self, keys: SandboxKeys, *, base_url: str, policy: NotifyPolicy | None = None, stripe_api: str | None = None):
        self.keys = keys
        self.base_url = base_url.rstrip("/")
        self.policy = policy or NotifyPolicy()
        self.random = random.Random(self.policy.seed)
        self.stripe_api = stripe_api
        self.payments: dict[str, Payment] = {}
        self.transfers: dict[str, Transfer] = {}
        self.stripe_webhooks: list[tuple[str, str | None]] = []  # (url, account: only that tenant's events)
        self.deliveries: list[dict] = []  # every attempt, for tests and the index page
        self.qq: QQConnect | None = None  # QQ Connect's codes and tokens, set by build_app
        # WeChat sign-in (wechat_oauth.py): codes by code, access tokens by token.
        self.oauth_codes: dict[str, dict] = {}
        self.oauth_tokens: dict[str, dict] = {}
        self._tasks: set[asyncio.Task] = set()
        self._http: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------------ payments

    def find(self, provider: str, merchant: str, out_trade_no: str) -> Payment | None:
        for p in self.payments.values():
            if p.provider == provider and p.merchant == merchant and p.out_trade_no == out_trade_no:
                return p
        return None

    def create(self, **kwargs) -> Payment:
        if not _is_loopback(kwargs["notify_url"]):
            raise SandboxError("notify_url must point at 127.0.0.1")
        existing = self.find(kwargs["provider"], kwargs["merchant"], kwargs["out_trade_no"])
        if existing:
            # Providers answer a repeated create with the same prepay: the order number is the key.
            if existing.amount != kwargs["amount"]:
                raise SandboxError("out_trade_no reused with another amount")
            return existing
        payment = Payment(id=kwargs["provider"][:2] + secrets.token_hex(8), **kwargs)
        self.payments[payment.id] = payment
        return payment

    def pay_url(self, payment: Payment) -> str:
        return f"{self.base_url}/pay/{payment.provider}/{payment.id}"

    def refund(self, payment: Payment, out_refund_no: str, amount: int) -> dict:
        for r in payment.refunds:
            if r["out_refund_no"] == out_refund_no:
                return r
        if payment.status != "paid":
            raise SandboxError("trade not paid")
        if amount <= 0 or payment.refunded + amount > payment.amount:
            raise SandboxError("refund amount exceeds the paid amount")
        refund = {"out_refund_no": out_refund_no, "refund_id": "50" + str(time.time_ns())[-18:], "amount": amount, "at": time.time()}
        payment.refunds.append(refund)
        return refund

    # ------------------------------------------------------------------ transfers

    def find_transfer(self, provider: str, merchant: str, out_no: str) -> Transfer | None:
        for t in self.transfers.values():
            if t.provider == provider and t.merchant == merchant and t.out_no == out_no:
                return t
        return None

    def transfer(self, **kwargs) -> tuple[Transfer, bool]:
        """The transfer for the merchant's number, and whether it is new. The same number again is
        the first transfer (never paid twice); with another amount or payee it is an error."""
        if kwargs["notify_url"] and not _is_loopback(kwargs["notify_url"]):
            raise SandboxError("notify_url must point at 127.0.0.1")
        if kwargs["amount"] <= 0:
            raise SandboxError("the amount must be positive")
        existing = self.find_transfer(kwargs["provider"], kwargs["merchant"], kwargs["out_no"])
        if existing:
            if existing.amount != kwargs["amount"] or existing.account != kwargs["account"]:
                raise TransferConflict("the same number with another amount or payee")
            return existing, False
        t = Transfer(id="tr" + secrets.token_hex(8), **kwargs)
        marker = next((outcome for word, outcome in MARKERS.items() if word in t.account.lower()), None)
        if marker == "waiting":
            t.status = "waiting"
        elif marker is not None:
            t.status, t.reason, t.finished_at = "failed", marker, time.time()
        else:
            t.status, t.finished_at = "succeeded", time.time()
        self.transfers[t.id] = t
        if t.final:
            self.notify_transfer(t)
        return t, True

    def settle_transfer(self, t: Transfer, confirmed: bool) -> None:
        """The person confirmed (or declined) a transfer waiting for them; the merchant is told."""
        if t.status != "waiting":
            return
        t.status, t.finished_at = ("succeeded", time.time()) if confirmed else ("cancelled", time.time())
        t.reason = "" if confirmed else "cancelled"
        self.notify_transfer(t)

    def transfer_url(self, t: Transfer) -> str:
        return f"{self.base_url}/transfer/{t.id}"

    def notify_transfer(self, t: Transfer) -> None:
        if t.provider == "wechat_v3":
            self._notify_wechat_v3_transfer(t)
        elif t.provider == "alipay":
            self._notify_alipay_transfer(t)
        # WeChat v2's transfer to balance has no notification: the answer and the query tell.

    def wechat_v3_bill(self, t: Transfer) -> dict:
        state = {"waiting": "WAIT_USER_CONFIRM", "pending": "PROCESSING", "succeeded": "SUCCESS", "failed": "FAIL", "cancelled": "CANCELLED"}[t.status]
        out = {"mch_id": t.merchant, "appid": t.appid, "out_bill_no": t.out_no, "transfer_bill_no": t.transfer_id, "state": state,
               "transfer_amount": t.amount, "transfer_remark": t.remark, "openid": t.account,
               "create_time": datetime.fromtimestamp(t.created_at).astimezone().isoformat(timespec="seconds"),
               "update_time": datetime.fromtimestamp(t.finished_at or t.created_at).astimezone().isoformat(timespec="seconds")}
        if t.status in ("failed", "cancelled"):
            out["fail_reason"] = {"name": "NAME_NOT_CORRECT", "frozen": "ACCOUNT_FROZEN", "cancelled": "USER_CANCELLED"}.get(t.reason, "SYSTEM_ERROR")
        return out

    def _notify_wechat_v3_transfer(self, t: Transfer) -> None:
        nonce, aad = secrets.token_hex(6), "mch_payment"
        plain = json.dumps(self.wechat_v3_bill(t), ensure_ascii=False).encode()
        ciphertext = AESGCM(self.keys.wechat_apiv3_key.encode()).encrypt(nonce.encode(), plain, aad.encode())
        event = {
            "id": "EV-" + secrets.token_hex(12), "create_time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource", "event_type": "MCHTRANSFER.BILL.FINISHED", "summary": "商家转账单据终态通知",
            "resource": {"original_type": "mch_payment", "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
                         "associated_data": aad, "nonce": nonce},
        }
        body = json.dumps(event, ensure_ascii=False)
        headers = {"Content-Type": "application/json"} | self.wechat_v3_headers(body)
        self.notify(t.notify_url, body.encode(), headers, lambda status, text: 200 <= status < 300)

    def alipay_transfer_order(self, t: Transfer) -> dict:
        status = {"waiting": "DEALING", "pending": "DEALING", "succeeded": "SUCCESS", "failed": "FAIL", "cancelled": "CLOSED"}[t.status]
        out = {"out_biz_no": t.out_no, "order_id": t.transfer_id, "pay_fund_order_id": "2" + t.transfer_id, "status": status,
               "trans_amount": yuan(t.amount), "biz_scene": "DIRECT_TRANSFER", "product_code": "TRANS_ACCOUNT_NO_PWD"}
        if t.finished_at and t.status == "succeeded":
            out["pay_date"] = datetime.fromtimestamp(t.finished_at).strftime("%Y-%m-%d %H:%M:%S")
        if t.reason:
            out["fail_reason"] = {"name": "收款方姓名与账户不一致", "frozen": "收款账户已冻结", "cancelled": "收款方未确认收款"}[t.reason]
            out["error_code"] = ALIPAY_TRANSFER_CODES[t.reason]
        return out

    def _notify_alipay_transfer(self, t: Transfer) -> None:
        fields = {
            "notify_id": secrets.token_hex(16), "utc_timestamp": str(int(time.time() * 1000)), "msg_method": "alipay.fund.trans.order.changed",
            "app_id": t.appid, "version": "1.1", "charset": "utf-8",
            "biz_content": json.dumps(self.alipay_transfer_order(t), ensure_ascii=False, separators=(",", ":")),
        }
        fields["sign"], fields["sign_type"] = self.alipay_sign(fields), "RSA2"
        self.notify(t.notify_url, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                    lambda status, text: status == 200 and text.strip() == "success")

    # ------------------------------------------------------------------ notifications

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def notify(self, url: str, body: bytes, headers: dict[str, str], accepted) -> None:
        self._spawn(self._deliver(url, body, headers, accepted))
        if self.random.random() < self.policy.duplicate_probability:
            self._spawn(self._deliver(url, body, headers, accepted))

    async def _deliver(self, url: str, body: bytes, headers: dict[str, str], accepted) -> None:
        assert self._http is not None
        for attempt, delay in enumerate(self.policy.delays):
            await asyncio.sleep(delay)
            try:
                async with self._http.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    text = await resp.text()
                    ok = accepted(resp.status, text)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                ok, text = False, repr(exc)
            self.deliveries.append({"url": url, "attempt": attempt + 1, "ok": ok, "reply": text[:200]})
            if ok:
                return

    async def approve(self, payment: Payment) -> None:
        payment.status, payment.paid_at = "paid", time.time()
        if payment.provider == "wechat_v2":
            self._notify_wechat_v2(payment)
        elif payment.provider == "wechat_v3":
            self._notify_wechat_v3(payment)
        elif payment.provider == "alipay":
            self._notify_alipay(payment)
        elif payment.provider == "stripe":
            await self._confirm_stripe(payment)

    def _notify_wechat_v2(self, p: Payment) -> None:
        data = {
            "return_code": "SUCCESS", "result_code": "SUCCESS", "appid": p.appid, "mch_id": p.merchant,
            "nonce_str": secrets.token_hex(16), "openid": "oSandboxPayer", "is_subscribe": "N",
            "trade_type": "NATIVE", "bank_type": "OTHERS", "total_fee": str(p.amount), "cash_fee": str(p.amount),
            "fee_type": "CNY", "transaction_id": p.transaction_id, "out_trade_no": p.out_trade_no,
            "time_end": datetime.fromtimestamp(p.paid_at or time.time()).strftime("%Y%m%d%H%M%S"),
        }
        body = dict_to_xml(data, calculate_signature(data, self.keys.wechat_v2_api_key)).encode()
        self.notify(p.notify_url, body, {"Content-Type": "text/xml"}, lambda status, text: status == 200 and "SUCCESS" in text)

    def wechat_v3_headers(self, body: str) -> dict[str, str]:
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(self.keys.wechat_platform.private_pem, f"{ts}\n{nonce}\n{body}\n"),
            "Wechatpay-Serial": self.keys.wechat_platform_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def wechat_v3_transaction(self, p: Payment) -> dict:
        state = {"pending": "NOTPAY", "paid": "REFUND" if p.refunds else "SUCCESS", "declined": "PAYERROR", "closed": "CLOSED"}[p.status]
        out = {
            "appid": p.appid, "mchid": p.merchant, "out_trade_no": p.out_trade_no, "trade_state": state,
            "trade_state_desc": state, "amount": {"total": p.amount, "currency": "CNY"},
        }
        if p.status == "paid":
            out |= {
                "transaction_id": p.transaction_id, "trade_type": "NATIVE", "bank_type": "OTHERS",
                "success_time": datetime.fromtimestamp(p.paid_at or 0).astimezone().isoformat(timespec="seconds"),
                "payer": {"openid": "oSandboxPayer"},
            }
            out["amount"] |= {"payer_total": p.amount, "payer_currency": "CNY"}
        return out

    def _notify_wechat_v3(self, p: Payment) -> None:
        nonce, aad = secrets.token_hex(6), "transaction"
        plain = json.dumps(self.wechat_v3_transaction(p), ensure_ascii=False).encode()
        ciphertext = AESGCM(self.keys.wechat_apiv3_key.encode()).encrypt(nonce.encode(), plain, aad.encode())
        event = {
            "id": "EV-" + secrets.token_hex(12), "create_time": datetime.now().astimezone().isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
                         "associated_data": aad, "nonce": nonce},
        }
        body = json.dumps(event, ensure_ascii=False)
        headers = {"Content-Type": "application/json"} | self.wechat_v3_headers(body)
        self.notify(p.notify_url, body.encode(), headers, lambda status, text: 200 <= status < 300)

    def alipay_sign(self, fields: dict[str, str]) -> str:
        # Notifications are signed over every field but sign and sign_type, sorted by key.
        message = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in ("sign", "sign_type"))
        return rsa_sign(self.keys.alipay_platform.private_pem, message)

    def _notify_alipay(self, p: Payment) -> None:
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        fields = {
            "notify_time": now, "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
            "app_id": p.appid, "charset": "utf-8", "version": "1.0", "trade_no": p.transaction_id,
            "out_trade_no": p.out_trade_no, "trade_status": "TRADE_SUCCESS", "total_amount": yuan(p.amount),
            "receipt_amount": yuan(p.amount), "buyer_id": "2088000000000000", "subject": p.description,
            "gmt_create": now, "gmt_payment": now, "seller_id": "2088000000000001",
        }
        fields["sign"], fields["sign_type"] = self.alipay_sign(fields), "RSA2"
        self.notify(p.notify_url, urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                    lambda status, text: status == 200 and text.strip() == "success")

    async def _confirm_stripe(self, p: Payment) -> None:
        """Confirm the PaymentIntent in localstripe with a test card, then send the signed webhook."""
        assert self._http is not None and self.stripe_api
        async with self._http.post(f"{self.stripe_api}/v1/payment_methods", headers=self._stripe_auth,
                                   data={"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
                                         "card[exp_year]": "2040", "card[cvc]": "123"}) as resp:
            method = await resp.json()
        # localstripe does not take payment_method on confirm: attach it first, as Stripe.js would.
        async with self._http.post(f"{self.stripe_api}/v1/payment_intents/{p.id}", headers=self._stripe_auth,
                                   data={"payment_method": method["id"]}) as resp:
            resp.raise_for_status()
        async with self._http.post(f"{self.stripe_api}/v1/payment_intents/{p.id}/confirm", headers=self._stripe_auth) as resp:
            intent = await resp.json()
        if intent.get("status") != "succeeded":
            p.status = "declined"
            return
        event = {"id": "evt_" + secrets.token_hex(12), "object": "event", "api_version": "2020-08-27", "created": int(time.time()),
                 "type": "payment_intent.succeeded", "livemode": False, "pending_webhooks": 1, "request": {"id": None},
                 "data": {"object": intent}}
        body = json.dumps(event)
        tenant = (intent.get("metadata") or {}).get("tenant")
        for url, account in self.stripe_webhooks:
            if account is not None and account != tenant:
                continue
            header = WebhookSignature.generate_signature_header(body, self.keys.stripe_webhook_secret)
            self.notify(url, body.encode(), {"Content-Type": "application/json", "Stripe-Signature": header},
                        lambda status, text: 200 <= status < 300)

    async def load_stripe_intent(self, intent_id: str) -> Payment | None:
        """A PaymentIntent is created straight in localstripe: the sandbox learns of it on the first pay-page visit."""
        assert self._http is not None and self.stripe_api
        async with self._http.get(f"{self.stripe_api}/v1/payment_intents/{intent_id}", headers=self._stripe_auth) as resp:
            if resp.status != 200:
                return None
            intent = await resp.json()
        payment = Payment(id=intent["id"], provider="stripe", merchant="stripe", appid="stripe", amount=intent["amount"],
                          out_trade_no=(intent.get("metadata") or {}).get("order", intent["id"]),
                          description=intent.get("description") or "", notify_url="", currency=str(intent.get("currency") or "cny").upper())
        self.payments[payment.id] = payment
        return payment

    # localstripe keeps one store whatever the key; the sandbox's own calls use this one.
    _stripe_auth = {"Authorization": "Bearer sk_test_sandbox"}

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http:
            await self._http.close()


SANDBOX = web.AppKey("sandbox", Sandbox)


def build_app(sandbox: Sandbox) -> web.Application:
    from . import (
        alipay,
        amap,
        pages,
        qq_oauth,
        stripe_hooks,
        wechat_oauth,
        wechat_v2,
        wechat_v3,
    )

    app = web.Application()
    app[SANDBOX] = sandbox
    app[qq_oauth.QQ] = sandbox.qq = qq_oauth.QQConnect(sandbox)
    for module in (wechat_v2, wechat_v3, alipay, pages, stripe_hooks, amap, qq_oauth, wechat_oauth):
        app.add_routes(module.routes)

    async def lifecycle(app):
        await sandbox.start()
        yield
        await sandbox.stop()

    app.cleanup_ctx.append(lifecycle)
    return app


def policy_from_env() -> NotifyPolicy:
    policy = NotifyPolicy()
    if "HEARTH_SANDBOX_DUPLICATE_PROBABILITY" in os.environ:
        policy.duplicate_probability = float(os.environ["HEARTH_SANDBOX_DUPLICATE_PROBABILITY"])
    if "HEARTH_SANDBOX_SEED" in os.environ:
        policy.seed = int(os.environ["HEARTH_SANDBOX_SEED"])
    return policy


def escape(value: object) -> str:
    return html.escape(str(value))


def form_pairs(raw: str) -> dict[str, str]:
    return dict(parse_qsl(raw, keep_blank_values=True))
