"""The out-of-tree example plugin (examples/hearth-hello), pip-installed into a temporary folder:
on for tenant A, absent (404, no hook calls) for tenant B; its config through the CLI."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from platform_core.pluginsys.contexts import CustomerEvent
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.relay import notify
from platform_core.pluginsys.services import enable_plugin, plugin_catalog, set_plugin_config
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.pytest_plugin import client_for, run_hearth

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "hearth-hello"

# A real pip install and a few CLI processes: about 15 s.
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
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == "hearth_hello" or m.startswith("hearth_hello.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def hello_app(hello_installed, app, hearth_settings):
    """A second app over the same database whose plugin manager includes the example. The
    session app's lifespan keeps the pool running."""
    from platform_core.app import create_app

    pm = build_plugin_manager()
    assert "hello" in [p.name for p in plugin_catalog(pm)]
    return create_app(hearth_settings, pm=pm)


@pytest.fixture
def registrations(hello_app):
    from hearth_hello import plugin

    plugin.REGISTRATIONS.clear()
    return plugin.REGISTRATIONS


async def _register_customer(rt, tenant_id: int, customer_id: int) -> None:
    async with tenant_scope(tenant_id) as tenant:
        event = CustomerEvent(tenant=tenant, customer_id=customer_id, occurred_at=datetime.now(timezone.utc))
        await notify(rt.hooks(tenant).on_customer_registered, event=event)


async def test_example_plugin_works_for_the_tenant_that_enabled_it_and_is_absent_for_another(hello_app, registrations, tenant_a, tenant_b):
    rt = hello_app.state.runtime
    await enable_plugin(rt, tenant_a.id, "hello", actor="test")
    await set_plugin_config(rt, tenant_a.id, "hello", {"greeting": "你好", "times": "2"})

    async with client_for(hello_app, f"{tenant_a.slug}.localhost") as a, client_for(hello_app, f"{tenant_b.slug}.localhost") as b:
        on = await a.get("/p/hello/", headers={"accept": "application/json"})
        off = await b.get("/p/hello/", headers={"accept": "application/json"})
    assert on.status_code == 200 and on.json() == {"tenant": tenant_a.slug, "message": "你好 你好"}
    assert off.status_code == 404

    await _register_customer(rt, tenant_a.id, 101)
    await _register_customer(rt, tenant_b.id, 202)
    assert registrations == [(tenant_a.id, 101)]


async def test_example_plugin_menu_entry_shows_only_where_enabled(hello_app, tenant_a, tenant_b):
    rt = hello_app.state.runtime
    await enable_plugin(rt, tenant_a.id, "hello", actor="test")
    for tenant_id, expected in ((tenant_a.id, True), (tenant_b.id, False)):
        async with tenant_scope(tenant_id) as tenant:
            labels = [e.label for group in rt.hooks(tenant).register_console_menu() for e in group or []]
        assert ("Hello" in labels) is expected


def _hearth(settings, installed: Path, *args: str):
    return run_hearth(settings, "plugins", *args, PYTHONPATH=str(installed), REDIS_URL="")


async def test_cli_lists_enables_and_configures_with_clear_errors(hello_app, hello_installed, hearth_settings, tenant_a, tenant_b):
    run = lambda *args: _hearth(hearth_settings, hello_installed, *args)  # noqa: E731

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
