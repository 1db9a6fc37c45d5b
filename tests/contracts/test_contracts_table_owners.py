"""Every table has one owning domain: the package whose Piccolo app lists its Table class. Other
domains call the owner's service (`orders.lock_order`, `staff.record_rating`,
`accounts.address_snapshot`, ...) and never name its table in SQL, save the few read-only joins
in ALLOW_LIST, each with its reason.

The SQL of a module is every string literal in it (f-strings by their constant parts), less
docstrings. Migrations are history and are not read; tests and `platform_core/testing` are not
domains."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from platform_core.db.apps import all_piccolo_apps

REPO = Path(__file__).resolve().parents[2]
NOT_DOMAINS = {"testing"}
SKIPPED_FOLDERS = {"piccolo_migrations", "tests", "__pycache__"}

# Tables no Piccolo app declares (the database-wide app in migrations/ creates them), with the one
# module that may name each.
OUTSIDE_APPS = {
    "core_kv": "kv",  # the redis stand-in, platform_core/kv.py
}

# (domain, table it reads but does not own, why a join beats a call to the owner's service)
ALLOW_LIST = [
    ("scheduling", "core_assignment",
     "the calendar reads the ranges dispatch's assignments hold, so that the slot engine, dispatch's candidates and "
     "the day-off check agree on busy (calendar.py); dispatch sits above scheduling"),
    ("tenancy", "core_tenant_plugin",
     "a tenant's context is read with its enabled plugins; pluginsys, which owns the rows, sits above tenancy"),
    ("orders", "core_service_item",
     "the orders waiting for a worker are read with the skills their items ask for (pending_demand), in the one query the "
     "slot engine makes per check; catalog sits below orders"),
    ("staff", "core_staff",
     "a worker is the account (name, phone, status) with its profile: the console list, the public pages and the slot "
     "engine filter and sort on both in one query"),
]


class Naming(NamedTuple):
    module: str
    line: int
    table: str
    sql: str


def owners() -> dict[str, str]:
    """Table name -> owning domain: the package of the Piccolo app listing it (`orders` for
    platform_core.orders.piccolo_app, the plugin's name for a plugin's app)."""
    found: dict[str, str] = dict(OUTSIDE_APPS)
    for app_path in all_piccolo_apps():
        domain = app_path.split(".")[-2]
        for table in importlib.import_module(app_path).APP_CONFIG.table_classes:
            name = table._meta.tablename
            assert name not in found, f"{name} is listed by both {found[name]} and {domain}: a table has one owner"
            found[name] = domain
    return found


def domain_modules() -> dict[str, list[Path]]:
    """Each domain's Python modules: a package (or top-level module) of platform_core, or a plugin
    package under plugins/."""
    found: dict[str, list[Path]] = {}
    for root in (REPO / "platform_core", REPO / "plugins"):
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).parts
            if SKIPPED_FOLDERS & set(parts[:-1]) or len(parts) == 1 and root.name == "plugins":
                continue
            domain = parts[0].removesuffix(".py")
            if domain not in NOT_DOMAINS and domain != "__init__":
                found.setdefault(domain, []).append(path)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def namings(source: str, module: str, tables: set[str], prefixes: set[str]) -> list[Naming]:
    """Every table (known, or unknown with one of `prefixes` where SQL names a table) that a
    string of the module names."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    unknown = re.compile(
        rf"\b(?:from|join|into|update|table)\s+((?:{'|'.join(map(re.escape, sorted(prefixes)))})_[a-z0-9_]+)\b", re.I
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            named = {word for word in re.findall(r"\b[a-z][a-z0-9_]*\b", node.value) if word in tables}
            named |= set(unknown.findall(node.value))
            found += [Naming(module, node.lineno, table, node.value) for table in sorted(named)]
    return sorted(found)


def _writes_or_locks(sql: str, table: str) -> bool:
    return bool(re.search(rf"\b(?:insert\s+into|update|delete\s+from)\s+{table}\b", sql, re.I)) or bool(
        re.search(r"\bfor\s+(?:no\s+key\s+)?(?:update|share)\b", sql, re.I)
    )


def violations(domain: str, found: list[Naming], owner_of: dict[str, str]) -> list[str]:
    allowed = {(d, t) for d, t, _ in ALLOW_LIST}
    problems = []
    for n in found:
        owner = owner_of.get(n.table)
        if owner is None:
            problems.append(f"{n.module}:{n.line}: {n.table} has no owner: list its Table class in the owning domain's Piccolo app")
        elif owner == domain:
            continue
        elif (domain, n.table) not in allowed:
            problems.append(
                f"{n.module}:{n.line}: {domain} names {n.table}, owned by {owner}: call the {owner} service instead "
                "(add a small function there), or, for a read-only join, add it to ALLOW_LIST with a reason"
            )
        elif _writes_or_locks(n.sql, n.table):
            problems.append(f"{n.module}:{n.line}: {domain} writes or locks {n.table}, owned by {owner}: call the {owner} service")
    return problems


OWNERS = owners()
MODULES = domain_modules()
# Where SQL names a table with one of these prefixes it must be a known one (a plugin's tables
# carry its name).
PREFIXES = {"core"} | {domain for domain in MODULES if (REPO / "plugins" / domain).is_dir()}


def _namings(domain: str) -> list[Naming]:
    return [
        n for path in MODULES[domain]
        for n in namings(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)), set(OWNERS), PREFIXES)
    ]


@pytest.mark.parametrize("domain", sorted(MODULES))
def test_a_domain_names_only_the_tables_it_owns_in_sql(domain):
    problems = violations(domain, _namings(domain), OWNERS)
    assert not problems, "\n".join(problems)


def test_every_allow_listed_join_is_still_made_and_has_a_reason():
    for domain, table, reason in ALLOW_LIST:
        assert len(reason) > 20, f"({domain}, {table}) needs a reason"
        assert OWNERS[table] != domain, f"{domain} owns {table}: no need to allow it"
        assert table in {n.table for n in _namings(domain)}, f"{domain} no longer names {table}: drop it from ALLOW_LIST"


def test_each_table_has_one_owner_and_every_domain_is_read():
    assert OWNERS["core_order"] == "orders"
    assert OWNERS["core_staff"] == "accounts" and OWNERS["core_staff_profile"] == "staff"
    assert OWNERS["core_tenant_plugin"] == "pluginsys" and OWNERS["core_plugin_default"] == "pluginsys"
    assert {"payments", "reviews", "booking", "scheduling", "kv", "announcements"} <= set(MODULES)
    assert "testing" not in MODULES


def test_the_check_catches_another_domains_table_in_an_f_string_and_spares_docstrings():
    source = '''
async def pay(order_id, columns):
    """Locks the core_order row (a docstring is no SQL)."""
    await conn.execute(f"select {columns} from core_order where id = $1 for update", order_id)
    await conn.execute("insert into core_payment (order_id) values ($1)", order_id)
    await conn.execute("delete from core_gadget where id = $1", order_id)
'''
    found = namings(source, "platform_core/payments/services.py", set(OWNERS), PREFIXES)
    assert [(n.line, n.table) for n in found] == [(4, "core_order"), (5, "core_payment"), (6, "core_gadget")]
    problems = violations("payments", found, OWNERS)
    assert len(problems) == 2
    assert problems[0].startswith("platform_core/payments/services.py:4: payments names core_order, owned by orders: call the orders service")
    assert "core_gadget has no owner" in problems[1]
    # Allow-listed, a join still may not lock or write the owner's rows.
    assert violations("scheduling", [Naming("m.py", 1, "core_assignment", "select 1 from core_assignment for update")], OWNERS)
