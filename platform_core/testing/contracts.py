"""The plugin contract, as one check a plugin's own tests call: `await check_plugin("hello")`.

In a test that uses the `app` fixture (the tables are looked up in the migrated test database):
the plugin is installed under the `hearth.plugins` entry point and registered, every hookimpl
matches a hookspec, its config Struct is frozen with a default for every field and str secrets,
its tables carry tenant_id under forced row-level security, and its code imports nothing of the
core but platform_core.plugin_api (its tests may use platform_core.testing too).
"""

from __future__ import annotations

import ast
import importlib
import sys
from importlib.metadata import entry_points
from pathlib import Path

PLUGIN_API = "platform_core.plugin_api"


def core_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every platform_core module the file imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            modules = []
        found.extend((node.lineno, m) for m in modules if m == "platform_core" or m.startswith("platform_core."))
    return found


def import_problems(path: Path) -> list[str]:
    return [f"{path.name} line {line} imports {module}; import from {PLUGIN_API} instead"
            for line, module in core_imports(path) if module != PLUGIN_API]


def plugin_sources(module: str) -> list[Path]:
    """The .py files of the package holding `module` (a plugin's entry point), its tests left out."""
    package = sys.modules[module].__package__ or module
    root = Path(importlib.import_module(package).__file__).parent
    return sorted(p for p in root.rglob("*.py") if "tests" not in p.relative_to(root).parts)


def _table_names(pm, name: str) -> list[str]:
    plugin = pm.get_plugin(name)
    register = getattr(plugin, "register_piccolo_apps", None)
    names = []
    for app_module in register() if register else []:
        config = importlib.import_module(app_module).APP_CONFIG
        names.extend(table._meta.tablename for table in config.table_classes)
    return names


async def table_problems(table_names: list[str]) -> list[str]:
    """Each table exists with a tenant_id column and ENABLE + FORCE row-level security and a policy."""
    from platform_core.db import current_connection, tenant_transaction
    from platform_core.db.checks import rls_violations

    async with tenant_transaction(None):
        conn = current_connection()
        with_tenant = {r["table_name"] for r in await conn.fetch(
            "select table_name from information_schema.columns where column_name = 'tenant_id' and table_schema = current_schema() "
            "and table_name = any($1)", table_names,
        )}
        rls = await rls_violations(conn)
    problems = [f"table {t} has no tenant_id column (or does not exist: is the plugin migrated?)" for t in table_names if t not in with_tenant]
    return problems + [p for p in rls if p.split()[1] in table_names]


async def check_plugin(name: str) -> None:
    """Assert that the installed plugin `name` keeps the plugin contract; the message lists every
    problem found."""
    from platform_core.pluginsys.config import struct_problems
    from platform_core.pluginsys.manager import build_plugin_manager
    from platform_core.pluginsys.services import plugin_info

    points = {ep.name: ep for ep in entry_points(group="hearth.plugins")}
    assert name in points, f"no installed distribution has a 'hearth.plugins' entry point named {name!r}"
    pm = build_plugin_manager()
    assert pm.get_plugin(name) is not None, f"{name} is installed but the plugin manager did not register it"
    # A misspelled hook name, or a hookimpl whose arguments no hookspec has, fails here.
    pm.check_pending()
    problems = []
    config = plugin_info(pm, name).config
    if config is not None:
        problems += struct_problems(config)
    problems += await table_problems(_table_names(pm, name))
    for path in plugin_sources(points[name].value.split(":")[0]):
        problems += import_problems(path)
    assert problems == [], f"plugin {name} breaks the contract:\n" + "\n".join(problems)
