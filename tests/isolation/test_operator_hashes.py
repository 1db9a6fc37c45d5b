"""Operators' password hashes are out of the app role's reach: it can not select, change or
delete them, yet operators sign in, change their password and get rehashed through the two
functions that hand out one hash at a time; the server refuses to start if the role could read
them."""

from __future__ import annotations

import asyncpg
import pytest
from argon2 import PasswordHasher

from platform_core.db.checks import UnsafeDatabaseError, check_database_safety
from platform_core.db.engine import app_dsn
from platform_core.testing.factories import (
    PASSWORD,
    make_operator,
    post_form,
    sign_in,
    unique_email,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for


@pytest.fixture
async def owner(hearth_owner_url):
    conn = await asyncpg.connect(hearth_owner_url)
    yield conn
    await conn.close()


@pytest.fixture
async def as_app_role(hearth_settings):
    conn = await asyncpg.connect(app_dsn(hearth_settings.db.url, None))
    yield conn
    await conn.close()


@pytest.mark.parametrize("sql", [
    "select password_hash from core_operator",
    "select * from core_operator",
    "update core_operator set password_hash = 'x'",
    "delete from core_operator",
    "copy core_operator to stdout",
])
async def test_the_app_role_can_not_read_or_change_operators_password_hashes(app, as_app_role, sql):
    await make_operator()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app_role.execute(sql)


async def test_the_app_role_still_reads_what_the_platform_console_shows(app, as_app_role):
    operator = await make_operator()
    row = await as_app_role.fetchrow("select id, email::text, display_name, status from core_operator where id = $1", operator.id)
    assert row["email"] == operator.email and row["status"] == "active"


async def test_an_operator_signs_in_and_changes_the_password(app, hearth_settings, owner):
    operator = await make_operator()
    async with client_for(app, hearth_settings.platform_host) as client:
        with_csrf(client)
        assert (await sign_in(client, operator.email, "not-the-password", path="/platform/sign-in")).status_code == 400
        assert (await sign_in(client, operator.email, path="/platform/sign-in")).status_code == 303
        wrong = await post_form(client, "/platform/account/security/password",
                                {"current_password": "not-the-password", "new_password": "a-new-long-password"})
        assert wrong.status_code == 400 and "The password is wrong." in wrong.text
        changed = await post_form(client, "/platform/account/security/password",
                                  {"current_password": PASSWORD, "new_password": "a-new-long-password"})
        assert changed.status_code == 303
    stored = await owner.fetchval("select password_hash from core_operator where id = $1", operator.id)
    assert PasswordHasher().verify(stored, "a-new-long-password")
    async with client_for(app, hearth_settings.platform_host) as again:
        with_csrf(again)
        assert (await sign_in(again, operator.email, path="/platform/sign-in")).status_code == 400
        assert (await sign_in(again, operator.email, "a-new-long-password", path="/platform/sign-in")).status_code == 303


async def test_an_operator_hashed_with_old_parameters_is_rehashed_at_sign_in(app, hearth_settings, owner):
    email = unique_email("old-hash")
    old = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    await owner.execute("insert into core_operator (email, display_name, password_hash) values ($1, 'Old Hash', $2)", email, old)
    async with client_for(app, hearth_settings.platform_host) as client:
        with_csrf(client)
        assert (await sign_in(client, email, path="/platform/sign-in")).status_code == 303
    stored = await owner.fetchval("select password_hash from core_operator where email = $1", email)
    assert stored != old and not PasswordHasher().check_needs_rehash(stored)


async def test_the_server_refuses_to_start_while_the_app_role_can_read_the_hashes(app, owner):
    await owner.execute("grant select (password_hash) on core_operator to hearth_app")
    try:
        with pytest.raises(UnsafeDatabaseError, match=r"can read the secret column core_operator\.password_hash"):
            await check_database_safety()
    finally:
        await owner.execute("revoke select (password_hash) on core_operator from hearth_app")
    await check_database_safety()
