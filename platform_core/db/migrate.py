"""`hearth db migrate|status`: Piccolo migrations of every app, run as the owner role."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from .engine import close_pool, get_engine


async def migrate(owner_dsn: str) -> None:
    engine = get_engine()
    await close_pool()
    engine.config = {"dsn": owner_dsn}
    # Piccolo narrates every app to stdout; keep it for the error case only.
    narration = io.StringIO()
    with contextlib.redirect_stdout(narration):
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{narration.getvalue()}")


async def status(owner_dsn: str) -> list[tuple[str, str, bool]]:
    """(app, migration id, applied) for every migration Piccolo knows."""
    engine = get_engine()
    await close_pool()
    engine.config = {"dsn": owner_dsn}
    rows = await CheckMigrationManager(app_name="all").get_migration_statuses()
    return [(r.app_name, r.migration_id, r.has_ran) for r in rows]
