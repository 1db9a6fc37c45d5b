from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Annotated

import msgspec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
    load_der_public_key,
)

_ARMOUR = re.compile(r"-----(?:BEGIN|END) [A-Z0-9 ]+-----")


def pem(text: str, kind: str) -> str:
    """A key as python-alipay-sdk loads it. Alipay's key tool and console give the bare base64
    body, and a password field drops a PEM's line breaks: both are rewrapped. ``kind`` is
    PRIVATE or PUBLIC (the label only; the DER inside says which format it is)."""
    body = "".join(_ARMOUR.sub("", text).split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {kind} KEY-----", *lines, f"-----END {kind} KEY-----"])


def _load(der: bytes):
    """Either half, in PKCS#1 or PKCS#8 / SubjectPublicKeyInfo; None when it is neither."""
    try:
        return load_der_private_key(der, None)
    except (ValueError, TypeError):
        pass
    try:
        return load_der_public_key(der)
    except (ValueError, TypeError):
        return None


def load_key(text: str):
    """The key in `text` (PEM, or its bare base64 body), either half; None when it is neither."""
    try:
        der = base64.b64decode("".join(_ARMOUR.sub("", text).split()), validate=True)
    except (ValueError, binascii.Error):
        der = b""
    return _load(der)


@lru_cache(maxsize=64)
def rsa_key_problem(text: str, private: bool) -> str | None:
    """Why `text` is not a usable RSA key of that half, or None. Cached: configs are decoded often."""
    key = load_key(text)
    if not isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "This is not an RSA private key." if private else "This is not an RSA public key."
    if isinstance(key, rsa.RSAPrivateKey) != private:
        return "This is a public key; paste the app's private key." if private else "Paste Alipay's public key here, not a private key."
    if key.key_size < 2048:
        return "RSA2 needs a key of at least 2048 bits."
    return None


class AlipayConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise's Alipay app (open.alipay.com) signing with RSA2. Notifications must be for
    ``appid``; the notify URL is given with each payment, nothing to set up at Alipay."""

    appid: Annotated[str, msgspec.Meta(max_length=32, title="App ID",
                                       description="The APPID of your app on open.alipay.com, e.g. 2021000123456789")] = ""
    app_private_key: Annotated[str, msgspec.Meta(max_length=4096, title="App private key",
                                                 description="Your app's RSA2 private key, as Alipay's key tool made it")] = ""
    alipay_public_key: Annotated[str, msgspec.Meta(max_length=2048, title="Alipay public key",
                                                   description="Alipay's public key from the app's signing settings (not your app's public key)")] = ""
    gateway: Annotated[str, msgspec.Meta(max_length=200, title="Gateway",
                                         description="Leave empty to use Alipay. Only a test sandbox needs its own address here.")] = ""

    def __post_init__(self) -> None:
        # "field: message" points the error at that field of the settings form.
        if self.appid and not self.appid.isdigit():
            raise ValueError("appid: The App ID is the number Alipay shows for your app.")
        if self.gateway and not re.fullmatch(r"https?://[^\s?#]+", self.gateway):
            raise ValueError("gateway: Enter an address starting with https://.")
        for name, private in (("app_private_key", True), ("alipay_public_key", False)):
            value = getattr(self, name)
            problem = value and rsa_key_problem(value, private)
            if problem:
                raise ValueError(f"{name}: {problem}")
