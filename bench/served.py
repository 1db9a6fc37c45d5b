"""Shared by the benchmarks that drive `hearth serve` as a real process over HTTP
(bench/processes.py, bench/memory.py): a freshly migrated database with the demo franchises, the
server started as an operator starts it, and wrk on the page mix.

    with demo_database() as url:
        with served(url, workers=2) as server:
            result = wrk(server.port, seconds=10)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil

from platform_core.testing.serving import wait_until_listening, wait_until_ready

ROOT = Path(__file__).resolve().parents[1]
HEARTH = [sys.executable, "-c", "from platform_core.cli import main; main()"]
TENANT_HOST = "sunshine.localhost"
# The mix of issue 9's page goals: home, the services list, an item page and the catalog API.
PAGES = ("/", "/services", "/services/daily-cleaning", "/api/v1/catalog/items")


def admin_dsn() -> str:
    return os.environ.get("HEARTH_BENCH_DATABASE_URL") or sys.exit("set HEARTH_BENCH_DATABASE_URL to a PostgreSQL admin DSN")


def _psql(dsn: str, sql: str) -> None:
    subprocess.run(["psql", dsn, "-qAtc", sql], check=True, capture_output=True)


def base_env(url: str, data_dir: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "bench-secret-" + "x" * 32, "HEARTH_DATA_DIR": data_dir,
        "DATABASE_URL": url, "HEARTH_KEY_PREFIX": Path(data_dir).name,
    })
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(extra)
    return env


@contextmanager
def demo_database() -> Iterator[str]:
    """A new database, migrated, with tenants/*.toml applied; dropped afterwards."""
    from platform_core.db.engine import with_database

    admin = admin_dsn()
    name = f"hearth_bench_served_{os.getpid()}"
    _psql(admin, f'create database "{name}"')
    url = with_database(admin, name)
    data_dir = tempfile.mkdtemp(prefix=f"{name}-")
    try:
        env = base_env(url, data_dir)
        subprocess.run([*HEARTH, "db", "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([*HEARTH, "tenants", "apply", *sorted(map(str, (ROOT / "tenants").glob("*.toml")))],
                       env=env, check=True, capture_output=True)
        yield url
    finally:
        _psql(admin, f'drop database if exists "{name}" with (force)')
        shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def processes(self) -> list[psutil.Process]:
        """The web processes: the server itself with one worker, else uvicorn's children that
        serve (not the supervisor, the job process or multiprocessing's resource tracker)."""
        top = psutil.Process(self.process.pid)
        children = [p for p in top.children() if "spawn_main" in " ".join(p.cmdline())]
        return children or [top]


@contextmanager
def served(url: str, *, workers: int = 1, **env: str) -> Iterator[Server]:
    """`hearth serve --workers N` on `url`, ready, stopped with SIGTERM afterwards."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="hearth-bench-serve-")
    log = Path(data_dir) / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*HEARTH, "serve", "--workers", str(workers)],
                                env=base_env(url, data_dir, HEARTH_PORT=str(port), **env), stdout=out, stderr=subprocess.STDOUT)
    try:
        if not wait_until_ready(proc, port, 90):
            raise RuntimeError("hearth serve did not start:\n" + log.read_text(errors="replace"))
        server = Server(port, proc, log)
        # Every web process answers before the clock starts (uvicorn starts them one after another).
        while workers > 1 and len(server.processes()) < workers:
            time.sleep(0.3)
        if not wait_until_listening([p.pid for p in server.processes()], port, 90):
            raise RuntimeError("the web processes did not all start:\n" + log.read_text(errors="replace"))
        for path in PAGES:  # templates compiled, caches warm
            for _ in range(4 * workers):
                request(port, path)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def request(port: int, path: str) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": TENANT_HOST})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        r.read()
        return r.status


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Host"] = "%s"})
end
"""


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, *, seconds: float, connections: int = 16, threads: int = 1, cpus: str | None = None,
        pages: tuple[str, ...] = PAGES) -> WrkResult:
    """wrk on the page mix, round robin; `cpus` pins wrk (taskset) so its share of the machine is known."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (", ".join(f'"{p}"' for p in pages), TENANT_HOST))
    # A response slower than wrk's default 2 s counts as a timeout; on a loaded machine that is latency, not an error.
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s", "--latency", "-s", script.name,
           f"http://127.0.0.1:{port}"]
    if cpus is not None:
        cmd = ["taskset", "-c", cpus, *cmd]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return WrkResult(rps, p50, p99, errors)
