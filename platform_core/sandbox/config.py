"""What a provider plugin needs to point the real SDK at the sandbox, per tenant.

Every tenant gets its own merchant/app ids (derived from its slug, so they are stable across
restarts); the keys are the sandbox's, from keys.json. How each SDK is redirected:
wechatpy ``pay.API_BASE_URL = cfg.wechat_v2.api_base_url``; wechatpayv3
``wxpay._core._gate_way = cfg.wechat_v3.gateway`` (public-key mode); python-alipay-sdk
``alipay._gateway = cfg.alipay.gateway``; stripe ``StripeClient(key, base_addresses={"api": cfg.stripe.api_base})``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import zlib
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from .keys import SandboxKeys, load_or_create

DEFAULT_PORT = 8122


class WeChatV2Config(msgspec.Struct):
    appid: str
    mch_id: str
    api_key: str
    api_base_url: str
    api_client_cert: str = ""  # the merchant API certificate (v2 refunds and transfers present it)


class WeChatV3Config(msgspec.Struct):
    appid: str
    mchid: str
    private_key: str
    cert_serial_no: str
    apiv3_key: str
    public_key: str
    public_key_id: str
    gateway: str


class AlipayConfig(msgspec.Struct):
    appid: str
    app_private_key: str
    alipay_public_key: str
    gateway: str


class StripeConfig(msgspec.Struct):
    secret_key: str
    publishable_key: str
    webhook_secret: str
    api_base: str


class AMapConfig(msgspec.Struct):
    web_service_key: str
    api_base: str
    tiles_url: str


class QQConnectConfig(msgspec.Struct):
    app_id: str
    app_key: str
    api_base: str


class WeChatLoginConfig(msgspec.Struct):
    """A franchise's WeChat apps for sign-in: the official account (web authorisation inside
    WeChat; the same app id as WeChat Pay, so a payer's openid is the one sign-in keeps), the
    Open Platform website app (QR sign-in on a computer) and the mini-program."""

    mp_appid: str
    mp_secret: str
    web_appid: str
    web_secret: str
    mini_appid: str
    mini_secret: str
    api_base: str  # in place of https://api.weixin.qq.com and https://open.weixin.qq.com


class SandboxConfig(msgspec.Struct):
    base_url: str
    wechat_v2: WeChatV2Config
    wechat_v3: WeChatV3Config
    alipay: AlipayConfig
    stripe: StripeConfig
    amap: AMapConfig
    qq: QQConnectConfig
    wechat_login: WeChatLoginConfig


def sandbox_base_url(port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}"


def stripe_port(port: int) -> int:
    """localstripe listens next to the sandbox."""
    return port + 1


def stripe_pay_url(cfg: SandboxConfig, intent_id: str, return_url: str = "") -> str:
    """Where the checkout sends the customer for a PaymentIntent (in place of Stripe Elements);
    after approving, the page sends them to `return_url`, as Stripe.js's confirmPayment does."""
    url = f"{cfg.base_url}/pay/stripe/{intent_id}"
    return f"{url}?{urlencode({'return_url': return_url})}" if return_url else url


def register_stripe_webhook(cfg: SandboxConfig, url: str, account: str | None = None) -> str:
    """Add a webhook endpoint for payment_intent.succeeded (Stripe's dashboard step); returns its
    signing secret. With `account` (a tenant's slug) it only gets the events of intents whose
    metadata names that tenant, as a real Stripe account only gets its own."""
    import httpx  # only the demo and the tests register webhooks; a web process need not load it

    resp = httpx.post(f"{cfg.base_url}/_sandbox/stripe/webhook_endpoints", json={"url": url, "account": account}, timeout=10)
    resp.raise_for_status()
    return resp.json()["secret"]


def amap_key(keys: SandboxKeys, account: str) -> str:
    """An AMap web-service key the sandbox accepts: 16 characters naming the account, then 16
    that sign them with a sandbox secret, so the sandbox checks a key without a list of them."""
    mac = hmac.new(keys.wechat_v2_api_key.encode() + b"amap", account.encode(), hashlib.sha256).hexdigest()
    return account + mac[:16]


def qq_app_id(developer: str, number: int = 0) -> str:
    """A QQ Connect app id of the sandbox: "1", seven digits naming the developer account, two
    numbering its apps (QQ's are 9 or 10 digits). The sandbox reads the developer back from it."""
    return "1" + _digits(developer, 7) + f"{number % 100:02d}"


def qq_app_key(keys: SandboxKeys, app_id: str) -> str:
    """The app's key (32 hex digits, as QQ Connect shows it): a signature of the app id, so the
    sandbox checks a key without a list of apps."""
    return hmac.new(keys.wechat_v2_api_key.encode() + b"qq", app_id.encode(), hashlib.sha256).hexdigest()[:32]


def wechat_app_secret(keys: SandboxKeys, appid: str) -> str:
    """A WeChat app's AppSecret (32 hex characters) that the sandbox accepts: derived from the
    app id with a sandbox secret, so the sandbox checks one without a list of apps."""
    return hmac.new(keys.wechat_v2_api_key.encode() + b"login", appid.encode(), hashlib.sha256).hexdigest()[:32]


def wechat_franchise(appid: str) -> str:
    """The franchise part of a sandbox WeChat app id ("wxsb" + app kind + 10 digits): its apps
    share a unionid per person."""
    return appid[5:]


@functools.lru_cache(maxsize=64)
def merchant_certificate(private_pem: str, mch_id: str) -> str:
    """A merchant API certificate (apiclient_cert.pem) for the sandbox's merchant key: self-signed,
    with fixed dates, so the same tenant gets the same one. The sandbox speaks plain HTTP, so it is
    never presented; a v2 merchant needs one configured before it may transfer."""
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, mch_id)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(int(mch_id)).not_valid_before(datetime(2024, 1, 1, tzinfo=timezone.utc))
            .not_valid_after(datetime(2044, 1, 1, tzinfo=timezone.utc)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _digits(slug: str, width: int) -> str:
    return str(zlib.crc32(slug.encode())).rjust(width, "0")[-width:]


def tenant_config(tenant_slug: str, *, data_dir: str | Path, port: int = DEFAULT_PORT) -> SandboxConfig:
    keys = load_or_create(data_dir)
    base = sandbox_base_url(port)
    mch_id = "19" + _digits(tenant_slug, 8)
    appid = "wxsbx" + _digits(tenant_slug, 10)
    qq_app = qq_app_id(tenant_slug)
    web_appid, mini_appid = "wxsbw" + _digits(tenant_slug, 10), "wxsbm" + _digits(tenant_slug, 10)
    return SandboxConfig(
        base_url=base,
        wechat_v2=WeChatV2Config(appid=appid, mch_id=mch_id, api_key=keys.wechat_v2_api_key, api_base_url=base + "/",
                                 api_client_cert=merchant_certificate(keys.wechat_merchant.private_pem, mch_id)),
        wechat_v3=WeChatV3Config(
            appid=appid,
            mchid=mch_id,
            private_key=keys.wechat_merchant.private_pem,
            cert_serial_no=keys.wechat_merchant_serial,
            apiv3_key=keys.wechat_apiv3_key,
            public_key=keys.wechat_platform.public_pem,
            public_key_id=keys.wechat_platform_key_id,
            gateway=base,
        ),
        alipay=AlipayConfig(
            appid="2021" + _digits(tenant_slug, 12),
            app_private_key=keys.alipay_app.private_pem,
            alipay_public_key=keys.alipay_platform.public_pem,
            gateway=base + "/gateway.do",
        ),
        stripe=StripeConfig(
            secret_key="sk_test_sandbox_" + tenant_slug,
            publishable_key="pk_test_sandbox_" + tenant_slug,
            webhook_secret=keys.stripe_webhook_secret,
            api_base=sandbox_base_url(stripe_port(port)),
        ),
        amap=AMapConfig(
            web_service_key=amap_key(keys, _digits(tenant_slug, 16)),
            api_base=base,
            tiles_url=base + "/amap/tiles/{z}/{x}/{y}.png",
        ),
        qq=QQConnectConfig(app_id=qq_app, app_key=qq_app_key(keys, qq_app), api_base=base),
        wechat_login=WeChatLoginConfig(
            mp_appid=appid, mp_secret=wechat_app_secret(keys, appid), web_appid=web_appid, web_secret=wechat_app_secret(keys, web_appid),
            mini_appid=mini_appid, mini_secret=wechat_app_secret(keys, mini_appid), api_base=base,
        ),
    )
