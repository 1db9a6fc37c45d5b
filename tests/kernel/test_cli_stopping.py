"""`hearth serve` and `hearth demo` stop within 10 s of SIGTERM (systemd, docker) or Ctrl-C,
finishing the requests in flight and leaving nothing behind: no child process (the payment
sandbox, localstripe) and no embedded PostgreSQL they started. `hearth db stop` stops one that
other commands left running."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from platform_core.db.embedded import postmaster
from platform_core.sandbox.testing import free_port
from platform_core.testing.pytest_plugin import settings_env
from platform_core.testing.serving import wait_until_ready

HEARTH = [sys.executable, "-c", "from platform_core.cli import main; main()"]
STOP_WITHIN = 10


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The embedded defaults: no DATABASE_URL, no redis, a data folder of the test's own."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HEARTH_APP_DATABASE_URL", "REDIS_URL")}
    return {**env, "HEARTH_ENV": "dev", "HEARTH_DATA_DIR": str(data_dir), **extra}


def wait_ready(proc: subprocess.Popen, port: int, log: Path, timeout: float) -> None:
    if not wait_until_ready(proc, port, timeout):
        proc.kill()
        pytest.fail("hearth did not start:\n" + log.read_text(errors="replace"))


def stop(proc: subprocess.Popen, sig: int) -> float:
    """Signal the process; seconds until it was gone."""
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(STOP_WITHIN + 5)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return time.monotonic() - started


def alive(processes: list[psutil.Process]) -> list[str]:
    left = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """One embedded PostgreSQL data folder for the module (initdb once), stopped at the end. Not
    under pytest's own temp folder: pytest keeps that private (0700) to its user, and as root the
    embedded server runs as a user of its own (as TestDatabase does)."""
    from platform_core.db.embedded import stop_embedded

    path = Path(tempfile.mkdtemp(prefix="hearth-stopping-"))
    yield path
    stop_embedded(path / "pgdata")
    shutil.rmtree(path, ignore_errors=True)


def test_serve_finishes_the_request_in_flight_and_exits_on_sigterm(hearth_settings, tenant_a, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*HEARTH, "serve"], env=settings_env(hearth_settings, HEARTH_PORT=str(port)), stdout=out, stderr=subprocess.STDOUT)
    wait_ready(proc, port, log, 60)
    children = psutil.Process(proc.pid).children(recursive=True)

    # A request whose body is still arriving when the signal comes.
    body = b'{"phone": "13800138000"}'
    conn = socket.create_connection(("127.0.0.1", port), timeout=15)
    conn.sendall(
        f"POST /api/v1/auth/code HTTP/1.1\r\nHost: {tenant_a.slug}.localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10]
    )
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    time.sleep(1)
    conn.sendall(body[10:])
    answer = conn.recv(65536).decode(errors="replace")
    conn.close()
    assert answer.startswith("HTTP/1.1 202"), answer + log.read_text(errors="replace")

    proc.wait(STOP_WITHIN + 5)
    assert time.monotonic() - started < STOP_WITHIN
    assert proc.returncode == -signal.SIGTERM  # ends by the signal, as a supervisor expects
    assert alive(children) == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_db_stop_stops_the_embedded_postgresql_other_commands_leave_running(data_dir):
    status = subprocess.run([*HEARTH, "db", "status"], env=embedded_env(data_dir), capture_output=True, text=True, timeout=180)
    assert status.returncode == 0, status.stderr
    assert postmaster(data_dir / "pgdata") is not None  # kept for the next command

    stopped = subprocess.run([*HEARTH, "db", "stop"], env=embedded_env(data_dir), capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped the embedded PostgreSQL" in stopped.stdout
    assert postmaster(data_dir / "pgdata") is None
    again = subprocess.run([*HEARTH, "db", "stop"], env=embedded_env(data_dir), capture_output=True, text=True, timeout=60)
    assert "no embedded PostgreSQL is running" in again.stdout
    elsewhere = {**embedded_env(data_dir), "DATABASE_URL": "postgresql://postgres@db.internal/hearth"}
    configured = subprocess.run([*HEARTH, "db", "stop"], env=elsewhere, capture_output=True, text=True, timeout=60)
    assert configured.returncode == 1 and "DATABASE_URL is set" in configured.stderr


@pytest.mark.slow
def test_demo_stops_its_sandbox_localstripe_and_postgresql_on_sigterm_and_on_ctrl_c(data_dir, tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT):
        port, sandbox_port = free_port(), free_port()
        log = tmp_path / f"demo-{sig.name}.log"
        env = embedded_env(data_dir, HEARTH_PORT=str(port), HEARTH_SANDBOX_PORT=str(sandbox_port))
        with log.open("wb") as out:
            proc = subprocess.Popen([*HEARTH, "demo"], env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_ready(proc, port, log, 240)
        children = psutil.Process(proc.pid).children(recursive=True)
        database = postmaster(data_dir / "pgdata")
        assert database is not None and len(children) >= 2, children  # the sandbox and its localstripe
        assert "Ctrl-C stops the demo" in log.read_text()

        took = stop(proc, sig)
        assert took < STOP_WITHIN, f"{sig.name}: {took:.1f} s"
        assert alive(children) == [], f"{sig.name} left: {alive(children)}"
        assert alive([database]) == [] and postmaster(data_dir / "pgdata") is None, f"{sig.name} left PostgreSQL running"
        for gone in (port, sandbox_port, sandbox_port + 1):
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", gone), timeout=1)
