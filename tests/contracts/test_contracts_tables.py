"""Every Piccolo Table mirrors its migrated table: the same columns, types, nullability and defaults.

The SQL migrations are the truth; the Tables are their typed mirror ("Tables and migrations" in
the docs). To compare like with like, each Table's own CREATE TABLE (Piccolo's DDL) runs in a
scratch schema, in a transaction that is rolled back, and PostgreSQL's catalog is read for both
copies: a type comes back as PostgreSQL spells it (`character varying(63)`, `numeric(9,6)`,
`text[]`, `citext`, `tstzrange`), a default as PostgreSQL stores it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import asyncpg
import pytest
from piccolo.columns import BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.conf.apps import AppRegistry
from piccolo.table import Table

from platform_core.accounts.console_tables import Operator
from platform_core.db.apps import all_piccolo_apps

# The example plugin (examples/hearth-hello) is installed and migrated as an operator would, so
# its Table is checked like the built-in ones.
from tests.plugins.test_plugins_example import hello_installed, hello_migrated  # noqa: F401

# A pip install and the plugin's migration: a few seconds.
pytestmark = pytest.mark.slow

SCRATCH = "hearth_tables_check"

# Tables of the public schema that have no Table, and why.
WITHOUT_TABLE = {
    "migration": "Piccolo's own record of the migrations it ran",
    "core_kv": "the redis stand-in of platform_core/kv.py, made by the table-less migrations/ app and reached only by kv.py's SQL",
}

# pg_catalog rather than information_schema: format_type() spells a type with its length,
# precision and array brackets, extension types (citext) included.
COLUMNS = """
select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
"""


def mirrored_tables() -> list[type[Table]]:
    """The Tables of every registered Piccolo app: the core's and those installed plugins register."""
    registry = AppRegistry(apps=all_piccolo_apps())
    return [table for config in registry.app_configs.values() for table in config.table_classes]


async def _columns(conn: asyncpg.Connection, schema: str) -> dict[str, dict[str, asyncpg.Record]]:
    tables: dict[str, dict[str, asyncpg.Record]] = {}
    for row in await conn.fetch(COLUMNS, schema):
        tables.setdefault(row["table"], {})[row["column"]] = row
    return tables


def _describe(column: asyncpg.Record) -> str:
    default = f" default {column['default']}" if column["default"] is not None else ""
    return f"{column['type']}{' not null' if column['not_null'] else ''}{default}"


async def _same_default(conn: asyncpg.Connection, column_type: str, database: str | None, declared: str | None) -> bool:
    # Piccolo writes "no default" as DEFAULT null, which PostgreSQL keeps as a typed NULL.
    database, declared = database or "NULL", declared or "NULL"
    if database == declared:
        return True
    if database.startswith("nextval(") or declared.startswith("nextval("):
        # Serial on both sides is the same default: the two sequences differ only by schema.
        return database.startswith("nextval(") and declared.startswith("nextval(")
    # Compared by value, so spelling does not matter: now() and CURRENT_TIMESTAMP are the same
    # instant within one transaction, '{"a": 1}'::jsonb equals '{"a":1}'::jsonb.
    try:
        async with conn.transaction():  # a savepoint: a default that does not cast is a difference
            return await conn.fetchval(f"select ({database})::{column_type} is not distinct from ({declared})::{column_type}")
    except asyncpg.PostgresError:
        return False


async def _table_drift(
    conn: asyncpg.Connection, table: type[Table], database: dict[str, asyncpg.Record], declared: dict[str, asyncpg.Record]
) -> list[str]:
    name = table._meta.tablename
    label = f"{table.__name__} ({table.__module__})"
    if not database:
        return [f"{name}: {label} has no table in the database"]
    problems = [
        f"{name}.{column}: in the database ({_describe(database[column])}), missing from {label}"
        for column in sorted(database.keys() - declared.keys())
    ] + [
        f"{name}.{column}: in {label} ({_describe(declared[column])}), not in the database"
        for column in sorted(declared.keys() - database.keys())
    ]
    for column in sorted(database.keys() & declared.keys()):
        db, mirror = database[column], declared[column]
        where = f"{name}.{column}"
        if db["type"] != mirror["type"]:
            problems.append(f"{where}: type is {db['type']} in the database, {mirror['type']} in {label}")
        if db["not_null"] != mirror["not_null"]:
            problems.append(
                f"{where}: {'not null' if db['not_null'] else 'nullable'} in the database, "
                f"{'not null' if mirror['not_null'] else 'nullable'} in {label} (fix: null={not db['not_null']})"
            )
        if not await _same_default(conn, db["type"], db["default"], mirror["default"]):
            hint = " (fix: default=None)" if db["default"] is None else ""
            problems.append(
                f"{where}: default is {db['default'] or 'none'} in the database, {mirror['default'] or 'none'} in {label}{hint}"
            )
    return problems


async def drift(conn: asyncpg.Connection, tables: list[type[Table]]) -> list[str]:
    """How each Table differs from its table in the public schema, one line per difference."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        # search_path: the scratch schema receives the Tables; their foreign keys find public's.
        await conn.execute(f"create schema {SCRATCH}; set local search_path = {SCRATCH}, public")
        for table in tables:
            for statement in table.create_table().ddl:
                await conn.execute(statement)
        database, declared = await _columns(conn, "public"), await _columns(conn, SCRATCH)
        problems: list[str] = []
        for table in tables:
            name = table._meta.tablename
            problems += await _table_drift(conn, table, database.get(name, {}), declared[name])
        return problems
    finally:
        await transaction.rollback()


async def _owner_drift(url: str, tables: list[type[Table]]) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return await drift(conn, tables)
    finally:
        await conn.close()


async def test_every_table_matches_its_migrated_table(hello_migrated, hearth_owner_url):  # noqa: F811
    tables = mirrored_tables()
    assert {"core_tenant", "core_order", "hello_welcome"} <= {t._meta.tablename for t in tables}
    problems = await _owner_drift(hearth_owner_url, tables)
    if problems:
        pytest.fail("Tables differ from the migrated database (the migrations are the truth, fix the Table):\n"
                    + "\n".join(problems), pytrace=False)


async def test_every_table_in_the_database_has_a_piccolo_table(hello_migrated, hearth_owner_url):  # noqa: F811
    conn = await asyncpg.connect(hearth_owner_url)
    try:
        present = set(await _columns(conn, "public"))
    finally:
        await conn.close()
    without = present - {t._meta.tablename for t in mirrored_tables()} - WITHOUT_TABLE.keys()
    assert not without, f"tables with no Piccolo Table (add one to the app's tables.py and its table_classes): {sorted(without)}"
    assert WITHOUT_TABLE.keys() <= present, "WITHOUT_TABLE names a table that is not in the database"


def test_every_table_class_of_an_apps_tables_modules_is_registered(hello_installed):  # noqa: F811
    # An unregistered Table would escape the comparison above; look in every app's *tables modules.
    defined: set[type[Table]] = set()
    for app in all_piccolo_apps():
        package = importlib.import_module(app.rpartition(".")[0])
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            if info.name.endswith("tables"):
                module = importlib.import_module(info.name)
                defined |= {
                    obj for obj in vars(module).values()
                    if inspect.isclass(obj) and issubclass(obj, Table) and obj.__module__ == module.__name__
                }
    unregistered = sorted(f"{t.__module__}.{t.__name__}" for t in defined - set(mirrored_tables()))
    assert {"Tenant", "ConsoleUser", "Welcome"} <= {t.__name__ for t in defined}
    assert not unregistered, f"Tables missing from their app's table_classes: {unregistered}"


async def test_drift_names_the_table_column_and_difference(hearth_owner_url):
    class DriftedCode(Table, tablename="core_operator_recovery_code"):
        id = BigSerial(primary_key=True)
        operator = ForeignKey(Operator, db_column_name="operator_id", null=False)
        code_hash = Varchar(length=32, default=None)
        used_at = Timestamptz()
        note = Text(null=True, default=None)

    where = "DriftedCode (tests.contracts.test_contracts_tables)"
    assert await _owner_drift(hearth_owner_url, [DriftedCode]) == [
        "core_operator_recovery_code.created_at: in the database (timestamp with time zone not null default now()), "
        f"missing from {where}",
        f"core_operator_recovery_code.note: in {where} (text), not in the database",
        f"core_operator_recovery_code.code_hash: type is character varying(64) in the database, character varying(32) in {where}",
        f"core_operator_recovery_code.used_at: nullable in the database, not null in {where} (fix: null=True)",
        f"core_operator_recovery_code.used_at: default is none in the database, CURRENT_TIMESTAMP in {where} (fix: default=None)",
    ]
