"""python-alipay-sdk, as the provider uses it: the franchise's client, and each call run in a
worker thread (the SDK is synchronous, urllib) with its failures turned into a ProviderError.
Imported lazily by provider.py."""

from __future__ import annotations

import base64
import logging
from typing import Any

import anyio.to_thread
from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig as SdkConfig
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from platform_core.plugin_api import ProviderError, TenantClients

from .config import AlipayConfig, load_key, pem

__all__ = ["AliPayException", "call", "client"]

log = logging.getLogger("hearth.payments.alipay")

TIMEOUT = 15
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


async def call(what: str, fn, *args, **kwargs) -> dict[str, Any]:
    """Run an SDK call in a thread; any failure becomes a ProviderError without the raw answer."""
    try:
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
    except _SDK_ERRORS as exc:
        log.warning("alipay %s failed", what, extra={"error": type(exc).__name__})
        raise ProviderError(f"Alipay did not answer the {what} request ({type(exc).__name__}).") from None


