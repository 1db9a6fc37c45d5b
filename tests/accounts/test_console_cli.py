"""`hearth users create-owner|create-operator`, and the [owner] of tenant files."""

from __future__ import annotations

from pathlib import Path

from platform_core.accounts.console_services import CONSOLE, OPERATOR, find_account
from platform_core.db import tenant_transaction
from platform_core.demo.seeding import apply_tenant_file
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant
from platform_core.testing.factories import sign_in, unique_email, with_csrf
from platform_core.testing.pytest_plugin import client_for, run_hearth, unique_slug


async def test_cli_creates_an_owner_who_can_sign_in(app, hearth_settings, tenant_a):
    email = unique_email("cli-owner")
    done = run_hearth(hearth_settings, "users", "create-owner", tenant_a.slug, "--email", email, "--name", "Cli Owner",
                  "--password", "cli-password-2026")
    assert done.returncode == 0, done.stderr
    assert f"created owner {email}" in done.stdout
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        assert (await sign_in(with_csrf(client), email, "cli-password-2026")).status_code == 303


async def test_cli_explains_what_is_wrong(app, hearth_settings, tenant_a):
    short = run_hearth(hearth_settings, "users", "create-owner", tenant_a.slug, "--email", unique_email(), "--name", "X",
                   "--password", "short")
    assert short.returncode != 0
    assert "Use at least 10 characters." in short.stderr
    unknown = run_hearth(hearth_settings, "users", "create-owner", "no-such-tenant", "--email", unique_email(), "--name", "X",
                     "--password", "long-enough-pass")
    assert unknown.returncode != 0 and "could not find" in unknown.stderr.lower()
    bad_email = run_hearth(hearth_settings, "users", "create-operator", "--email", "nope", "--name", "X", "--password", "long-enough-pass")
    assert bad_email.returncode != 0 and "--email" in bad_email.stderr


async def test_cli_creates_an_operator(app, hearth_settings):
    email = unique_email("cli-operator")
    done = run_hearth(hearth_settings, "users", "create-operator", "--email", email, "--name", "Cli Operator", "--password", "operator-pass-1")
    assert done.returncode == 0, done.stderr
    async with tenant_transaction(None):
        assert (await find_account(OPERATOR, email)) is not None
    async with client_for(app, hearth_settings.platform_host) as client:
        response = await sign_in(with_csrf(client), email, "operator-pass-1", path="/platform/sign-in")
        assert response.status_code == 303


async def test_tenant_file_owner_is_created_once_and_never_reset(app, hearth_settings, tmp_path: Path):
    slug = unique_slug("seed")
    email = unique_email("seed-owner")
    path = tmp_path / f"{slug}.toml"
    path.write_text(
        f'[tenant]\nslug = "{slug}"\nname = "Seeded"\n\n[owner]\nemail = "{email}"\nname = "Seed Owner"\npassword = "seed-password-1"\n'
    )
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: owner {email} created" in first
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        before = await find_account(CONSOLE, email)
    path.write_text(path.read_text().replace("seed-password-1", "another-password"))
    assert await apply_tenant_file(path, hearth_settings) == []
    async with tenant_scope(tenant.id):
        after = await find_account(CONSOLE, email)
    assert after.password_hash == before.password_hash and after.role == "owner"
