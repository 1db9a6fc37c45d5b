"""Tenant isolation: tenant B can not read or write tenant A's rows, through the ORM, raw SQL as
the app role, or a background job."""

from __future__ import annotations

import asyncpg
import pytest

from platform_core.db import current_connection, tenant_transaction
from platform_core.db.engine import app_dsn
from platform_core.jobs.services import HandlerSpec, enqueue, get_job
from platform_core.jobs.worker import Worker
from platform_core.notifications import services as notifications
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.tables import Notification
from platform_core.pluginsys.tables import TenantPlugin
from platform_core.tenancy.context import tenant_scope

RLS_VIOLATION = "row-level security"


@pytest.fixture
async def a_rows(tenant_a):
    """Rows of tenant A in a core table and in a notifications table."""
    async with tenant_transaction(tenant_a.id):
        await TenantPlugin.insert(TenantPlugin(tenant=tenant_a.id, plugin_name="loyalty", enabled=True, config={"rate": 5}))
    async with tenant_scope(tenant_a.id):
        note = await notifications.add_notification(
            NotificationCreate(recipient_kind="customer", recipient_id=1, title="A's secret notice")
        )
    return note


async def tenant_tables(conn) -> list[str]:
    rows = await conn.fetch(
        """
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relkind in ('r', 'p') and coalesce(obj_description(c.oid, 'pg_class'), '') <> 'hearth:platform'
        order by 1
        """
    )
    return [r["relname"] for r in rows]


# --------------------------------------------------------------------------- the ORM


async def test_tenant_b_reads_none_of_tenant_as_rows_through_the_orm(tenant_a, tenant_b, a_rows):
    async with tenant_transaction(tenant_b.id):
        assert await TenantPlugin.select().where(TenantPlugin.tenant == tenant_a.id) == []
        assert await TenantPlugin.count() == 0
        assert await Notification.select().where(Notification.id == a_rows.id) == []
        assert await Notification.objects().where(Notification.tenant == tenant_a.id) == []
    async with tenant_transaction(tenant_a.id):
        assert await TenantPlugin.count() == 1
        assert await Notification.count() == 1


async def test_tenant_b_changes_none_of_tenant_as_rows_through_the_orm(tenant_a, tenant_b, a_rows):
    async with tenant_transaction(tenant_b.id):
        updated = await TenantPlugin.update({TenantPlugin.enabled: False}, force=True).where(
            TenantPlugin.tenant == tenant_a.id
        ).returning(TenantPlugin.id)
        deleted = await Notification.delete().where(Notification.id == a_rows.id).returning(Notification.id)
        assert updated == [] and deleted == []
    async with tenant_transaction(tenant_a.id):
        assert await TenantPlugin.select(TenantPlugin.enabled).first() == {"enabled": True}
        assert await Notification.exists().where(Notification.id == a_rows.id)


async def test_tenant_b_can_not_insert_rows_for_tenant_a_through_the_orm(tenant_a, tenant_b):
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match=RLS_VIOLATION):
        async with tenant_transaction(tenant_b.id):
            await TenantPlugin.insert(TenantPlugin(tenant=tenant_a.id, plugin_name="planted", enabled=True))
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match=RLS_VIOLATION):
        async with tenant_transaction(tenant_b.id):
            await Notification.insert(
                Notification(tenant=tenant_a.id, recipient_kind="customer", recipient_id=1, title="planted")
            )


async def test_tenant_b_can_not_move_its_rows_into_tenant_a(tenant_a, tenant_b):
    async with tenant_scope(tenant_b.id):
        note = await notifications.add_notification(NotificationCreate(recipient_kind="customer", recipient_id=2, title="B"))
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match=RLS_VIOLATION):
        async with tenant_transaction(tenant_b.id):
            await Notification.update({Notification.tenant: tenant_a.id}).where(Notification.id == note.id)


async def test_without_a_tenant_no_tenant_rows_are_visible(a_rows):
    async with tenant_transaction(None):
        assert await TenantPlugin.count() == 0
        assert await Notification.count() == 0


# --------------------------------------------------------------------------- raw SQL as the app role


@pytest.fixture
async def app_conn(hearth_settings):
    conn = await asyncpg.connect(app_dsn(hearth_settings.db.url, None))
    yield conn
    await conn.close()


async def as_tenant(conn, tenant_id: int | None):
    tx = conn.transaction()
    await tx.start()
    await conn.execute("select set_config('app.tenant_id', $1, true)", "" if tenant_id is None else str(tenant_id))
    return tx


async def test_raw_sql_as_the_app_role_sees_only_the_tenant_it_set(app_conn, tenant_a, tenant_b, a_rows):
    assert await app_conn.fetchval("select current_user") == "hearth_app"
    tx = await as_tenant(app_conn, tenant_b.id)
    try:
        for table in await tenant_tables(app_conn):
            others = await app_conn.fetchval(f"select count(*) from {table} where tenant_id <> $1", tenant_b.id)
            assert others == 0, f"{table} shows another tenant's rows to tenant B"
        assert await app_conn.execute("update core_notification set title = 'pwned' where id = $1", a_rows.id) == "UPDATE 0"
        assert await app_conn.execute("delete from core_tenant_plugin where tenant_id = $1", tenant_a.id) == "DELETE 0"
    finally:
        await tx.rollback()
    tx = await as_tenant(app_conn, tenant_a.id)
    try:
        assert await app_conn.fetchval("select title from core_notification where id = $1", a_rows.id) == "A's secret notice"
        assert await app_conn.fetchval("select count(*) from core_tenant_plugin") == 1
    finally:
        await tx.rollback()


async def test_raw_sql_as_the_app_role_can_not_write_into_another_tenant(app_conn, tenant_a, tenant_b):
    tx = await as_tenant(app_conn, tenant_b.id)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=RLS_VIOLATION):
            await app_conn.execute(
                "insert into core_notification (tenant_id, recipient_kind, recipient_id, title) values ($1, 'customer', 1, 'x')",
                tenant_a.id,
            )
    finally:
        await tx.rollback()


async def test_raw_sql_without_a_tenant_sees_no_rows(app_conn, a_rows):
    for table in await tenant_tables(app_conn):
        assert await app_conn.fetchval(f"select count(*) from {table}") == 0, table


async def test_the_app_role_can_not_switch_row_level_security_off(app_conn):
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("alter table core_notification disable row level security")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await app_conn.execute("set role postgres")


# --------------------------------------------------------------------------- background jobs


async def test_a_job_running_for_tenant_b_can_not_see_or_touch_tenant_as_rows(runtime, tenant_a, tenant_b, a_rows):
    seen: dict[str, object] = {}

    async def snoop(ctx, payload):
        conn = current_connection()
        seen["tenant"] = ctx.tenant.id
        seen["notifications"] = await conn.fetchval("select count(*) from core_notification")
        seen["by_id"] = await conn.fetchval("select count(*) from core_notification where id = $1", payload["target"])
        seen["plugins"] = await TenantPlugin.count()
        seen["update"] = await conn.execute("update core_notification set title = 'pwned' where id = $1", payload["target"])

    async def plant(ctx, payload):
        await Notification.insert(Notification(tenant=payload["into"], recipient_kind="customer", recipient_id=1, title="planted"))

    async with tenant_scope(tenant_b.id):
        snoop_id = await enqueue("test.snoop", {"target": a_rows.id})
        plant_id = await enqueue("test.plant", {"into": tenant_a.id})
    worker = Worker(runtime, handlers={"test.snoop": HandlerSpec(snoop, None), "test.plant": HandlerSpec(plant, None)})
    await worker.run_due()

    assert seen == {"tenant": tenant_b.id, "notifications": 0, "by_id": 0, "plugins": 0, "update": "UPDATE 0"}
    async with tenant_scope(tenant_b.id):
        assert (await get_job(snoop_id)).state == "done"
        planted = await get_job(plant_id)
    assert planted.state == "pending" and planted.last_error.startswith("InsufficientPrivilegeError")
    async with tenant_transaction(tenant_a.id):
        assert await Notification.select(Notification.title).output(as_list=True) == ["A's secret notice"]
