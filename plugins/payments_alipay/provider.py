"""Alipay through python-alipay-sdk (RSA2): page pay on a desktop, wap pay on phones, the
trade_status_sync notification, query, close and refund.

The SDK's client and its calls are in sdk.py, imported by the first payment a process handles.
"""

from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

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
    TransferNotice,
    TransferRequest,
    TransferResult,
    from_minor,
    lazy_module,
    to_minor,
)
from platform_core.plugin_api import lazy_gettext as N_

from .config import AlipayConfig

# The SDK (and PyCryptodome under it) is imported by the first payment a process handles: a web
# process that only serves pages never holds it (docs/scaling.md, memory per process).
sdk = lazy_module(f"{__package__}.sdk")

NAME = "alipay"
PLUGIN = "payments_alipay"
CURRENCY = "CNY"  # Alipay's domestic APIs settle in yuan only
SUCCESS = "10000"
NOT_FOUND = "ACQ.TRADE_NOT_EXIST"
BEIJING = ZoneInfo("Asia/Shanghai")  # Alipay reads time_expire on Beijing time

# trade_status, in notifications and query answers alike. TRADE_CLOSED is also a trade refunded in
# full: the core never moves a paid payment back, so reading it as closed is safe.
_STATUS = {"TRADE_SUCCESS": "succeeded", "TRADE_FINISHED": "succeeded", "TRADE_CLOSED": "closed", "WAIT_BUYER_PAY": "pending"}
# alipay.fund.trans.uni.transfer: to an Alipay account by its logon id (phone or email), checked
# against the holder's name, without the merchant's password. REFUND is a transfer that bounced
# back after it was made; CLOSED one that never completed.
TRANSFER = {"product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER"}
_TRANSFER_STATUS = {"SUCCESS": "succeeded", "DEALING": "pending", "WAIT_PAY": "pending", "FAIL": "failed", "REFUND": "failed", "CLOSED": "failed"}
TRANSFER_NOT_FOUND = "ORDER_NOT_EXIST"
# The same out_biz_no sent before with other details: that transfer stands.
TRANSFER_CONFLICT = "PAYMENT_INFO_INCONSISTENCY"
# Alipay's "system busy": the transfer's result is unknown (it may have paid); Alipay asks to send it
# again with the same out_biz_no or to query it, never to treat it as failed.
TRANSFER_UNKNOWN = {"SYSTEM_ERROR", "ACQ.SYSTEM_ERROR"}
ORDER_TITLE_LIMIT = 64


def _transfer_result(order: dict[str, Any]) -> TransferResult:
    status = _TRANSFER_STATUS.get(order.get("status", ""))
    if status is None:
        raise ProviderError(f"Alipay: unknown transfer status {str(order.get('status'))[:20]!r}")
    message = f"{order.get('error_code') or order.get('status')}: {order.get('fail_reason') or ''}".rstrip(": ") if status == "failed" else ""
    return TransferResult(status=status, provider_ref=order.get("order_id", ""), message=message)


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
        ali = sdk.client(config)
        # Desktop browsers get the cashier page (with its QR code); phones, WeChat's browser too, the wap cashier.
        method, build = ("page", ali.api_alipay_trade_page_pay) if request.device == "desktop" else ("wap", ali.api_alipay_trade_wap_pay)
        extra = {"time_expire": request.expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")}
        if method == "wap":
            extra["quit_url"] = request.return_url  # where "back" on the wap cashier goes
        query = await sdk.call("checkout", build, subject=request.subject, out_trade_no=request.payment_no,
                            total_amount=from_minor(request.amount), return_url=request.return_url,
                            notify_url=request.notify_url, **extra)
        return CheckoutAction(kind="redirect", method=method, url=f"{ali._gateway}?{query}")

    def checkout_page(self, action: CheckoutAction) -> CheckoutPage | None:
        # The cashier is Alipay's own page (page or wap pay): the payment page links to it.
        return None

    async def parse_notification(self, config: AlipayConfig, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        fields = self._verified(config, body)
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

    # TransferProvider

    def pays_out(self, config: AlipayConfig | None) -> bool:
        return self.configured(config)

    async def transfer(self, config: AlipayConfig, request: TransferRequest) -> TransferResult:
        if request.currency != CURRENCY or request.account_kind != "alipay_login":
            return TransferResult(status="failed", message="Alipay transfers yuan to an Alipay account only.")
        if not request.real_name:
            return TransferResult(status="failed", message="Alipay checks the payee's real name: none was given.")
        biz = TRANSFER | {
            "out_biz_no": request.transfer_no, "trans_amount": from_minor(request.amount), "order_title": request.remark[:ORDER_TITLE_LIMIT],
            "payee_info": {"identity": request.account, "identity_type": "ALIPAY_LOGON_ID", "name": request.real_name},
        }
        # The SDK's own uni.transfer method is for certificate-mode clients; the signed generic call
        # sends the same request.
        answer = await sdk.call("transfer", sdk.client(config).server_api, "alipay.fund.trans.uni.transfer", biz,
                                notify_url=request.notify_url)
        if answer.get("code") == SUCCESS:
            return _transfer_result(answer)
        if answer.get("sub_code") == TRANSFER_CONFLICT:
            raise ProviderError(f"Alipay already has transfer {request.transfer_no} with other details.")
        if answer.get("code") == "20000" or answer.get("sub_code") in TRANSFER_UNKNOWN:  # whether it paid is unknown; ask again
            raise ProviderError(f"Alipay could not take the transfer now ({_business_error(answer)}).")
        return TransferResult(status="failed", message=_business_error(answer))

    async def query_transfer(self, config: AlipayConfig, transfer_no: str, provider_ref: str) -> TransferResult:
        answer = await sdk.call("transfer query", sdk.client(config).server_api, "alipay.fund.trans.common.query",
                                TRANSFER | {"out_biz_no": transfer_no})
        if answer.get("sub_code") == TRANSFER_NOT_FOUND:
            return TransferResult(status="failed", message="missing")
        if answer.get("code") != SUCCESS:
            raise ProviderError(f"Alipay could not say how the transfer stands ({_business_error(answer)}).")
        return _transfer_result(answer)

    async def parse_transfer_notification(self, config: AlipayConfig, headers: Mapping[str, str], body: bytes) -> TransferNotice:
        fields = self._verified(config, body)
        if fields.get("msg_method") != "alipay.fund.trans.order.changed":
            raise NotificationRefused("malformed", f"msg_method={fields.get('msg_method', '')[:40]}")
        try:
            order = json.loads(fields["biz_content"])
            result = _transfer_result(order)
            return TransferNotice(
                event_id=fields["notify_id"], transfer_no=order["out_biz_no"], status=result.status,
                amount=to_minor(order["trans_amount"]), currency=CURRENCY, merchant_id=fields["app_id"],
                provider_ref=result.provider_ref, message=result.message,
            )
        except (KeyError, TypeError, ValueError, ProviderError):
            raise NotificationRefused("malformed", "the transfer order lacks a field") from None

    def _verified(self, config: AlipayConfig, body: bytes) -> dict[str, str]:
        """The notification's fields, once the RSA2 signature over them verifies with Alipay's key."""
        try:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise NotificationRefused("malformed", "not a form") from None
        signature = fields.pop("sign", "")
        if not signature:
            raise NotificationRefused("signature", "unsigned")
        try:
            genuine = sdk.client(config).verify(dict(fields), signature)
        except (sdk.AliPayException, ValueError):  # another sign_type, a signature that is not base64
            genuine = False
        if not genuine:
            raise NotificationRefused("signature", f"out_trade_no={fields.get('out_trade_no', '')[:40]}")
        return fields

    def reply(self, config: AlipayConfig | None, accepted: bool) -> ProviderReply:
        # Alipay stops retrying only on exactly "success".
        return ProviderReply(body=b"success" if accepted else b"failure", media_type="text/plain")

    async def query(self, config: AlipayConfig, payment_no: str, provider_ref: str) -> PaymentStatus:
        answer = await sdk.call("query", sdk.client(config).api_alipay_trade_query, out_trade_no=payment_no)
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
        answer = await sdk.call("close", sdk.client(config).api_alipay_trade_close, out_trade_no=payment_no)
        # Not found: Alipay only creates the trade when the cashier is opened; nothing to close.
        if answer.get("code") != SUCCESS and answer.get("sub_code") != NOT_FOUND:
            raise ProviderError(f"Alipay did not close the payment ({_business_error(answer)}).")

    async def refund(self, config: AlipayConfig, request: RefundRequest) -> RefundResult:
        # out_request_no makes each refund its own (partial ones add up) and a repeat of it harmless.
        extra = {"refund_reason": request.reason[:256]} if request.reason else {}
        answer = await sdk.call("refund", sdk.client(config).api_alipay_trade_refund, refund_amount=from_minor(request.amount),
                             out_trade_no=request.payment_no, out_request_no=request.refund_no, **extra)
        if answer.get("code") == SUCCESS:
            return RefundResult(status="succeeded", provider_ref=answer.get("trade_no", ""))
        if answer.get("code") == "20000":  # Alipay's "service unavailable": ask again later
            return RefundResult(status="pending", message=_business_error(answer))
        return RefundResult(status="failed", message=_business_error(answer))
