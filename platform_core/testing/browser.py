"""Browser fixtures: the real server in a subprocess and Debian's chromium through Playwright.

The server process uses the same test database as the test process, so a test can prepare data
through services and then act through the browser like a person would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest

from platform_core.sandbox.testing import free_port
from platform_core.settings import Settings
from platform_core.testing.pytest_plugin import settings_env
from platform_core.testing.serving import wait_until_ready

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("HEARTH_CHROMIUM")
    if configured and Path(configured).exists():
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


class LiveServer:
    def __init__(self, port: int, process: subprocess.Popen, log_path: Path) -> None:
        self.port = port
        self.process = process
        self.log_path = log_path

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="session")
def live_server(hearth_settings: Settings, tmp_path_factory) -> Iterator[LiveServer]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    # Payment providers (the sandbox) call it back on loopback.
    env = settings_env(hearth_settings, HEARTH_PORT=str(port), HEARTH_HOST="127.0.0.1", HEARTH_NOTIFY_BASE_URL=f"http://127.0.0.1:{port}")
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "platform_core.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(port, process, log_path)
    if not wait_until_ready(process, port, 30):
        process.kill()
        raise RuntimeError("the live server did not start:\n" + server.log())
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def screenshot(page, name: str) -> None:
    """The whole page as `$HEARTH_SCREENSHOTS/{name}.png` when that folder is set (to look at it)."""
    folder = os.environ.get("HEARTH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def sign_in_page(page, tenant, kind: str, user_id: int) -> None:
    """The browser signed in as the customer, worker ("staff") or console user on `tenant`'s host."""
    from platform_core.accounts.sessions import SESSION_COOKIE, create_session

    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": f"{tenant.slug}.localhost", "path": "/"}])


@pytest.fixture(scope="session")
async def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        yield instance
        await instance.close()


@pytest.fixture
async def page(browser) -> AsyncIterator[object]:
    """A fresh browser context (no cookies) with a phone-sized viewport."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    tab = await context.new_page()
    yield tab
    await context.close()


@pytest.fixture
async def desktop_page(browser) -> AsyncIterator[object]:
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    tab = await context.new_page()
    yield tab
    await context.close()
