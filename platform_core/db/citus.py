"""Beyond one database: what stops Citus from distributing the tenant tables by tenant_id, and
the statements that distribute them ("Beyond one database: Citus" in docs/scaling.md)."""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Mapping, NamedTuple


class Placement(NamedTuple):
    """Where a table without tenant_id lives under Citus, and why: declared by its owner as the
    `citus` attribute of its Piccolo Table (`citus = reference("...")`). A Table without one is
    a tenant table, distributed by tenant_id."""

    kind: str
    reason: str


def reference(reason: str) -> Placement:
    """A small platform table, copied to every node (a Citus reference table)."""
    return Placement("reference", reason)


def coordinator(reason: str) -> Placement:
    """A table that stays on the coordinator."""
    return Placement("coordinator", reason)


# A table without a Piccolo Table and without tenant_id (Piccolo's record of its migrations,
# redis's stand-in) serves one installation's processes: it stays put. With tenant_id, it is a
# tenant table like any other.
WITHOUT_TABLE = coordinator("infrastructure without a Piccolo Table")


def placements() -> dict[str, Placement | None]:
    """Every registered Table's placement (None: a tenant table), core and installed plugins."""
    from piccolo.conf.apps import AppRegistry

    from .apps import all_piccolo_apps

    registry = AppRegistry(apps=all_piccolo_apps())
    return {
        table._meta.tablename: getattr(table, "citus", None)
        for config in registry.app_configs.values() for table in config.table_classes
    }


_TABLES = """
select c.relname as table,
       format_type(a.atttypid, a.atttypmod) as tenant_type, a.attnotnull as tenant_not_null
from pg_class c
left join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
order by c.relname
"""

# Column names in key order; an expression in an index or exclusion constraint reads as ''.
_CONSTRAINTS = """
select r.relname as table, k.conname as name, k.contype::text as kind, f.relname as target,
       array(select coalesce(a.attname, '') from unnest(k.conkey) with ordinality u(n, i)
             left join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i) as columns,
       array(select a.attname from unnest(k.confkey) with ordinality u(n, i)
             join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i) as target_columns,
       array(select o.oprname from unnest(k.conexclop) with ordinality u(op, i)
             join pg_operator o on o.oid = u.op order by u.i) as operators,
       k.confdeltype::text as on_delete, k.confupdtype::text as on_update,
       array(select a.attname from unnest(k.confdelsetcols) u(n)
             join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n) as delete_sets
from pg_constraint k
join pg_class r on r.oid = k.conrelid
left join pg_class f on f.oid = k.confrelid
where r.relnamespace = current_schema()::regnamespace and k.contype in ('p', 'u', 'x', 'f')
order by r.relname, k.conname
"""

# Unique indexes made with CREATE UNIQUE INDEX (partial ones included), not through a constraint.
_UNIQUE_INDEXES = """
select r.relname as table, i.relname as name,
       array(select coalesce(a.attname, '') from unnest(x.indkey::int2[]) with ordinality u(n, o)
             left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = u.n
             where u.o <= x.indnkeyatts order by u.o) as columns
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class r on r.oid = x.indrelid
where r.relnamespace = current_schema()::regnamespace and x.indisunique
  and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.contype in ('p', 'u', 'x'))
order by r.relname, i.relname
"""

_NARROW_SEQUENCES = """
select r.relname as table, a.attname as column, format_type(s.seqtypid, null) as type
from pg_sequence s
join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = s.seqrelid
                and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
join pg_class r on r.oid = d.refobjid and r.relnamespace = current_schema()::regnamespace
join pg_attribute a on a.attrelid = r.oid and a.attnum = d.refobjsubid
where s.seqtypid <> 'bigint'::regtype
order by r.relname
"""


def _placed(tables: Mapping[str, Mapping], declared: Mapping[str, Placement | None]) -> dict[str, Placement | None]:
    """Each catalogue table's placement: its Table's word (None: a tenant table); for a table
    without a Table, a tenant table if it has tenant_id, else WITHOUT_TABLE."""
    return {
        name: declared[name] if name in declared else (None if row["tenant_type"] else WITHOUT_TABLE)
        for name, row in tables.items()
    }


async def distribution_violations(conn, declared: Mapping[str, Placement | None]) -> list[str]:
    """What would stop Citus from distributing each tenant table by tenant_id, one line each.

    `declared` is `placements()` (see `_placed`). Citus's rules: primary keys, unique
    constraints and unique indexes hold tenant_id, exclusion constraints hold `tenant_id WITH =`;
    a foreign key between tenant tables pairs tenant_id with tenant_id (and no action may null
    it); a platform table points at no tenant table; tenant_id is the same bigint, never null,
    everywhere (co-located tables share one distribution column type); sequences are bigint
    (Citus puts the node's number in their high bits)."""
    tables = {row["table"]: row for row in await conn.fetch(_TABLES)}
    distributed = {name for name, placed in _placed(tables, declared).items() if placed is None}
    problems = []
    for name in sorted(distributed):
        row = tables[name]
        if row["tenant_type"] is None:
            # Said once: nothing else about a table matters until it has a tenant.
            distributed.discard(name)
            problems.append(f"table {name} has no tenant_id: give it one, or declare its Table a platform table (citus = reference(...) or coordinator(...))")
        elif row["tenant_type"] != "bigint" or not row["tenant_not_null"]:
            problems.append(f"table {name}: tenant_id is {row['tenant_type']}{'' if row['tenant_not_null'] else ' and nullable'}, not bigint NOT NULL")
    keyed = set()
    for k in await conn.fetch(_CONSTRAINTS):
        table, name, columns = k["table"], k["name"], list(k["columns"])
        if table not in distributed:
            if k["kind"] == "f" and k["target"] in distributed:
                problems.append(f"table {table}: platform table's foreign key {name} points at tenant table {k['target']}")
            continue
        if k["kind"] == "p":
            keyed.add(table)
        if k["kind"] in ("p", "u") and "tenant_id" not in columns:
            what = "primary key" if k["kind"] == "p" else "unique constraint"
            problems.append(f"table {table}: {what} {name} ({', '.join(columns)}) lacks tenant_id")
        elif k["kind"] == "x" and ("tenant_id" not in columns or k["operators"][columns.index("tenant_id")] != "="):
            problems.append(f"table {table}: exclusion constraint {name} lacks `tenant_id WITH =`")
        elif k["kind"] == "f" and k["target"] in distributed:
            pairs = dict(zip(columns, k["target_columns"]))
            if pairs.get("tenant_id") != "tenant_id":
                problems.append(f"table {table}: foreign key {name} to tenant table {k['target']} does not pair tenant_id with tenant_id")
            elif k["on_update"] in ("n", "d") or (k["on_delete"] in ("n", "d") and (not k["delete_sets"] or "tenant_id" in k["delete_sets"])):
                problems.append(f"table {table}: foreign key {name} would set tenant_id to null or default (use SET NULL (column))")
    problems.extend(f"table {name} has no primary key (make it (tenant_id, id))" for name in sorted(distributed - keyed))
    for index in await conn.fetch(_UNIQUE_INDEXES):
        if index["table"] in distributed and "tenant_id" not in index["columns"]:
            problems.append(f"table {index['table']}: unique index {index['name']} ({', '.join(index['columns'])}) lacks tenant_id")
    problems.extend(
        f"table {s['table']}: the sequence of column {s['column']} is {s['type']}, not bigint"
        for s in await conn.fetch(_NARROW_SEQUENCES) if s["table"] in distributed
    )
    return problems


_FOREIGN_KEYS = """
select distinct r.relname as table, f.relname as target
from pg_constraint k join pg_class r on r.oid = k.conrelid join pg_class f on f.oid = k.confrelid
where k.contype = 'f' and r.relnamespace = current_schema()::regnamespace and r.oid <> f.oid
"""


_TRIGGERED = """
select distinct r.relname as table from pg_trigger t join pg_class r on r.oid = t.tgrelid
where not t.tgisinternal and r.relnamespace = current_schema()::regnamespace
"""


async def distribution_plan(conn, declared: Mapping[str, Placement | None]) -> list[str]:
    """The statements that distribute the migrated tables, to run in one session on the
    coordinator once its workers are added (tried on Citus 13.2 with PostgreSQL 15): reference
    tables, then every tenant table in one co-location group, each after the tables its foreign
    keys point at, then the coordinator tables that point at a reference table."""
    tables = {row["table"]: row for row in await conn.fetch(_TABLES)}
    targets: dict[str, set[str]] = {name: set() for name in tables}
    for fk in await conn.fetch(_FOREIGN_KEYS):
        targets[fk["table"]].add(fk["target"])
    # Sorted first, so the plan reads the same on every run.
    order = list(TopologicalSorter({name: sorted(targets[name]) for name in sorted(tables)}).static_order())
    placed = _placed(tables, declared)
    tenant_tables = [name for name in order if placed[name] is None]
    # Else Citus turns every table pointing at a new reference table into a coordinator table,
    # which it then refuses to distribute.
    plan = ["SET citus.enable_local_reference_table_foreign_keys = off;"]
    if {row["table"] for row in await conn.fetch(_TRIGGERED)} & set(tenant_tables):
        # The ledger's triggers read only the row's own franchise, so each stays on its shard.
        plan.append("SET citus.enable_unsafe_triggers = on;")
    plan += [f"SELECT create_reference_table('{name}');" for name in order if placed[name] and placed[name].kind == "reference"]
    plan += [
        f"SELECT create_distributed_table('{name}', 'tenant_id'"
        + (f", colocate_with => '{tenant_tables[0]}');" if name != tenant_tables[0] else ");")
        for name in tenant_tables
    ]
    # A coordinator table pointing at a reference table must be known to Citus ("Citus local").
    plan += [
        f"SELECT citus_add_local_table_to_metadata('{name}', cascade_via_foreign_keys => true);"
        for name in order if placed[name] and placed[name].kind == "coordinator" and targets[name]
    ]
    return plan
