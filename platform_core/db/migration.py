"""Migrations are SQL: tables, RLS policies and constraints said once, in the database's words."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from .engine import get_engine


def sql_migration(
    migration_id: str, app_name: str, description: str, forwards_sql: str, backwards_sql: str = ""
) -> MigrationManager:
    """A Piccolo MigrationManager that runs `forwards_sql` (several statements allowed).

    A raw asyncpg connection is used because Piccolo's `raw()` prepares statements, which can
    hold only one command.
    """
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run(sql: str) -> None:
        tx = get_engine().current_transaction.get()
        if tx is not None:
            await tx.connection.execute(sql)
            return
        conn = await get_engine().get_new_connection()
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def forwards() -> None:
        await run(forwards_sql)

    async def backwards() -> None:
        await run(backwards_sql)

    manager.add_raw(forwards)
    if backwards_sql:
        manager.add_raw_backwards(backwards)
    return manager
