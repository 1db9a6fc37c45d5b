"""The sandbox's key material, generated once and kept in the data folder.

Both halves of every key pair are here on purpose: the sandbox plays the provider (platform keys)
and hands the merchant halves to the provider plugins through config.py.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class KeyPair(msgspec.Struct):
    private_pem: str
    public_pem: str


class SandboxKeys(msgspec.Struct):
    alipay_app: KeyPair
    alipay_platform: KeyPair
    wechat_merchant: KeyPair
    wechat_platform: KeyPair
    wechat_v2_api_key: str
    wechat_apiv3_key: str
    wechat_merchant_serial: str
    wechat_platform_key_id: str
    stripe_webhook_secret: str


def _rsa_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(private_pem=private.decode(), public_pem=public.decode())


def generate() -> SandboxKeys:
    return SandboxKeys(
        alipay_app=_rsa_pair(),
        alipay_platform=_rsa_pair(),
        wechat_merchant=_rsa_pair(),
        wechat_platform=_rsa_pair(),
        # WeChat API keys are 32 characters; the v3 key is the AES-256 key itself.
        wechat_v2_api_key=secrets.token_hex(16),
        wechat_apiv3_key=secrets.token_hex(16),
        wechat_merchant_serial=secrets.token_hex(20).upper(),
        wechat_platform_key_id="PUB_KEY_ID_" + secrets.token_hex(8).upper(),
        stripe_webhook_secret="whsec_" + secrets.token_hex(24),
    )


def keys_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "sandbox" / "keys.json"


def load_or_create(data_dir: str | Path) -> SandboxKeys:
    path = keys_path(data_dir)
    if path.exists():
        return msgspec.json.decode(path.read_bytes(), type=SandboxKeys)
    keys = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(json.dumps(msgspec.to_builtins(keys), indent=2).encode())
    tmp.chmod(0o600)
    # Two processes starting at once must end up with one set of keys: rename is atomic.
    tmp.replace(path)
    return msgspec.json.decode(path.read_bytes(), type=SandboxKeys)
