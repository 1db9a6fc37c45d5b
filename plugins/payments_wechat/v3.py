"""WeChat Pay API v3 through wechatpayv3, in public-key mode: JSON, requests signed with the
merchant's private key, answers and notifications signed with WeChat Pay's public key.

Every function here is synchronous (wechatpayv3 uses requests); provider.py runs them in a thread.
"""

from __future__ import annotations

import json
import secrets
import time

import requests
from wechatpayv3 import WeChatPay, WeChatPayType

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
    TransferNotice,
    TransferRequest,
    TransferResult,
)
from platform_core.plugin_api import lazy_gettext as N_

from .common import SHANGHAI, TIMEOUT, pem_body, with_redirect
from .config import WeChatPayConfig

# v3: a 2xx without a body accepts; anything else with {"code": "FAIL"} asks WeChat to retry.
ACCEPTED = ProviderReply(status_code=204, media_type="application/json")
REFUSED = ProviderReply(status_code=400, body=b'{"code":"FAIL","message":"refused"}', media_type="application/json")

# WeChat signs "{timestamp}\n{nonce}\n{body}\n"; its docs ask to refuse timestamps more than 5 minutes off.
TOLERANCE = 300
TRADE_STATES = {
    "SUCCESS": "succeeded", "REFUND": "refunded", "NOTPAY": "pending", "USERPAYING": "pending",
    "CLOSED": "closed", "REVOKED": "closed", "PAYERROR": "failed",
}
REFUND_STATES = {"SUCCESS": "succeeded", "PROCESSING": "pending", "ABNORMAL": "failed", "CLOSED": "failed"}
KINDS = {"wechat": WeChatPayType.JSAPI, "mobile": WeChatPayType.H5, "desktop": WeChatPayType.NATIVE}


def _client(config: WeChatPayConfig) -> WeChatPay:
    try:
        wxpay = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE, mchid=config.mch_id, private_key=pem_body(config.private_key),
            cert_serial_no=config.cert_serial_no, appid=config.appid, apiv3_key=config.apiv3_key, timeout=TIMEOUT,
            # The SDK adds the PEM armour itself. Public-key mode: without these two the constructor
            # downloads platform certificates.
            public_key=pem_body(config.platform_public_key), public_key_id=config.platform_public_key_id,
        )
    except Exception:
        raise ProviderError("The WeChat Pay keys could not be read: check the merchant private key and the WeChat Pay public key.") from None
    if config.api_base_url:
        wxpay._core._gate_way = config.api_base_url.rstrip("/")  # a private attribute (docs/sandbox.md)
    return wxpay


# The franchise's SDK client (parsing its keys is the costly part), rebuilt when its config changes.
client: TenantClients[WeChatPay] = TenantClients(_client)


def _call(fn, *args, **kwargs) -> tuple[int, dict]:
    """Run one SDK request; network trouble and an answer whose signature fails become ProviderError."""
    try:
        code, text = fn(*args, **kwargs)
    except requests.RequestException as exc:
        raise ProviderError(f"WeChat Pay could not be reached ({type(exc).__name__}).") from None
    except Exception:
        # The SDK raises bare Exceptions, e.g. for an answer whose signature does not verify.
        raise ProviderError("WeChat Pay's answer could not be verified.") from None
    try:
        data = json.loads(text) if text else {}
    except (TypeError, ValueError):
        data = {}
    return code, data if isinstance(data, dict) else {}


def _refused(code: int, data: dict) -> ProviderError:
    return ProviderError(f"WeChat Pay: {data.get('code') or code}: {data.get('message') or ''}".strip(": "))


def create(config: WeChatPayConfig, request: CheckoutRequest) -> CheckoutAction:
    wxpay = client(config)
    kind = KINDS[request.device]
    extra: dict = {}
    if kind is WeChatPayType.JSAPI:
        if not request.openid:
            raise PaymentUnavailable(N_("To pay with WeChat Pay inside WeChat, sign in with WeChat first."))
        extra["payer"] = {"openid": request.openid}
    if kind is WeChatPayType.H5:
        extra["scene_info"] = {"payer_client_ip": request.client_ip, "h5_info": {"type": "Wap"}}
    code, data = _call(
        wxpay.pay, description=request.subject, out_trade_no=request.payment_no,
        amount={"total": request.amount, "currency": request.currency}, notify_url=request.notify_url, pay_type=kind,
        time_expire=request.expires_at.astimezone(SHANGHAI).isoformat(timespec="seconds"), **extra,
    )
    if code != 200:
        raise _refused(code, data)
    try:
        if kind is WeChatPayType.NATIVE:
            return CheckoutAction(kind="qr", method="native", url=data["code_url"])
        if kind is WeChatPayType.H5:
            return CheckoutAction(kind="redirect", method="h5", url=with_redirect(data["h5_url"], request.return_url))
        prepay_id = data["prepay_id"]
    except KeyError as exc:
        raise ProviderError(f"WeChat Pay answered without {exc.args[0]}.") from None
    # What WeixinJSBridge.invoke('getBrandWCPayRequest', ...) takes, signed RSA with the merchant key.
    params = {"appId": config.appid, "timeStamp": str(int(time.time())), "nonceStr": secrets.token_hex(16),
              "package": f"prepay_id={prepay_id}", "signType": "RSA"}
    params["paySign"] = wxpay.sign([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]])
    return CheckoutAction(kind="jsapi", method="jsapi", params=params, provider_ref=prepay_id)


def _verified_event(config: WeChatPayConfig, headers: dict[str, str], body: bytes) -> dict:
    """A notification whose signature verifies with WeChat Pay's public key, recent, its resource
    decrypted with the APIv3 key. Raises NotificationRefused."""
    # Checked before the SDK: an unknown serial would make it fetch certificates over the network.
    if not headers.get("wechatpay-signature"):
        raise NotificationRefused("signature", "no Wechatpay-Signature")
    if headers.get("wechatpay-serial") != config.platform_public_key_id:
        raise NotificationRefused("signature", "not signed with the configured WeChat Pay public key")
    if headers.get("wechatpay-signature-type") != "WECHATPAY2-SHA256-RSA2048":
        raise NotificationRefused("signature", "unknown signature type")
    try:
        envelope = json.loads(body)
        if not isinstance(envelope, dict) or not isinstance(envelope.get("resource"), dict):
            raise ValueError
    except ValueError:
        raise NotificationRefused("malformed", "not a WeChat Pay notification") from None
    try:
        event = client(config).callback(headers, body.decode("utf-8"))
    except ProviderError as exc:
        raise NotificationRefused("malformed", exc.message) from None
    except Exception:
        raise NotificationRefused("malformed", "the resource does not decrypt with the APIv3 key") from None
    if event is None:
        raise NotificationRefused("signature", "the Wechatpay-Signature does not verify")
    try:
        stamp = int(headers.get("wechatpay-timestamp", ""))
    except ValueError:
        raise NotificationRefused("malformed", "no Wechatpay-Timestamp") from None
    if abs(time.time() - stamp) > TOLERANCE:
        raise NotificationRefused("stale", f"signed {int(time.time() - stamp)} s ago")
    return event


def parse_notification(config: WeChatPayConfig, headers: dict[str, str], body: bytes) -> PaymentNotice:
    event = _verified_event(config, headers, body)
    if not str(event.get("event_type", "")).startswith("TRANSACTION."):
        raise NotificationRefused("malformed", f"not a payment event: {str(event.get('event_type'))[:40]}")
    resource = event["resource"]
    try:
        amount = resource["amount"]
        status = TRADE_STATES[resource["trade_state"]]
        notice = PaymentNotice(
            event_id=str(event["id"]), payment_no=resource["out_trade_no"], amount=int(amount["total"]),
            # Refunded means it was paid first.
            status="succeeded" if status == "refunded" else status,
            currency=amount.get("currency") or "CNY", merchant_id=resource["mchid"], provider_ref=resource.get("transaction_id") or "",
        )
    except (KeyError, TypeError, ValueError):
        raise NotificationRefused("malformed", "the transaction lacks a field") from None
    return notice


def query(config: WeChatPayConfig, payment_no: str) -> PaymentStatus:
    code, data = _call(client(config).query, out_trade_no=payment_no)
    if code == 404 and data.get("code") == "ORDER_NOT_EXIST":
        return PaymentStatus(status="missing")
    if code != 200:
        raise _refused(code, data)
    state = TRADE_STATES.get(data.get("trade_state", ""))
    if state is None:
        raise ProviderError(f"WeChat Pay: unknown trade_state {data.get('trade_state')!r}")
    amount = data.get("amount") or {}
    return PaymentStatus(status=state, amount=amount.get("total"), currency=amount.get("currency") or "CNY",
                         provider_ref=data.get("transaction_id") or "")


def close(config: WeChatPayConfig, payment_no: str) -> None:
    code, data = _call(client(config).close, out_trade_no=payment_no)
    if code not in (200, 204):
        raise _refused(code, data)


def refund(config: WeChatPayConfig, request: RefundRequest) -> RefundResult:
    code, data = _call(
        client(config).refund, out_refund_no=request.refund_no, out_trade_no=request.payment_no,
        amount={"refund": request.amount, "total": request.payment_amount, "currency": request.currency},
        reason=request.reason[:80] or None,
    )
    if code == 200:
        status = REFUND_STATES.get(data.get("status", ""), "pending")
        return RefundResult(status=status, provider_ref=data.get("refund_id") or "",
                            message=f"WeChat Pay: {data.get('status')}" if status == "failed" else "")
    if code == 429 or code >= 500:
        raise _refused(code, data)  # not an answer: the core asks again with the same refund number
    return RefundResult(status="failed", message=_refused(code, data).message)


# 商家转账 (transfer to balance), /v3/fund-app/mch-transfer/transfer-bills. WAIT_USER_CONFIRM: the
# person confirms receipt in WeChat; until then, and while WeChat transfers, it is pending.
TRANSFER_STATES = {
    "ACCEPTED": "pending", "PROCESSING": "pending", "WAIT_USER_CONFIRM": "pending", "TRANSFERING": "pending",
    "CANCELING": "pending", "SUCCESS": "succeeded", "FAIL": "failed", "CANCELLED": "failed",
}
# WeChat asks for the payee's name (encrypted with its public key) from ¥2,000 up; below, a name
# would only add a check the person may fail for a typo.
NAME_REQUIRED_FROM = 200000
# What each transfer scene must report (transfer_scene_report_infos), by WeChat's scene id.
SCENE_REPORTS = {"1000": ("活动名称", "奖励说明"), "1005": ("岗位类型", "报酬说明")}
REMARK_LIMIT = 32
MISSING = "missing"


def _bill(data: dict, config: WeChatPayConfig | None = None, app_id: str = "") -> TransferResult:
    state = TRANSFER_STATES.get(str(data.get("state", "")))
    if state is None:
        raise ProviderError(f"WeChat Pay: unknown transfer state {str(data.get('state'))[:20]!r}")
    message = f"WeChat Pay: {data.get('fail_reason') or data.get('state')}" if state == "failed" else ""
    confirm = {}
    if data.get("state") == "WAIT_USER_CONFIRM" and data.get("package_info") and config is not None:
        # The person confirms receipt inside WeChat: WeixinJSBridge's requestMerchantTransfer takes these.
        confirm = {"mchId": config.mch_id, "appId": app_id or config.appid, "package": str(data["package_info"])}
    return TransferResult(status=state, provider_ref=str(data.get("transfer_bill_no") or ""), message=message, confirm=confirm)


def transfer(config: WeChatPayConfig, request: TransferRequest) -> TransferResult:
    if request.amount >= NAME_REQUIRED_FROM and not request.real_name:
        return TransferResult(status="failed", message="WeChat Pay needs the payee's real name for ¥2,000 or more.")
    remark = request.remark[:REMARK_LIMIT]
    if not remark.strip():
        return TransferResult(status="failed", message="WeChat Pay needs a remark to show the person.")
    code, data = _call(
        client(config).mch_transfer_bills, out_bill_no=request.transfer_no, transfer_scene_id=config.transfer_scene_id,
        openid=request.account, transfer_amount=request.amount, transfer_remark=remark,
        # The SDK encrypts user_name with WeChat Pay's public key and names the key in Wechatpay-Serial.
        user_name=request.real_name if request.amount >= NAME_REQUIRED_FROM else None,
        transfer_scene_report_infos=[{"info_type": kind, "info_content": remark} for kind in SCENE_REPORTS[config.transfer_scene_id]],
        appid=request.app_id or None, notify_url=request.notify_url,
    )
    if code == 200:
        return _bill(data, config, request.app_id)
    if code == 429 or code >= 500:
        raise _refused(code, data)  # not an answer: asked again later with the same number
    # A refusal pays nothing, unless the number already names a transfer (sent before with other
    # details): that one stands, and the payout must not be released on this answer.
    known = query_transfer(config, request.transfer_no)
    if known.message != MISSING:
        raise ProviderError(f"WeChat Pay already has transfer {request.transfer_no} with other details ({known.status}).")
    return TransferResult(status="failed", message=_refused(code, data).message)


def query_transfer(config: WeChatPayConfig, transfer_no: str) -> TransferResult:
    code, data = _call(client(config).mch_transfer_bills_query, out_bill_no=transfer_no)
    if code == 404:
        return TransferResult(status="failed", message=MISSING)
    if code != 200:
        raise _refused(code, data)
    return _bill(data, config)


def parse_transfer_notification(config: WeChatPayConfig, headers: dict[str, str], body: bytes) -> TransferNotice:
    event = _verified_event(config, headers, body)
    if not str(event.get("event_type", "")).startswith("MCHTRANSFER."):
        raise NotificationRefused("malformed", f"not a transfer event: {str(event.get('event_type'))[:40]}")
    resource = event["resource"]
    try:
        result = _bill(resource)
        return TransferNotice(
            event_id=str(event["id"]), transfer_no=resource["out_bill_no"], status=result.status,
            amount=int(resource["transfer_amount"]), currency="CNY", merchant_id=str(resource["mch_id"]),
            provider_ref=result.provider_ref, message=result.message,
        )
    except (KeyError, TypeError, ValueError, ProviderError):
        raise NotificationRefused("malformed", "the transfer bill lacks a field") from None
