"""Plugins reach the core through one module, platform_core.plugin_api: the built-in plugins and
the out-of-tree example import nothing else of platform_core (their tests may use the test kit,
platform_core.testing, too)."""

from __future__ import annotations

from pathlib import Path

import pytest

import platform_core.plugin_api as plugin_api
from platform_core.testing.contracts import core_imports

REPO = Path(__file__).resolve().parents[2]
PLUGIN_SOURCES = sorted(
    path for path in [*REPO.glob("plugins/*/**/*.py"), *REPO.glob("examples/*/*/**/*.py")]
    if "tests" not in path.relative_to(REPO).parts
)
ALLOWED = {"platform_core.plugin_api"}


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_plugins_import_only_the_plugin_api(path):
    wrong = [f"line {line}: {module}" for line, module in core_imports(path) if module not in ALLOWED]
    assert not wrong, f"{path.relative_to(REPO)} reaches into the core; import from platform_core.plugin_api instead: {wrong}"


def test_the_check_sees_the_plugins():
    assert any("payments_wechat" in str(p) for p in PLUGIN_SOURCES) and any("hearth_hello" in str(p) for p in PLUGIN_SOURCES)


def test_everything_the_plugin_api_promises_exists():
    missing = [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)]
    assert missing == []
