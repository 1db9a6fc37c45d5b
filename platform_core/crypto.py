"""Encryption at rest for PII and secrets, and blind indexes to look encrypted values up.

Keys are derived from HEARTH_SECRET_KEY with HKDF, one per purpose, so a phone index key is
never the key that encrypts plugin secrets. Ciphertexts carry a version prefix for rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cached_property

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"


class DecryptionError(ValueError):
    pass


class Keyring:
    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()

    def _derive(self, purpose: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hearth", info=purpose.encode()).derive(self._secret)

    @cached_property
    def _aead(self) -> AESGCM:
        return AESGCM(self._derive("encrypt-at-rest"))

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """AES-256-GCM with a random 96-bit nonce; `context` (e.g. 'customer.phone') is bound as
        associated data, so a ciphertext moved to another column does not decrypt."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        version, _, body = token.partition(":")
        if version != VERSION:
            raise DecryptionError(f"unknown ciphertext version {version!r}")
        raw = base64.urlsafe_b64decode(body.encode())
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag:
            raise DecryptionError("ciphertext does not verify") from None

    def seal(self, data: bytes, *, context: str) -> bytes:
        """Bytes (an ID photo) as encrypt() seals text: version byte, nonce, AES-GCM body."""
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, data, context.encode())

    def unseal(self, sealed: bytes, *, context: str) -> bytes:
        if sealed[:1] != b"\x01":
            raise DecryptionError("unknown sealed version")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], context.encode())
        except InvalidTag:
            raise DecryptionError("sealed bytes do not verify") from None

    def blind_index(self, value: str, *, context: str) -> str:
        """A keyed HMAC of a normalised value: equality lookups without the plaintext."""
        key = self._derive(f"blind-index:{context}")
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    def sign(self, value: str, *, context: str) -> str:
        key = self._derive(f"sign:{context}")
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask(value: str, keep: int = 4) -> str:
    """Show the last `keep` characters only (secrets and phone numbers shown back)."""
    if len(value) <= keep:
        return "•" * len(value)
    return "•" * min(len(value) - keep, 8) + value[-keep:]
