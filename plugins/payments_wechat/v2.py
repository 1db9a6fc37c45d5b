"""WeChat Pay API v2 through wechatpy: XML, MD5 signatures with the merchant's API key.

Every function here is synchronous (wechatpy uses requests); provider.py runs them in a thread.
"""

from __future__ import annotations

import socket
import ssl
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from wechatpy.exceptions import InvalidSignatureException, WeChatPayException
from wechatpy.pay import WeChatPay

from platform_core.plugin_api import (
    CheckoutAction,
    CheckoutRequest,
    NotificationRefused,
    PaymentNotice,
    PaymentStatus,
    PaymentUnavailable,
    ProviderError,
    ProviderReply,
    RefundRequest,
    RefundResult,
    TenantClients,
    TransferRequest,
    TransferResult,
)
from platform_core.plugin_api import lazy_gettext as N_

from .common import SHANGHAI, TIMEOUT, pem, with_redirect
from .config import WeChatPayConfig

ACCEPTED = ProviderReply(body=b"<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>",
                         media_type="text/xml")
# WeChat retries a notification answered FAIL; 200 is what its docs ask for either way.
REFUSED = ProviderReply(body=b"<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[REFUSED]]></return_msg></xml>",
                        media_type="text/xml")

TRADE_STATES = {
    "SUCCESS": "succeeded", "REFUND": "refunded", "NOTPAY": "pending", "USERPAYING": "pending",
    "CLOSED": "closed", "REVOKED": "closed", "PAYERROR": "failed",
}
# Business answers that say "ask again later", not "no".
RETRY_CODES = {"SYSTEMERROR", "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED"}


class _ClientCertificate(HTTPAdapter):
    """Presents the merchant's API certificate (mutual TLS) from an SSL context held in memory,
    where wechatpy would want certificate and key files for the life of the client."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        pool["ssl_context"] = self._context
        return host, pool


def _tls_context(config: WeChatPayConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=DEFAULT_CA_BUNDLE_PATH)  # the CAs requests trusts otherwise
    # OpenSSL reads a certificate chain only from files: they live for this call, in a 0700 folder.
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert.write_text(pem(config.api_client_cert, "CERTIFICATE"))
        key.write_text(pem(config.private_key, "PRIVATE KEY"))
        context.load_cert_chain(cert, key)
    return context


def _client(config: WeChatPayConfig) -> WeChatPay:
    pay = WeChatPay(appid=config.appid, api_key=config.api_key, mch_id=config.mch_id, timeout=TIMEOUT)
    if config.api_base_url:
        # An instance override of the class attribute (docs/sandbox.md).
        pay.API_BASE_URL = config.api_base_url.rstrip("/") + "/"
    if config.api_client_cert and config.private_key:
        # Refunds (secapi/) need it; it is presented on every HTTPS request to WeChat.
        try:
            pay._http.mount("https://", _ClientCertificate(_tls_context(config)))  # wechatpy's requests.Session
        except (ssl.SSLError, ValueError):
            raise ProviderError("The merchant API certificate could not be read with the merchant private key.") from None
    return pay


# The franchise's SDK client, rebuilt when its config changes.
client: TenantClients[WeChatPay] = TenantClients(_client)


def _error(exc: Exception) -> ProviderError:
    """A safe message: WeChat's own codes and text, or the kind of network failure. The request
    (signed with the key) is never part of it."""
    if isinstance(exc, WeChatPayException):
        if exc.return_code is None:  # an HTTP error status, no XML answer
            return ProviderError(f"WeChat Pay answered HTTP {getattr(exc.response, 'status_code', '?')}.")
        return ProviderError(f"WeChat Pay: {exc.errcode or exc.return_code}: {exc.errmsg or exc.return_msg or ''}".rstrip(": "))
    if isinstance(exc, requests.RequestException):
        return ProviderError(f"WeChat Pay could not be reached ({type(exc).__name__}).")
    return ProviderError(f"WeChat Pay answered something unexpected ({type(exc).__name__}).")


def create(config: WeChatPayConfig, request: CheckoutRequest) -> CheckoutAction:
    pay = client(config)
    common = dict(body=request.subject, total_fee=request.amount, notify_url=request.notify_url, client_ip=request.client_ip,
                  out_trade_no=request.payment_no, fee_type=request.currency, time_expire=request.expires_at.astimezone(SHANGHAI))
    try:
        if request.device == "wechat":
            if not request.openid:
                raise PaymentUnavailable(N_("To pay with WeChat Pay inside WeChat, sign in with WeChat first."))
            answer = pay.order.create(trade_type="JSAPI", user_id=request.openid, **common)
            params = pay.jsapi.get_jsapi_params(answer["prepay_id"])
            return CheckoutAction(kind="jsapi", method="jsapi", params={k: str(v) for k, v in params.items()},
                                  provider_ref=answer["prepay_id"])
        if request.device == "mobile":
            site = urlsplit(request.return_url)
            answer = pay.order.create(trade_type="MWEB", scene_info={"h5_info": {"type": "Wap", "wap_url": f"{site.scheme}://{site.netloc}",
                                                                                 "wap_name": request.subject[:32]}}, **common)
            return CheckoutAction(kind="redirect", method="h5", url=with_redirect(answer["mweb_url"], request.return_url),
                                  provider_ref=answer["prepay_id"])
        answer = pay.order.create(trade_type="NATIVE", product_id=request.payment_no, **common)
        return CheckoutAction(kind="qr", method="native", url=answer["code_url"], provider_ref=answer["prepay_id"])
    except ProviderError:
        raise
    except Exception as exc:
        raise _error(exc) from None


def parse_notification(config: WeChatPayConfig, body: bytes) -> PaymentNotice:
    try:
        data = client(config).parse_payment_result(body)
    except ProviderError as exc:
        raise NotificationRefused("malformed", exc.message) from None
    except InvalidSignatureException:
        raise NotificationRefused("signature", "the sign does not match the API key") from None
    except (ValueError, TypeError):
        raise NotificationRefused("malformed", "a fee is not a whole number") from None
    if data.get("return_code") != "SUCCESS":
        raise NotificationRefused("malformed", "return_code is not SUCCESS")
    try:
        payment_no, amount, merchant = data["out_trade_no"], data["total_fee"], data["mch_id"]
    except KeyError as exc:
        raise NotificationRefused("malformed", f"no {exc.args[0]}") from None
    succeeded = data.get("result_code") == "SUCCESS"
    transaction_id = data.get("transaction_id") or ""
    return PaymentNotice(
        # WeChat repeats a notification with the same transaction and result.
        event_id=f"{transaction_id or payment_no}:{data.get('result_code')}",
        payment_no=payment_no, status="succeeded" if succeeded else "failed", amount=amount,
        currency=data.get("fee_type") or "CNY", merchant_id=merchant, provider_ref=transaction_id,
    )


def query(config: WeChatPayConfig, payment_no: str) -> PaymentStatus:
    try:
        answer = client(config).order.query(out_trade_no=payment_no)
    except WeChatPayException as exc:
        if exc.errcode == "ORDERNOTEXIST":
            return PaymentStatus(status="missing")
        raise _error(exc) from None
    except Exception as exc:
        raise _error(exc) from None
    state = TRADE_STATES.get(answer.get("trade_state", ""))
    if state is None:
        raise ProviderError(f"WeChat Pay: unknown trade_state {answer.get('trade_state')!r}")
    return PaymentStatus(status=state, amount=int(answer["total_fee"]) if answer.get("total_fee") else None,
                         currency=answer.get("fee_type") or "CNY", provider_ref=answer.get("transaction_id") or "")


def close(config: WeChatPayConfig, payment_no: str) -> None:
    try:
        client(config).order.close(payment_no)
    except WeChatPayException as exc:
        if exc.errcode == "ORDERCLOSED":
            return
        raise _error(exc) from None
    except Exception as exc:
        raise _error(exc) from None


def refund(config: WeChatPayConfig, request: RefundRequest) -> RefundResult:
    try:
        answer = client(config).refund.apply(
            total_fee=request.payment_amount, refund_fee=request.amount, out_refund_no=request.refund_no,
            out_trade_no=request.payment_no, fee_type=request.currency, refund_desc=request.reason[:80] or None,
        )
    except WeChatPayException as exc:
        if exc.return_code == "SUCCESS" and exc.errcode not in RETRY_CODES:
            return RefundResult(status="failed", message=_error(exc).message)
        raise _error(exc) from None
    except Exception as exc:
        raise _error(exc) from None
    # v2 answers SUCCESS when WeChat accepts the refund; it has no PROCESSING answer to wait on
    # (a later failure would come as a refund notification, which we do not ask for).
    return RefundResult(status="succeeded", provider_ref=answer.get("refund_id") or "")


# 企业付款到零钱 (mmpaymkttransfers/promotion/transfers): answered at once, no notification. The
# merchant's API certificate is presented (mounted on the client); FORCE_CHECK makes WeChat pay
# only when re_user_name is the account's real name.
TRANSFER_STATUSES = {"SUCCESS": "succeeded", "PROCESSING": "pending", "FAILED": "failed"}
# WeChat's "the result is unknown: query, or send again with the same partner_trade_no".
TRANSFER_UNKNOWN = {"SYSTEMERROR", "FREQUENCY_LIMITED"}
MISSING = "missing"


def _server_ip(config: WeChatPayConfig) -> str:
    """spbill_create_ip: this server's address towards WeChat. wechatpy would find it by resolving
    WeChat's production host whatever API_BASE_URL says; a UDP connect sends no packet."""
    host = urlsplit(config.api_base_url or WeChatPay.API_BASE_URL).hostname or "api.mch.weixin.qq.com"
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((socket.gethostbyname(host), 443))
            return sock.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def transfer(config: WeChatPayConfig, request: TransferRequest) -> TransferResult:
    if not request.real_name:
        return TransferResult(status="failed", message="WeChat Pay v2 transfers check the payee's real name: none was given.")
    if request.app_id and request.app_id != config.appid:
        return TransferResult(status="failed", message="WeChat Pay v2 transfers pay openids of the merchant's own app only.")
    pay = client(config)
    try:
        answer = pay.transfer.transfer(user_id=request.account, amount=request.amount, desc=request.remark[:100], client_ip=_server_ip(config),
                                       check_name="FORCE_CHECK", real_name=request.real_name, out_trade_no=request.transfer_no)
    except WeChatPayException as exc:
        if exc.errcode in TRANSFER_UNKNOWN:
            return TransferResult(status="pending", message=f"WeChat Pay: {exc.errcode}")
        if exc.return_code != "SUCCESS":  # not an answer about this transfer (signature, HTTP error)
            raise _error(exc) from None
        # A refusal pays nothing, unless the number already names a transfer sent with other
        # details: that one stands, and the payout must not be released on this answer.
        if exc.errcode == "PARAM_ERROR" and query_transfer(config, request.transfer_no).message != MISSING:
            raise ProviderError(f"WeChat Pay already has transfer {request.transfer_no} with other details.") from None
        return TransferResult(status="failed", message=_error(exc).message)
    except ProviderError:
        raise
    except Exception as exc:
        raise _error(exc) from None
    return TransferResult(status="succeeded", provider_ref=answer.get("payment_no") or "")


def query_transfer(config: WeChatPayConfig, transfer_no: str) -> TransferResult:
    try:
        answer = client(config).transfer.query(out_trade_no=transfer_no)
    except WeChatPayException as exc:
        if exc.errcode == "NOT_FOUND":
            return TransferResult(status="failed", message=MISSING)
        raise _error(exc) from None
    except Exception as exc:
        raise _error(exc) from None
    status = TRANSFER_STATUSES.get(answer.get("status", ""))
    if status is None:
        raise ProviderError(f"WeChat Pay: unknown transfer status {str(answer.get('status'))[:20]!r}")
    message = f"WeChat Pay: {answer.get('reason') or 'FAILED'}" if status == "failed" else ""
    return TransferResult(status=status, provider_ref=answer.get("detail_id") or "", message=message)
