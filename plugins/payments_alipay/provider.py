"""Alipay through python-alipay-sdk (RSA2): page pay on a desktop, wap pay on phones, the
trade_status_sync notification, query, close and refund.

The SDK is synchronous (urllib): every call runs in a worker thread. Its exceptions carry the raw
answer, so they are turned into a ProviderError with a message of our own.
"""

from __future__ import annotations

import base64
import logging
from typing import Any, Mapping
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import anyio.to_thread
from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig as SdkConfig
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from platform_core.plugin_api import (
    CheckoutAction,
    CheckoutPage,
    CheckoutRequest,
    Device,
    NotificationRefused,
    PaymentNotice,
    PaymentStatus,
    ProviderError,
    ProviderReply,
    RefundRequest,
    RefundResult,
    TenantClients,
    from_minor,
    to_minor,
)
from platform_core.plugin_api import lazy_gettext as N_

from .config import AlipayConfig, load_key, pem

log = logging.getLogger("hearth.payments.alipay")

NAME = "alipay"
PLUGIN = "payments_alipay"
CURRENCY = "CNY"  # Alipay's domestic APIs settle in yuan only
SUCCESS = "10000"
NOT_FOUND = "ACQ.TRADE_NOT_EXIST"
BEIJING = ZoneInfo("Asia/Shanghai")  # Alipay reads time_expire on Beijing time
TIMEOUT = 15

# trade_status, in notifications and query answers alike. TRADE_CLOSED is also a trade refunded in
# full: the core never moves a paid payment back, so reading it as closed is safe.
_STATUS = {"TRADE_SUCCESS": "succeeded", "TRADE_FINISHED": "succeeded", "TRADE_CLOSED": "closed", "WAIT_BUYER_PAY": "pending"}
_SDK_ERRORS = (AliPayException, AliPayValidationError, OSError, ValueError, KeyError, AttributeError)


class _AliPay(AliPay):
    """The SDK, with its RSA2 check made by `cryptography` (OpenSSL): the SDK still builds the
    string Alipay signed, for notifications and answers alike; PyCryptodome took about 0.35 ms
    to check it, a tenth of a notification's CPU, OpenSSL about 0.02 ms."""

    def __init__(self, *, verifying_key: rsa.RSAPublicKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._verifying_key = verifying_key

    def _verify(self, raw_content: str, signature: str) -> bool:
        try:
            self._verifying_key.verify(base64.b64decode(signature), raw_content.encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def _client(config: AlipayConfig) -> AliPay:
    ali = _AliPay(appid=config.appid, app_notify_url=None, app_private_key_string=pem(config.app_private_key, "PRIVATE"),
                  alipay_public_key_string=pem(config.alipay_public_key, "PUBLIC"), sign_type="RSA2", config=SdkConfig(timeout=TIMEOUT),
                  verifying_key=load_key(config.alipay_public_key))
    if config.gateway:
        ali._gateway = config.gateway  # the SDK has no argument for it; the sandbox is reached this way
    return ali


# The franchise's SDK client (loading the keys is the costly part), rebuilt when its config changes.
client: TenantClients[AliPay] = TenantClients(_client)


async def _call(what: str, fn, *args, **kwargs) -> dict[str, Any]:
    """Run an SDK call in a thread; any failure becomes a ProviderError without the raw answer."""
    try:
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
    except _SDK_ERRORS as exc:
        log.warning("alipay %s failed", what, extra={"error": type(exc).__name__})
        raise ProviderError(f"Alipay did not answer the {what} request ({type(exc).__name__}).") from None


def _business_error(answer: dict[str, Any]) -> str:
    return f"{answer.get('sub_code') or answer.get('code', '')}: {answer.get('sub_msg') or answer.get('msg', '')}"


class AlipayProvider:
    name = NAME
    plugin = PLUGIN
    label = N_("Alipay")
    icon = "alipay"

    def configured(self, config: AlipayConfig | None) -> bool:
        return bool(config and config.appid and config.app_private_key and config.alipay_public_key)

    def supports(self, config: AlipayConfig, device: Device, currency: str) -> bool:
        return currency == CURRENCY

    def merchant_id(self, config: AlipayConfig) -> str:
        return config.appid

    async def create(self, config: AlipayConfig, request: CheckoutRequest) -> CheckoutAction:
        ali = client(config)
        # Desktop browsers get the cashier page (with its QR code); phones, WeChat's browser too, the wap cashier.
        method, build = ("page", ali.api_alipay_trade_page_pay) if request.device == "desktop" else ("wap", ali.api_alipay_trade_wap_pay)
        extra = {"time_expire": request.expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")}
        if method == "wap":
            extra["quit_url"] = request.return_url  # where "back" on the wap cashier goes
        query = await _call("checkout", build, subject=request.subject, out_trade_no=request.payment_no,
                            total_amount=from_minor(request.amount), return_url=request.return_url,
                            notify_url=request.notify_url, **extra)
        return CheckoutAction(kind="redirect", method=method, url=f"{ali._gateway}?{query}")

    def checkout_page(self, action: CheckoutAction) -> CheckoutPage | None:
        # The cashier is Alipay's own page (page or wap pay): the payment page links to it.
        return None

    async def parse_notification(self, config: AlipayConfig, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        try:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise NotificationRefused("malformed", "not a form") from None
        signature = fields.pop("sign", "")
        if not signature:
            raise NotificationRefused("signature", "unsigned")
        try:
            genuine = client(config).verify(dict(fields), signature)
        except (AliPayException, ValueError):  # another sign_type, a signature that is not base64
            genuine = False
        if not genuine:
            raise NotificationRefused("signature", f"out_trade_no={fields.get('out_trade_no', '')[:40]}")
        try:
            return PaymentNotice(
                event_id=fields["notify_id"], payment_no=fields["out_trade_no"],
                status=_STATUS[fields["trade_status"]], amount=to_minor(fields["total_amount"]),
                currency=CURRENCY, merchant_id=fields["app_id"], provider_ref=fields.get("trade_no", ""),
            )
        except KeyError as exc:
            raise NotificationRefused("malformed", f"missing or unknown {exc.args[0]}") from None
        except ValueError:
            raise NotificationRefused("malformed", f"total_amount={fields['total_amount'][:20]}") from None

    def reply(self, config: AlipayConfig | None, accepted: bool) -> ProviderReply:
        # Alipay stops retrying only on exactly "success".
        return ProviderReply(body=b"success" if accepted else b"failure", media_type="text/plain")

    async def query(self, config: AlipayConfig, payment_no: str, provider_ref: str) -> PaymentStatus:
        answer = await _call("query", client(config).api_alipay_trade_query, out_trade_no=payment_no)
        if answer.get("sub_code") == NOT_FOUND:
            return PaymentStatus(status="missing")  # the customer never opened the cashier
        if answer.get("code") != SUCCESS or answer.get("trade_status") not in _STATUS:
            raise ProviderError(f"Alipay could not say how the payment stands ({_business_error(answer)}).")
        try:
            amount = to_minor(answer["total_amount"])
        except (KeyError, ValueError):
            raise ProviderError("Alipay answered the query without a readable amount.") from None
        return PaymentStatus(status=_STATUS[answer["trade_status"]], amount=amount, currency=CURRENCY,
                             provider_ref=answer.get("trade_no", ""))

    async def close(self, config: AlipayConfig, payment_no: str, provider_ref: str) -> None:
        answer = await _call("close", client(config).api_alipay_trade_close, out_trade_no=payment_no)
        # Not found: Alipay only creates the trade when the cashier is opened; nothing to close.
        if answer.get("code") != SUCCESS and answer.get("sub_code") != NOT_FOUND:
            raise ProviderError(f"Alipay did not close the payment ({_business_error(answer)}).")

    async def refund(self, config: AlipayConfig, request: RefundRequest) -> RefundResult:
        # out_request_no makes each refund its own (partial ones add up) and a repeat of it harmless.
        extra = {"refund_reason": request.reason[:256]} if request.reason else {}
        answer = await _call("refund", client(config).api_alipay_trade_refund, refund_amount=from_minor(request.amount),
                             out_trade_no=request.payment_no, out_request_no=request.refund_no, **extra)
        if answer.get("code") == SUCCESS:
            return RefundResult(status="succeeded", provider_ref=answer.get("trade_no", ""))
        if answer.get("code") == "20000":  # Alipay's "service unavailable": ask again later
            return RefundResult(status="pending", message=_business_error(answer))
        return RefundResult(status="failed", message=_business_error(answer))
