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
