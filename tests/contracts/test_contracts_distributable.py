"""Every table could be distributed by tenant_id (Citus) as it stands: no redesign stands between
one PostgreSQL and many ("Beyond one database: Citus" in docs/scaling.md).

The migrated test database's catalogue is read by `distribution_violations`
(platform_core/db/citus.py), which names the table and the constraint in the way. A new table
fails here unless its primary key is `(tenant_id, id)`, its unique constraints and indexes hold
tenant_id, its exclusion constraints hold `tenant_id WITH =` and its foreign keys to tenant
tables go `(tenant_id, x_id) REFERENCES core_x (tenant_id, id)`; or its owner declares it a
platform table on its Piccolo Table, with the reason: `citus = reference("...")` (copied to
every node) or `coordinator("...")` (stays on the coordinator). An existing table is fixed by a new migration of
its owning app: `SELECT hearth_tenant_primary_key('my_table');` swaps the primary key.
"""

from __future__ import annotations

import re

import asyncpg

from platform_core.db.citus import (
    WITHOUT_TABLE,
    distribution_plan,
    distribution_violations,
    placements,
    reference,
)

# The example plugin (examples/hearth-hello) is installed and migrated as an operator would, so
# a plugin's table is held to the same rule as the core's.
from tests.plugins.test_plugins_example import hello_installed, hello_migrated  # noqa: F401


async def test_every_table_can_be_distributed_by_tenant(hello_migrated, hearth_owner_url):  # noqa: F811
    conn = await asyncpg.connect(hearth_owner_url)
    try:
        problems = await distribution_violations(conn, placements())
    finally:
        await conn.close()
    assert problems == [], "tables Citus could not distribute by tenant_id:\n" + "\n".join(problems)


STATEMENT = re.compile(
    r"SELECT (\w+)\('(\w+)'(?:, 'tenant_id')?(?:, colocate_with => '(\w+)')?(?:, cascade_via_foreign_keys => true)?\);"
)


async def _tables(conn: asyncpg.Connection) -> set[str]:
    return {r["relname"] for r in await conn.fetch(
        "select relname from pg_class where relnamespace = current_schema()::regnamespace and relkind in ('r', 'p')"
    )}


def test_every_platform_table_says_why():
    assert [name for name, placed in placements().items() if placed is not None and not placed.reason.strip()] == []


async def test_the_plan_distributes_each_table_after_the_tables_it_points_at(hello_migrated, hearth_owner_url):  # noqa: F811
    conn = await asyncpg.connect(hearth_owner_url)
    try:
        declared = placements()
        plan = await distribution_plan(conn, declared)
        present = await _tables(conn)
        foreign_keys = await conn.fetch(
            "select r.relname as table, f.relname as target from pg_constraint k "
            "join pg_class r on r.oid = k.conrelid join pg_class f on f.oid = k.confrelid "
            "where k.contype = 'f' and r.relnamespace = current_schema()::regnamespace and r.oid <> f.oid"
        )
    finally:
        await conn.close()
    settings = [statement for statement in plan if statement.startswith("SET ")]
    assert plan[:len(settings)] == settings == [
        "SET citus.enable_local_reference_table_foreign_keys = off;", "SET citus.enable_unsafe_triggers = on;"
    ]
    steps = [STATEMENT.fullmatch(statement).groups() for statement in plan[len(settings):]]
    step = {table: i for i, (_, table, _) in enumerate(steps)}
    assert len(step) == len(steps)
    placed = {name: declared.get(name, WITHOUT_TABLE) for name in present}
    # Every table, but a coordinator table without foreign keys: Citus need not know it.
    assert set(step) == {
        name for name in present
        if not (placed[name] and placed[name].kind == "coordinator" and all(fk["table"] != name for fk in foreign_keys))
    }
    assert [dict(fk) for fk in foreign_keys if step[fk["target"]] > step[fk["table"]]] == []
    anchor = next(table for function, table, _ in steps if function == "create_distributed_table")
    kinds = [placed[table].kind if placed[table] else "tenant" for _, table, _ in steps]
    # Reference tables, tenant tables, then the coordinator's: Citus would make a table pointing at
    # a reference table a coordinator table if asked before the tenant tables are distributed.
    assert kinds == sorted(kinds, key=["reference", "tenant", "coordinator"].index)
    for function, table, colocate_with in steps:
        if placed[table] and placed[table].kind == "reference":
            assert function == "create_reference_table"
        elif placed[table]:
            assert function == "citus_add_local_table_to_metadata"
        else:
            assert (function, colocate_with) == ("create_distributed_table", None if table == anchor else anchor)


# One table per way of being undistributable, in a scratch schema that is rolled back, each
# declared a tenant table but core_operator, which plays a platform table pointing at a tenant
# table; core_tenant stays in public.
BROKEN_SCHEMA = """
create table t_parent (id bigserial, tenant_id bigint not null references public.core_tenant(id),
  code text, primary key (tenant_id, id), unique (id));
create table t_child (id bigserial, tenant_id bigint not null, parent_id bigint references t_parent(id),
  primary key (tenant_id, id));
create table t_nulls_tenant (id bigserial, tenant_id bigint not null, parent_id bigint,
  primary key (tenant_id, id),
  foreign key (tenant_id, parent_id) references t_parent (tenant_id, id) on delete set null);
create table t_nulls_parent (id bigserial, tenant_id bigint not null, parent_id bigint,
  primary key (tenant_id, id),
  foreign key (tenant_id, parent_id) references t_parent (tenant_id, id) on delete set null (parent_id));
create table t_booking (id bigserial, tenant_id bigint not null, room bigint, during tstzrange,
  primary key (tenant_id, id), constraint t_booking_overlap exclude using gist (room with =, during with &&));
create table t_code (id bigserial, tenant_id bigint not null, code text, primary key (tenant_id, id));
create unique index t_code_once on t_code (code) where code is not null;
create table t_keyless (id bigserial, tenant_id bigint not null);
create table t_untenanted (id bigserial primary key);
create table t_narrow (id serial, tenant_id bigint not null, primary key (tenant_id, id));
create table t_int_tenant (id bigserial, tenant_id integer not null, primary key (tenant_id, id));
create table core_operator (id bigserial primary key, tenant_id bigint, parent_id bigint,
  foreign key (tenant_id, parent_id) references t_parent (tenant_id, id));
"""


async def test_violations_name_the_table_and_what_stands_in_the_way(hearth_owner_url):
    conn = await asyncpg.connect(hearth_owner_url)
    scratch = conn.transaction()
    await scratch.start()
    try:
        await conn.execute("create schema hearth_distributable_check")
        await conn.execute("set local search_path to hearth_distributable_check, public")
        await conn.execute(BROKEN_SCHEMA)
        tables = {r["relname"] for r in await conn.fetch(
            "select relname from pg_class where relnamespace = current_schema()::regnamespace and relkind = 'r'"
        )}
        # t_keyless has no Table at all: with a tenant_id, it is held to the rules all the same.
        declared = {name: None for name in tables - {"t_keyless"}} | {"core_operator": reference("plays a platform table")}
        problems = await distribution_violations(conn, declared)
    finally:
        await scratch.rollback()
        await conn.close()
    assert sorted(problems) == sorted([
        "table t_untenanted has no tenant_id: give it one, or declare its Table a platform table (citus = reference(...) or coordinator(...))",
        "table t_int_tenant: tenant_id is integer, not bigint NOT NULL",
        "table core_operator: platform table's foreign key core_operator_tenant_id_parent_id_fkey points at tenant table t_parent",
        "table t_booking: exclusion constraint t_booking_overlap lacks `tenant_id WITH =`",
        "table t_child: foreign key t_child_parent_id_fkey to tenant table t_parent does not pair tenant_id with tenant_id",
        "table t_nulls_tenant: foreign key t_nulls_tenant_tenant_id_parent_id_fkey would set tenant_id to null or default (use SET NULL (column))",
        "table t_parent: unique constraint t_parent_id_key (id) lacks tenant_id",
        "table t_keyless has no primary key (make it (tenant_id, id))",
        "table t_code: unique index t_code_once (code) lacks tenant_id",
        "table t_narrow: the sequence of column id is integer, not bigint",
    ])
