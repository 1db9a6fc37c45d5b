"""Plugin contracts: every hook documented, every impl matching a spec, every config sound."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from platform_core.pluginsys import hookspecs
from platform_core.pluginsys.config import struct_problems
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.services import plugin_infos

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
SPECS = sorted(
    name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "hearth_spec")
)


def _documented() -> set[str]:
    return set(re.findall(r"^### (\w+)\s*$", GUIDE.read_text(encoding="utf-8"), flags=re.M))


def test_there_are_hookspecs_to_check():
    assert "on_plugin_enabled" in SPECS and "compute_page_notices" in SPECS


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_has_a_section_in_the_plugin_guide(name):
    assert name in _documented(), f"docs/plugins.md needs a '### {name}' section"


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_docstring_states_its_return(name):
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert ":return:" in doc, f"{name}: the contract docstring must say what it returns (:return:)"


def test_the_guide_documents_no_hook_that_does_not_exist():
    assert _documented() - set(SPECS) == set()


def test_check_pending_passes_with_every_installed_plugin_loaded():
    pm = build_plugin_manager()
    pm.check_pending()
    assert "announcements" in dict(pm.list_name_plugin())


def test_every_plugin_config_is_frozen_with_defaults_for_all_fields():
    problems = {
        name: struct_problems(info.config)
        for name, info in plugin_infos(build_plugin_manager()).items()
        if info.config is not None
    }
    assert {name: p for name, p in problems.items() if p} == {}
    assert "announcements" in problems
