"""The database keeps tenants apart by construction, and the server refuses to run otherwise."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager

import asyncpg
import msgspec
import pytest

from platform_core.db import start_pool
from platform_core.db.checks import (
    UnsafeDatabaseError,
    check_database_safety,
    role_violations,
)
from platform_core.db.engine import app_dsn

# Platform-level tables that carry a tenant_id but no RLS, on purpose. A new entry here needs a
# reason as good as these: the host lookup runs before any tenant is known; workers claim every
# tenant's jobs, then run each inside its tenant's scope.
PLATFORM_TABLES_WITH_TENANT_ID = {"core_tenant_domain", "core_job"}


@pytest.fixture
async def owner(hearth_owner_url):
    conn = await asyncpg.connect(hearth_owner_url)
    yield conn
    await conn.close()


def with_user(dsn: str, user: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=f"{user}@{parts.netloc.rsplit('@', 1)[-1]}"))


@asynccontextmanager
async def temporary_role(owner, options: str):
    name = f"hearth_probe_{secrets.token_hex(3)}"
    await owner.execute(f"create role {name} login {options}")
    await owner.execute(f"grant usage on schema public to {name}")
    try:
        yield name
    finally:
        await owner.execute(f"drop owned by {name}; drop role {name}")


async def starts(settings) -> None:
    """Run the app's lifespan far enough to serve, then stop; re-raise why it would not start.
    The session app's pool is put back afterwards (the engine is per process)."""
    from platform_core.app import create_app

    app = create_app(settings)
    try:
        async with app.lifespan():
            pass
    except BaseExceptionGroup as group:  # the lifespan runs in a task group
        raise first_leaf(group) from None
    finally:
        db = settings.db
        await start_pool(app_dsn(db.url, None), min_size=db.pool_min, max_size=db.pool_max)


def first_leaf(group: BaseExceptionGroup) -> BaseException:
    inner = group.exceptions[0]
    return first_leaf(inner) if isinstance(inner, BaseExceptionGroup) else inner


def connecting_as(settings, dsn: str):
    return msgspec.structs.replace(settings, db=msgspec.structs.replace(settings.db, app_url=dsn))


async def test_every_tenant_table_has_row_level_security_enabled_forced_and_a_policy(owner):
    rows = await owner.fetch(
        """
        select c.relname, c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class') as note,
               (select array_agg(pg_get_expr(p.polqual, p.polrelid) || ' / ' || pg_get_expr(p.polwithcheck, p.polrelid))
                from pg_policy p where p.polrelid = c.oid) as policies
        from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relkind in ('r', 'p') order by c.relname
        """
    )
    tenant_tables = [r for r in rows if r["note"] != "hearth:platform"]
    assert {"core_tenant_plugin", "core_notification", "core_dev_outbox"} <= {r["relname"] for r in tenant_tables}
    unsafe = [r["relname"] for r in tenant_tables if not (r["relrowsecurity"] and r["relforcerowsecurity"] and r["policies"])]
    assert unsafe == []
    for r in tenant_tables:
        assert all("hearth_current_tenant()" in p.split(" / ")[0] and "hearth_current_tenant()" in p.split(" / ")[1]
                   for p in r["policies"]), f"{r['relname']} has a policy that does not check the tenant both ways"
    assert {r["relname"] for r in rows if r["note"] == "hearth:platform"} == PLATFORM_TABLES_WITH_TENANT_ID


async def test_the_app_role_owns_nothing_is_not_superuser_and_has_no_bypassrls(hearth_settings):
    conn = await asyncpg.connect(app_dsn(hearth_settings.db.url, None))
    try:
        assert await role_violations(conn) == []
    finally:
        await conn.close()


async def test_the_server_refuses_to_start_as_a_superuser(hearth_settings, hearth_owner_url):
    with pytest.raises(UnsafeDatabaseError, match="is a superuser"):
        await starts(connecting_as(hearth_settings, hearth_owner_url))


async def test_the_server_refuses_to_start_as_the_owner_of_tables(hearth_settings, owner):
    async with temporary_role(owner, "nosuperuser nobypassrls") as role:
        await owner.execute(f"create table {role}_owned (id int); alter table {role}_owned owner to {role}")
        with pytest.raises(UnsafeDatabaseError, match=rf"role {role} owns tables \({role}_owned\)"):
            await starts(connecting_as(hearth_settings, with_user(hearth_settings.db.url, role)))


async def test_the_server_refuses_to_start_with_bypassrls(hearth_settings, owner):
    async with temporary_role(owner, "nosuperuser bypassrls") as role:
        with pytest.raises(UnsafeDatabaseError, match=rf"role {role} has BYPASSRLS"):
            await starts(connecting_as(hearth_settings, with_user(hearth_settings.db.url, role)))


@pytest.mark.parametrize(
    ("setup", "missing"),
    [
        ("", "ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY, a policy"),
        ("alter table {t} enable row level security; create policy p on {t} using (tenant_id = hearth_current_tenant())",
         "FORCE ROW LEVEL SECURITY"),
        ("alter table {t} enable row level security; alter table {t} force row level security", "a policy"),
    ],
    ids=["no-rls", "not-forced", "no-policy"],
)
async def test_a_tenant_table_added_without_forced_rls_stops_the_check_naming_it(owner, app, setup, missing):
    table = f"core_probe_{secrets.token_hex(3)}"
    await owner.execute(f"create table {table} (id bigserial primary key, tenant_id bigint not null references core_tenant(id))")
    try:
        if setup:
            await owner.execute(setup.format(t=table))
        with pytest.raises(UnsafeDatabaseError) as refused:
            await check_database_safety()
        assert f"table {table} lacks {missing}" in str(refused.value)
    finally:
        await owner.execute(f"drop table {table}")
    await check_database_safety()


async def test_the_server_refuses_to_start_while_a_tenant_table_lacks_rls(owner, hearth_settings):
    table = f"core_probe_{secrets.token_hex(3)}"
    await owner.execute(f"create table {table} (id bigserial primary key, tenant_id bigint not null)")
    try:
        with pytest.raises(UnsafeDatabaseError, match=f"table {table} lacks"):
            await starts(hearth_settings)
    finally:
        await owner.execute(f"drop table {table}")


async def test_the_server_refuses_to_start_while_migrations_are_pending(owner, hearth_settings):
    row = await owner.fetchrow("select * from migration where app_name = 'tenancy' order by name limit 1")
    await owner.execute("delete from migration where id = $1", row["id"])
    try:
        with pytest.raises(UnsafeDatabaseError, match=f"migrations are pending.*tenancy {row['name']}"):
            await starts(hearth_settings)
    finally:
        await owner.execute(
            "insert into migration (id, name, app_name, ran_on) values ($1, $2, $3, $4)",
            row["id"], row["name"], row["app_name"], row["ran_on"],
        )
