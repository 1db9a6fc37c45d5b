"""Hearth's pytest plugin: a migrated database per xdist worker, the app, tenants and clients.

Uses the machine's PostgreSQL when HEARTH_TEST_DATABASE_URL is set (a database per worker is
created and dropped), else an embedded PostgreSQL per worker. Uses redis when REDIS_URL is set.
HEARTH_TEST_CLOCK moves the clock of the whole run (testing/clock.py).
Shared by the core's tests, plugin tests and out-of-tree plugins.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import asyncpg
import httpx
import msgspec
import pytest

from platform_core.db.engine import with_database
from platform_core.settings import Settings, load_settings
from platform_core.testing import clock as test_clock
from platform_core.web.i18n import set_locale

REPO = Path(__file__).resolve().parents[2]


class TestDatabase:
    """One database for this pytest process, migrated as the owner."""

    def __init__(self) -> None:
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.name = f"hearth_test_{self.worker}_{os.getpid()}"
        self.admin_url = os.environ.get("HEARTH_TEST_DATABASE_URL")
        self._embedded = None
        self._tmp: str | None = None

    def start(self) -> str:
        if self.admin_url:
            asyncio.run(self._admin(f'create database "{self.name}"'))
            return with_database(self.admin_url, self.name)
        from platform_core.db.embedded import start_embedded

        self._tmp = tempfile.mkdtemp(prefix=f"hearth-pg-{self.worker}-")
        self._embedded = start_embedded(Path(self._tmp) / "pgdata")
        return self._embedded.get_uri()

    def stop(self) -> None:
        if self.admin_url:
            asyncio.run(self._admin(f'drop database if exists "{self.name}" with (force)'))
        if self._embedded is not None:
            self._embedded.cleanup()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian's chromium through Playwright")
    config.addinivalue_line("markers", "slow: slower suites, still run in CI")
    # Before xdist starts its workers, so they inherit the offset (clock.py).
    xdist_controller = config.getoption("dist", "no") != "no" and not hasattr(config, "workerinput")
    test_clock.start(hand_on=not xdist_controller)


def pytest_report_header(config: pytest.Config) -> str | None:
    return test_clock.describe()


@pytest.fixture(scope="session")
def hearth_owner_url() -> str:
    """The migrated test database's owner DSN (superuser in tests)."""
    db = TestDatabase()
    url = db.start()
    from platform_core.db.migrate import migrate

    try:
        asyncio.run(migrate(url))
        from platform_core.db import close_pool

        asyncio.run(close_pool())
        yield url
    finally:
        db.stop()


@pytest.fixture(scope="session")
def hearth_settings(hearth_owner_url: str) -> Settings:
    data_dir = REPO / ".hearth" / "test"
    data_dir.mkdir(parents=True, exist_ok=True)
    return load_settings(
        {
            "HEARTH_ENV": "test",
            "HEARTH_SECRET_KEY": "test-secret-key-" + "x" * 32,
            "HEARTH_DATA_DIR": str(data_dir),
            "DATABASE_URL": hearth_owner_url,
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "HEARTH_KEY_PREFIX": f"hearth-test-{os.getpid()}-{secrets.token_hex(3)}",
        }
    )


@asynccontextmanager
async def running(application) -> AsyncIterator[object]:
    """Run an app's lifespan around the block, in this event loop (the lifespan's cancel scope
    must be entered and left in one task, so it runs in a task of its own)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold_lifespan())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield application
    finally:
        stop.set()
        await task


async def restore_session_pool(settings: Settings) -> None:
    """The engine's pool is the process's one: a second app's lifespan (or a migration) replaces it
    and closes it on the way out. Started again as the app role, for the session app's tests."""
    from platform_core.db import start_pool
    from platform_core.db.engine import app_dsn
    from platform_core.db.replica import close_read_pool

    db = settings.db
    await close_read_pool()
    await start_pool(app_dsn(db.url, db.app_url), min_size=db.pool_min, max_size=db.pool_max)


@asynccontextmanager
async def running_beside(application, settings: Settings) -> AsyncIterator[object]:
    """A second app in this process (other plugins, other settings) with its lifespan running,
    and the session app's pool back afterwards."""
    try:
        async with running(application) as started:
            yield started
    finally:
        await restore_session_pool(settings)


@pytest.fixture(scope="session")
async def app(hearth_settings: Settings):
    """The app with its lifespan running (pool as the app role, safety checks, kv)."""
    from platform_core.app import create_app

    async with running(create_app(hearth_settings)) as application:
        yield application


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """The local stand-in for WeChat, Alipay, QQ and AMap (`hearth sandbox`), running for the
    module's tests: (the Sandbox, its data folder, its port). A module that needs another
    notification policy starts its own."""
    from platform_core.sandbox.keys import load_or_create
    from platform_core.sandbox.testing import free_port, running_sandbox

    data_dir = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    with running_sandbox(load_or_create(data_dir), port=port) as sb:
        yield sb, data_dir, port


@pytest.fixture(scope="session")
def runtime(app):
    return app.state.runtime


@pytest.fixture(autouse=True)
def hearth_default_locale() -> None:
    """Each test starts in the default locale, as each request and job does: a test that switched
    to English must not leave the next test of its worker speaking English."""
    set_locale("zh_CN")


@pytest.fixture(autouse=True)
def hearth_runtime(request: pytest.FixtureRequest):
    """A test that uses the app calls services as a request or a job would: with the app's runtime
    entered (services, plugin_config and the hooks find it there)."""
    if "app" not in request.fixturenames:
        yield None
        return
    with request.getfixturevalue("app").state.runtime.scope() as runtime:
        yield runtime


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a subprocess (the CLI, a live server) that uses this test database."""
    return {
        **os.environ,
        "HEARTH_ENV": "test",
        "HEARTH_SECRET_KEY": settings.secret_key,
        "HEARTH_DATA_DIR": settings.data_dir,
        "DATABASE_URL": settings.db.url or "",
        "REDIS_URL": settings.redis_url or "",
        "HEARTH_KEY_PREFIX": settings.key_prefix,
        **extra,
    }


def run_hearth(settings: Settings, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """Run the real `hearth` command against the test database."""
    return subprocess.run(
        [sys.executable, "-c", "from platform_core.cli import main; main()", *args],
        env=settings_env(settings, **extra_env), capture_output=True, text=True, timeout=120,
    )


def client_for(app, host: str, **headers: str) -> httpx.AsyncClient:
    """An HTTP client whose Host header picks the tenant (or the platform console)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{host}", headers=headers, follow_redirects=False
    )


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
async def make_tenant(app):
    """Create a tenant with a unique slug: `await make_tenant(name=..., locale=...)`."""
    from platform_core.tenancy.schemas import TenantCreate
    from platform_core.tenancy.services import create_tenant

    async def factory(**fields):
        fields.setdefault("slug", unique_slug(fields.pop("prefix", "t")))
        fields.setdefault("name", f"Franchise {fields['slug']}")
        return await create_tenant(msgspec.convert(fields, TenantCreate))

    return factory


@pytest.fixture
async def tenant_a(make_tenant):
    return await make_tenant(prefix="a", name="Franchise A")


@pytest.fixture
async def tenant_b(make_tenant):
    return await make_tenant(prefix="b", name="Franchise B")


@pytest.fixture
async def client_a(app, tenant_a) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        yield client


@pytest.fixture
async def client_b(app, tenant_b) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, f"{tenant_b.slug}.localhost") as client:
        yield client


@pytest.fixture
async def platform_client(app, hearth_settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, hearth_settings.platform_host) as client:
        yield client


@pytest.fixture
def enable_plugin(runtime):
    """`await enable_plugin(tenant, "hello", greeting="Hi")`: the plugin on for the tenant (its
    on_plugin_enabled hooks run), with these config values set; returns the effective config."""
    from platform_core.pluginsys.services import enable_plugin as turn_on
    from platform_core.pluginsys.services import get_plugin_config, set_plugin_config

    async def enable(tenant, name: str, **config):
        await turn_on(tenant.id, name, actor="test")
        if config:
            await set_plugin_config(tenant.id, name, config, actor="test")
        return await get_plugin_config(tenant.id, name)

    return enable


@pytest.fixture
async def customer(runtime, tenant_a) -> int:
    """A customer of tenant A (written as if signed up earlier: no registration hooks)."""
    from platform_core.testing.factories import make_customer

    return await make_customer(tenant_a)


@pytest.fixture
async def worker(runtime, tenant_a) -> int:
    """An active cleaner of tenant A who works every day 08:00-20:00."""
    from platform_core.testing.factories import make_worker

    return await make_worker(tenant_a)


@pytest.fixture
async def item(tenant_a) -> int:
    """A fixed-price service item of tenant A."""
    from platform_core.testing.factories import make_item

    return await make_item(tenant_a)


@pytest.fixture
def sms(runtime):
    """Text messages kept in a list (`sms.code_for(e164)`), tried before the dev outbox; registered
    under a core name so every tenant's relay includes it, for this test only."""
    from platform_core.testing.factories import SmsGateway

    gateway = SmsGateway()
    runtime.pm.register(gateway, name="core.test_sms")
    yield gateway
    runtime.pm.unregister(name="core.test_sms")


from platform_core.testing.browser import browser, desktop_page, live_server, page  # noqa: E402,F401
