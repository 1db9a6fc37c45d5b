"""Helpers for the console and platform console tests (no tests here): users, sign-in, TOTP codes."""

from __future__ import annotations

import secrets
import time

import pyotp

from platform_core.accounts.console_schemas import ConsoleUserCreate, OperatorCreate
from platform_core.accounts.console_services import create_console_user, create_operator
from platform_core.db import current_connection, tenant_transaction
from platform_core.tenancy.context import tenant_scope

PASSWORD = "correct-horse-battery"
CSRF = "test-csrf-token"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


async def make_console_user(tenant, role: str = "owner", *, email: str | None = None, password: str = PASSWORD):
    async with tenant_scope(tenant.id):
        return await create_console_user(ConsoleUserCreate(
            email=email or unique_email(role), display_name=f"{role.title()} Person", role=role, password=password,
        ))


async def make_operator(*, email: str | None = None, password: str = PASSWORD):
    async with tenant_transaction(None):
        return await create_operator(OperatorCreate(email=email or unique_email("operator"), display_name="Olivia Operator", password=password))


def with_csrf(client):
    """Browsers echo the CSRF cookie in every form; so do these clients. English, so the
    assertions can read the messages."""
    client.cookies.set("hearth_csrf", CSRF)
    client.cookies.set("hearth_locale", "en")
    return client


async def post_form(client, path: str, data: dict | None = None, **kwargs):
    return await client.post(path, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


async def sign_in(client, email: str, password: str = PASSWORD, *, path: str = "/console/sign-in"):
    return await post_form(client, path, {"email": email, "password": password})


async def totp_secret(runtime, tenant, user_id: int) -> str:
    async with tenant_scope(tenant.id):
        cipher = await current_connection().fetchval("select totp_secret_cipher from core_console_user where id = $1", user_id)
    return runtime.keyring.decrypt(cipher, context="totp")


def code_for(secret: str, *, steps: int = 0) -> str:
    """The TOTP code of now, or `steps` 30-second steps away."""
    return pyotp.TOTP(secret).at(time.time() + steps * 30)
