"""Passwords: argon2id (argon2-cffi's defaults), verified off the event loop."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from platform_core.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 256


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def dummy_hash() -> str:
    """Verified against for unknown accounts, so a wrong email costs as long as a wrong password."""
    return _hasher().hash("hearth-no-such-account")


def check_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed({field: "Use at least 10 characters."})
    if len(password) > MAX_LENGTH:
        raise ValidationFailed({field: "Use at most 256 characters."})


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher().hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always does the work of one argon2 verification."""
    def verify() -> bool:
        try:
            return _hasher().verify(password_hash or dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
