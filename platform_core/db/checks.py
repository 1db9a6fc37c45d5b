"""The server refuses to run unless the database keeps tenants apart by construction."""

from __future__ import annotations

from platform_core.db.engine import get_engine


class UnsafeDatabaseError(RuntimeError):
    pass


async def rls_violations(conn) -> list[str]:
    """Tables with a tenant_id column lacking ENABLE + FORCE RLS or a policy (platform tables,
    commented 'hearth:platform', are exempt)."""
    rows = await conn.fetch(
        """
        select c.relname, c.relrowsecurity, c.relforcerowsecurity,
               exists (select 1 from pg_policy p where p.polrelid = c.oid) as has_policy
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relkind in ('r', 'p')
          and coalesce(obj_description(c.oid, 'pg_class'), '') <> 'hearth:platform'
        order by c.relname
        """
    )
    problems = []
    for row in rows:
        missing = [
            label for label, ok in (("ENABLE ROW LEVEL SECURITY", row["relrowsecurity"]),
                                    ("FORCE ROW LEVEL SECURITY", row["relforcerowsecurity"]),
                                    ("a policy", row["has_policy"])) if not ok
        ]
        if missing:
            problems.append(f"table {row['relname']} lacks {', '.join(missing)}")
    return problems


async def role_violations(conn) -> list[str]:
    role = await conn.fetchrow(
        "select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user"
    )
    problems = []
    if role["rolsuper"]:
        problems.append(f"role {role['rolname']} is a superuser (superusers bypass row-level security)")
    if role["rolbypassrls"]:
        problems.append(f"role {role['rolname']} has BYPASSRLS")
    owned = await conn.fetch(
        """
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p') and c.relowner = (select oid from pg_roles where rolname = current_user)
        order by c.relname
        """
    )
    if owned:
        names = ", ".join(r["relname"] for r in owned[:5])
        problems.append(f"role {role['rolname']} owns tables ({names}); owners bypass RLS unless forced — run as the app role")
    return problems


async def secret_violations(conn) -> list[str]:
    """Columns commented 'hearth:secret' (operators' password hashes) that this role can read:
    such a secret is handed out one row at a time by a function that runs as the owner."""
    rows = await conn.fetch(
        """
        select c.relname, a.attname from pg_class c
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where col_description(c.oid, a.attnum) = 'hearth:secret'
          and has_column_privilege(c.oid, a.attnum, 'SELECT')
        order by c.relname, a.attname
        """
    )
    return [
        f"role {await conn.fetchval('select current_user')} can read the secret column {r['relname']}.{r['attname']}; "
        "run `hearth db migrate`, which revokes it"
        for r in rows
    ]


async def pending_migrations(conn) -> list[str]:
    """Migrations of the installed apps (core and plugins) that have not run: "app id" each."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager

    ran: set[tuple[str, str]] = set()
    if await conn.fetchval("select to_regclass('migration') is not null"):
        ran = {(r["app_name"], r["name"]) for r in await conn.fetch("select app_name, name from migration")}
    manager = BaseMigrationManager()
    pending = []
    for app_module in manager.get_app_modules():
        config = app_module.APP_CONFIG
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        pending.extend(
            f"{config.app_name} {migration_id}" for migration_id in manager.get_migration_ids(modules)
            if (config.app_name, migration_id) not in ran
        )
    return pending


async def check_database_safety() -> None:
    """Raise UnsafeDatabaseError naming each problem; called by the app before it serves."""
    async with get_engine().pool.acquire() as conn:  # type: ignore[union-attr]
        problems = await role_violations(conn) + await rls_violations(conn) + await secret_violations(conn)
        # Only a proper app role can read the migration table; its problems come first anyway.
        pending = [] if problems else await pending_migrations(conn)
    if pending:
        problems.append(f"migrations are pending (run `hearth db migrate`): {', '.join(pending[:5])}")
    if problems:
        raise UnsafeDatabaseError("refusing to start: " + "; ".join(problems))


# Tables that are not distributed by tenant_id when the database grows past one machine (Citus),
# and why: small platform tables replicated to every node (reference tables), or tables that stay
# on the coordinator. Every other table is a tenant table and must be distributable.
REFERENCE_TABLES = {
    "core_tenant": "the franchises themselves; every tenant table's tenant_id points at it",
    "core_tenant_domain": "host -> franchise, looked up before the tenant is known; a few rows per franchise",
    "core_plugin_default": "the platform's default config of each plugin, one row per plugin",
    "core_operator": "the platform's operators (HQ), not a franchise's",
    "core_operator_recovery_code": "the operators' recovery codes",
    "core_job": "the outbox queue, claimed across franchises with FOR UPDATE SKIP LOCKED, which Citus "
                "allows on one shard only: it stays a local table on the coordinator",
    "core_kv": "the redis stand-in of a single-machine install; with Citus, redis holds this",
    "migration": "Piccolo's record of the migrations it ran",
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


async def distribution_violations(conn) -> list[str]:
    """What would stop Citus from distributing each tenant table by tenant_id, one line each.

    A tenant table is any table not in REFERENCE_TABLES. Citus's rules: primary keys, unique
    constraints and unique indexes hold tenant_id, exclusion constraints hold `tenant_id WITH =`;
    a foreign key between tenant tables pairs tenant_id with tenant_id (and no delete action may
    null it); a reference table points at no tenant table; tenant_id is the same bigint, never
    null, everywhere (co-located tables share one distribution column type); sequences are
    bigint (Citus puts the node's number in their high bits)."""
    tables = {row["table"]: row for row in await conn.fetch(_TABLES)}
    distributed = {name for name in tables if name not in REFERENCE_TABLES}
    problems = []
    for name in sorted(tables.keys() - REFERENCE_TABLES.keys()):
        row = tables[name]
        if row["tenant_type"] is None:
            # Said once: nothing else about a table matters until it has a tenant.
            distributed.discard(name)
            problems.append(f"table {name} has no tenant_id and is not a reference table (platform_core/db/checks.py REFERENCE_TABLES)")
        elif row["tenant_type"] != "bigint" or not row["tenant_not_null"]:
            problems.append(f"table {name}: tenant_id is {row['tenant_type']}{'' if row['tenant_not_null'] else ' and nullable'}, not bigint NOT NULL")
    keyed = set()
    for k in await conn.fetch(_CONSTRAINTS):
        table, name, columns = k["table"], k["name"], list(k["columns"])
        if table not in distributed:
            if k["kind"] == "f" and k["target"] in distributed:
                problems.append(f"table {table}: reference table's foreign key {name} points at tenant table {k['target']}")
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
