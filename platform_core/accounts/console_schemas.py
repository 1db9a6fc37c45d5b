"""Console users and platform operators at the boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from platform_core.bounds import NO_NUL, Url

from .permissions import Role

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Password = Annotated[str, msgspec.Meta(max_length=256)]
Status = Literal["active", "disabled"]


class ConsoleUser(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    display_name: str
    role: Role
    status: Status
    totp_enabled: bool
    last_sign_in_at: datetime | None
    created_at: datetime


class ConsoleUserCreate(msgspec.Struct, frozen=True, kw_only=True):
    email: Email
    display_name: DisplayName
    role: Role
    password: Password


class ConsoleUserUpdate(msgspec.Struct, frozen=True, kw_only=True):
    display_name: DisplayName | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    status: Status | UnsetType = UNSET


class Operator(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    display_name: str
    status: Status
    totp_enabled: bool
    last_sign_in_at: datetime | None
    created_at: datetime


class OperatorCreate(msgspec.Struct, frozen=True, kw_only=True):
    email: Email
    display_name: DisplayName
    password: Password


class SignIn(msgspec.Struct, frozen=True, kw_only=True):
    email: Annotated[str, msgspec.Meta(max_length=254, pattern=NO_NUL)]
    password: Password
    next: Url = ""


class SecondFactor(msgspec.Struct, frozen=True, kw_only=True):
    """A 6-digit TOTP code, or a recovery code."""

    code: Annotated[str, msgspec.Meta(max_length=32)]
    next: Url = ""


class PasswordChange(msgspec.Struct, frozen=True, kw_only=True):
    current_password: Password
    new_password: Password


class TotpEnrolment(msgspec.Struct, frozen=True, kw_only=True):
    """What the security page shows while 2FA is being set up (the secret is shown once)."""

    secret_grouped: str
    qr_svg: str
    uri: str


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """A console user or an operator with what sign-in needs; never leaves the services."""

    id: int
    email: str
    display_name: str
    role: str | None
    status: Status
    # None for operators: their hashes are fetched one at a time (console_services._password_hash).
    password_hash: str | None
    totp_secret_cipher: str | None
    totp_enabled_at: datetime | None
    last_sign_in_at: datetime | None
    created_at: datetime

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None
