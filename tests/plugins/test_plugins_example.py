"""The out-of-tree example plugin (examples/hearth-hello), pip-installed into a temporary folder
after the test database was migrated, as an operator would install it on a running platform: its
own Piccolo app and migration (a tenant table under forced RLS), its static files, on for tenant
A, absent (404, no hook calls, no rows) for tenant B; its config through the CLI."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from platform_core.db import current_connection, tenant_transaction
from platform_core.db.checks import rls_violations
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.services import (
    enable_plugin,
    plugin_catalog,
    set_plugin_config,
)
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import SmsGateway, api_sign_in
from platform_core.testing.pytest_plugin import (
    client_for,
    restore_session_pool,
    run_hearth,
    running_beside,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "hearth-hello"
HELLO_MIGRATION = "2026-12-01T00:00:00:000000"

# A real pip install, a migration and a few CLI processes: about 20 s.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hello_installed(tmp_path_factory):
    """`pip install --no-deps --target TMP examples/hearth-hello`, TMP on sys.path: from here on
    importlib.metadata sees the `hello` entry point, as after a real install."""
    target = tmp_path_factory.mktemp("site")
    # setuptools builds in the source folder; build a copy so the repository stays clean.
    source = shutil.copytree(EXAMPLE, tmp_path_factory.mktemp("src") / "hearth-hello")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        check=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        # Piccolo put the migrations folder on sys.path too, and imported the file by its bare name.
        sys.path[:] = [p for p in sys.path if not p.startswith(str(target))]
        for name in [m for m in sys.modules if m.startswith(("hearth_hello", "hello_0"))]:
            del sys.modules[name]


@pytest.fixture(scope="module")
async def hello_migrated(hello_installed, app, hearth_settings):
    """The plugin's migration, run as the owner like `hearth db migrate` after a pip install.
    Migrating swaps the process's one engine to the owner; the session app's pool is put back."""
    from platform_core.db.migrate import migrate

    try:
        await migrate(hearth_settings.db.url)
    finally:
        await restore_session_pool(hearth_settings)
    return hello_installed


@pytest.fixture(scope="module")
async def hello_app(hello_migrated, hearth_settings):
    """A second app over the same database whose plugin manager includes the example, with its
    lifespan running: so its start-up safety checks accepted the plugin's table."""
    from platform_core.app import create_app

    pm = build_plugin_manager()
    assert "hello" in [p.name for p in plugin_catalog(pm)]
    async with running_beside(create_app(hearth_settings, pm=pm), hearth_settings) as application:
        yield application


@pytest.fixture
def hello_runtime(hello_app):
    """The hello app's runtime entered, so the services a test calls see the example plugin."""
    with hello_app.state.runtime.scope() as runtime:
        yield runtime


@pytest.fixture
def hello_sms(hello_app):
    """Sign-in codes of the hello app's tenants, kept in a list (a core name: every relay has it)."""
    gateway = SmsGateway()
    hello_app.state.runtime.pm.register(gateway, name="core.test_sms")
    yield gateway
    hello_app.state.runtime.pm.unregister(name="core.test_sms")


def test_the_examples_own_tests_pass_with_the_test_kit(hello_installed):
    """examples/hearth-hello/tests, run as its author would (`pytest` in the plugin's folder, the
    plugin and hearth installed): the kit's fixtures, factories and check_plugin work out of tree.
    A pytest of its own: a database of its own, migrated with the plugin from the start."""
    # Not this xdist worker's variables; the moved clock's (HEARTH_TEST_CLOCK_OFFSET) are kept.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    path = os.pathsep.join(filter(None, [str(hello_installed), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=EXAMPLE, env={**env, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout


async def _owner_fetch(settings, sql: str, *args):
    """As the owner, a superuser in tests: row-level security does not hide anything from it."""
    conn = await asyncpg.connect(settings.db.url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def test_piccolo_sees_a_plugin_installed_after_the_configuration_was_imported(hello_installed):
    from piccolo.conf.apps import Finder

    from platform_core.db import conf

    assert "hello" in Finder().get_app_registry().app_configs
    assert conf.APP_REGISTRY.get_app_config("hello").migration_dependencies == ["platform_core.tenancy.piccolo_app"]


async def test_plugin_migration_creates_its_table_under_forced_row_level_security(hello_migrated, hearth_settings):
    [table] = await _owner_fetch(
        hearth_settings,
        "select c.relrowsecurity, c.relforcerowsecurity, (select count(*) from pg_policy p where p.polrelid = c.oid) as policies "
        "from pg_class c where c.relname = 'hello_welcome'",
    )
    assert table["relrowsecurity"] and table["relforcerowsecurity"] and table["policies"] == 1
    conn = await asyncpg.connect(hearth_settings.db.url)
    try:
        assert [p for p in await rls_violations(conn) if "hello_welcome" in p] == []
    finally:
        await conn.close()


async def test_plugin_table_refuses_a_row_for_another_tenant(hello_migrated, tenant_a, tenant_b):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with tenant_transaction(tenant_a.id):
            await current_connection().execute(
                "insert into hello_welcome (tenant_id, customer_id) values ($1, 1)", tenant_b.id
            )


async def test_example_plugin_works_for_the_tenant_that_enabled_it_and_is_absent_for_another(
    hello_app, hello_runtime, hello_sms, hearth_settings, tenant_a, tenant_b
):
    await enable_plugin(tenant_a.id, "hello", actor="test")
    await set_plugin_config(tenant_a.id, "hello", {"greeting": "你好", "times": "2"})

    host_a, host_b = f"{tenant_a.slug}.localhost", f"{tenant_b.slug}.localhost"
    async with client_for(hello_app, host_a) as a, client_for(hello_app, host_b) as b:
        before = await a.get("/p/hello/")
        assert before.status_code == 200 and "你好 你好" in before.text
        assert 'data-welcomed="0"' in before.text and "新客户首次登录后" in before.text
        assert (await b.get("/p/hello/")).status_code == 404

    # A real sign-up on each franchise (API clients: no browser cookies, so no CSRF token); the
    # hook runs in A's registration transaction only.
    async with client_for(hello_app, host_a) as api_a, client_for(hello_app, host_b) as api_b:
        customer_a = (await api_sign_in(api_a, hello_sms, "13800138000", "+8613800138000"))["customer"]["id"]
        await api_sign_in(api_b, hello_sms, "13900139000", "+8613900139000")

    async with client_for(hello_app, host_a) as a:
        after = await a.get("/p/hello/")
    assert 'data-welcomed="1"' in after.text and "位新客户已收到欢迎" in after.text

    async with tenant_transaction(tenant_a.id):
        assert await current_connection().fetch("select customer_id from hello_welcome") == [(customer_a,)]
    async with tenant_transaction(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from hello_welcome") == 0
    # Not just hidden from B: the hook never ran for B, so no row of B exists at all.
    owned = await _owner_fetch(hearth_settings, "select tenant_id from hello_welcome where tenant_id = any($1)", [tenant_a.id, tenant_b.id])
    assert [r["tenant_id"] for r in owned] == [tenant_a.id]


async def test_example_plugin_page_uses_its_static_stylesheet(hello_app, hello_runtime, tenant_a):
    await enable_plugin(tenant_a.id, "hello", actor="test")
    async with client_for(hello_app, f"{tenant_a.slug}.localhost") as a:
        page = await a.get("/p/hello/")
        css = await a.get("/static/p/hello/hello.css")
    assert '<link rel="stylesheet" href="/static/p/hello/hello.css">' in page.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".hello-card__message" in css.text and 'class="hello-card__message"' in page.text


async def test_example_plugin_menu_entry_shows_only_where_enabled(hello_app, hello_runtime, tenant_a, tenant_b):
    await enable_plugin(tenant_a.id, "hello", actor="test")
    for tenant_id, expected in ((tenant_a.id, True), (tenant_b.id, False)):
        async with tenant_scope(tenant_id) as tenant:
            labels = [e.label for group in hello_runtime.hooks(tenant).provide_console_menu() for e in group or []]
        assert ("Hello" in labels) is expected


def _hearth(settings, installed: Path, *args: str):
    return run_hearth(settings, *args, PYTHONPATH=str(installed), REDIS_URL="")


async def test_hearth_db_status_lists_the_plugin_migration_as_applied(hello_migrated, hearth_settings):
    status = _hearth(hearth_settings, hello_migrated, "db", "status")
    assert status.returncode == 0, status.stderr
    assert f"applied  hello          {HELLO_MIGRATION}" in status.stdout.splitlines()
    again = _hearth(hearth_settings, hello_migrated, "db", "migrate")
    assert again.returncode == 0 and "migrations applied" in again.stdout, again.stderr


async def test_cli_lists_enables_and_configures_with_clear_errors(hello_app, hello_installed, hearth_settings, tenant_a, tenant_b):
    run = lambda *args: _hearth(hearth_settings, hello_installed, "plugins", *args)  # noqa: E731

    enabled = run("enable", tenant_a.slug, "hello")
    assert enabled.returncode == 0, enabled.stderr
    assert f"hello is on for {tenant_a.slug}" in enabled.stdout

    listed = run("list")
    line = next(l for l in listed.stdout.splitlines() if l.startswith("hello "))
    assert "0.2.0" in line and tenant_a.slug in line and tenant_b.slug not in line

    bad = run("config", tenant_a.slug, "hello", "times=9", "colour=red", "greeting=")
    assert bad.returncode == 1
    assert "times: Expected `int` <= 5" in bad.stderr
    assert "colour: Unknown setting." in bad.stderr
    assert "greeting: Expected `str` of length >= 1" in bad.stderr

    unknown = run("enable", tenant_a.slug, "no_such_plugin")
    assert unknown.returncode == 1 and "plugin: No installed plugin has this name. (installed:" in unknown.stderr

    secret = "whsec_0123456789abcdef"
    shown = run("config", tenant_a.slug, "hello", f"webhook_key={secret}", "times=3", "--show")
    assert shown.returncode == 0, shown.stderr
    assert secret not in shown.stdout and "cdef" in shown.stdout
    assert "times       = 3  (this franchise)" in shown.stdout
    assert "greeting    = Hello  (inherited)" in shown.stdout

    defaults = run("defaults", "hello", "greeting=Hi there", "--show")
    assert defaults.returncode == 0 and "greeting    = Hi there  (platform)" in defaults.stdout
    run("defaults", "hello", "--reset", "greeting")
    disabled = run("disable", tenant_a.slug, "hello")
    assert disabled.returncode == 0 and f"hello is off for {tenant_a.slug}" in disabled.stdout
