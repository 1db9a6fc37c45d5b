"""WeChat Pay as a `PaymentProvider`: one provider, "wechat", speaking API v2 (wechatpy) or v3
(wechatpayv3) as the tenant's merchant account is set up. Inside WeChat's browser it is JSAPI, in
a phone's browser H5, on a desktop a NATIVE QR code."""

from __future__ import annotations

from typing import Mapping

import msgspec
from anyio import to_thread

from platform_core.plugin_api import (
    CheckoutAction,
    CheckoutPage,
    CheckoutRequest,
    Device,
    NotificationRefused,
    PaymentNotice,
    PaymentStatus,
    PaymentUnavailable,
    ProviderReply,
    RefundRequest,
    RefundResult,
    TransferNotice,
    TransferRequest,
    TransferResult,
    customer_login_identity,
    lazy_module,
    login_link_path,
)
from platform_core.plugin_api import lazy_gettext as N_

from .config import WeChatPayConfig

# The protocols, with wechatpy, wechatpayv3 and requests, load on the first payment, not in every
# web process (~30 MB).
v2 = lazy_module(f"{__package__}.v2")
v3 = lazy_module(f"{__package__}.v3")

# The login provider whose identities hold the payers' openids (the login_wechat plugin's).
LOGIN_PROVIDER = "wechat"
NEEDS_OPENID = N_("To pay with WeChat Pay inside WeChat, sign in with WeChat first.")


class WeChatPayProvider:
    name = "wechat"
    plugin = "payments_wechat"
    label = N_("WeChat Pay")
    icon = "wechat"
    confirm_template = "payments_wechat/confirm_receipt.html"  # a transfer waiting for the person (WAIT_USER_CONFIRM)

    def configured(self, config: WeChatPayConfig) -> bool:
        return config.configured()

    def supports(self, config: WeChatPayConfig, device: Device, currency: str) -> bool:
        # Domestic merchant accounts settle in yuan only.
        return currency == "CNY"

    def merchant_id(self, config: WeChatPayConfig) -> str:
        return config.mch_id

    async def create(self, config: WeChatPayConfig, request: CheckoutRequest) -> CheckoutAction:
        if request.device == "wechat" and not request.openid and request.customer_id is not None:
            request = await _with_payer(config, request)
        return await to_thread.run_sync(_api(config).create, config, request)

    def checkout_page(self, action: CheckoutAction) -> CheckoutPage | None:
        # H5 is WeChat's own cashier page: the payment page links to it.
        return CheckoutPage(template="payments_wechat/checkout.html") if action.kind in ("qr", "jsapi") else None

    async def parse_notification(self, config: WeChatPayConfig, headers: Mapping[str, str], body: bytes) -> PaymentNotice:
        if config.api_version == "v2":
            return await to_thread.run_sync(v2.parse_notification, config, body)
        lowered = {key.lower(): value for key, value in headers.items()}
        return await to_thread.run_sync(v3.parse_notification, config, lowered, body)

    def reply(self, config: WeChatPayConfig | None, accepted: bool) -> ProviderReply:
        api = v2 if config is not None and config.api_version == "v2" else v3
        return api.ACCEPTED if accepted else api.REFUSED

    async def query(self, config: WeChatPayConfig, payment_no: str, provider_ref: str) -> PaymentStatus:
        return await to_thread.run_sync(_api(config).query, config, payment_no)

    async def close(self, config: WeChatPayConfig, payment_no: str, provider_ref: str) -> None:
        await to_thread.run_sync(_api(config).close, config, payment_no)

    async def refund(self, config: WeChatPayConfig, request: RefundRequest) -> RefundResult:
        return await to_thread.run_sync(_api(config).refund, config, request)

    # TransferProvider: transfers to a person's WeChat balance (v3 商家转账, v2 企业付款到零钱).

    def pays_out(self, config: WeChatPayConfig) -> bool:
        return config.pays_out()

    async def transfer(self, config: WeChatPayConfig, request: TransferRequest) -> TransferResult:
        if request.currency != "CNY" or request.account_kind != "wechat_openid":
            return TransferResult(status="failed", message="WeChat Pay transfers yuan to a WeChat openid only.")
        return await to_thread.run_sync(_api(config).transfer, config, request)

    async def query_transfer(self, config: WeChatPayConfig, transfer_no: str, provider_ref: str) -> TransferResult:
        return await to_thread.run_sync(_api(config).query_transfer, config, transfer_no)

    async def parse_transfer_notification(self, config: WeChatPayConfig, headers: Mapping[str, str], body: bytes) -> TransferNotice:
        if config.api_version == "v2":
            raise NotificationRefused("malformed", "WeChat Pay API v2 sends no transfer notifications")
        lowered = {key.lower(): value for key, value in headers.items()}
        return await to_thread.run_sync(v3.parse_transfer_notification, config, lowered, body)


async def _with_payer(config: WeChatPayConfig, request: CheckoutRequest) -> CheckoutRequest:
    """JSAPI needs the payer's openid in the merchant's app: the one WeChat sign-in keeps. Unknown
    yet, the customer goes through a silent WeChat authorisation first and comes back to pay."""
    linked = await customer_login_identity(request.customer_id, LOGIN_PROVIDER, app_id=config.appid)
    if linked is not None:
        return msgspec.structs.replace(request, openid=linked.subject)
    path = login_link_path(LOGIN_PROVIDER, silent=True, app_id=config.appid)
    if path is not None:
        raise PaymentUnavailable(NEEDS_OPENID, redirect=path)
    return request


def _api(config: WeChatPayConfig):
    return v2 if config.api_version == "v2" else v3
