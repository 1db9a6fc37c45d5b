"""A real streaming standby (db/replica.py, docs/scaling.md "Read replicas"): a primary and a
standby made with `pg_basebackup -R`, both from the machine's PostgreSQL binaries in a folder
of the test's own; `hearth serve` with HEARTH_READ_DATABASE_URL on the standby. With replay
paused on the standby, an item renamed on the primary keeps its old name on the item page (a
read-only route, served by the standby, row-level security and all) and the new one where a
request reads the primary (a price quote); once replay resumes, the item page catches up."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from platform_core.sandbox.testing import free_port

from .test_cli_stopping import HEARTH, wait_ready

BIN = Path("/usr/lib/postgresql/15/bin")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "pg_basebackup").exists(), reason="PostgreSQL 15's server binaries are not installed"),
]


def as_postgres(*cmd: str, **kwargs) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: run its programs as the postgres user when we are root."""
    if os.geteuid() == 0:
        cmd = ("runuser", "-u", "postgres", "--", *cmd)
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, **kwargs)


def psql(port: int, sql: str) -> str:
    return subprocess.run(["psql", f"postgresql://postgres@127.0.0.1:{port}/postgres", "-qAtc", sql],
                          check=True, capture_output=True, text=True, timeout=30).stdout.strip()


@pytest.fixture(scope="module")
def primary_and_standby():
    folder = Path(tempfile.mkdtemp(prefix="hearth-standby-"))
    os.chmod(folder, 0o777)
    primary, standby = folder / "primary", folder / "standby"
    p_port, s_port = free_port(), free_port()
    started: list[Path] = []
    try:
        as_postgres(str(BIN / "initdb"), "-D", str(primary), "--auth=trust", "-U", "postgres")
        options = f"-p {p_port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(str(BIN / "pg_ctl"), "-D", str(primary), "-o", options, "-l", str(folder / "primary.log"), "-w", "start")
        started.append(primary)
        as_postgres(str(BIN / "pg_basebackup"), "-D", str(standby), "-R", "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres")
        options = f"-p {s_port} -k {folder} -c listen_addresses=127.0.0.1 -c hot_standby=on"
        as_postgres(str(BIN / "pg_ctl"), "-D", str(standby), "-o", options, "-l", str(folder / "standby.log"), "-w", "start")
        started.append(standby)
        yield p_port, s_port
    finally:
        for data in reversed(started):
            subprocess.run(["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
                           if os.geteuid() == 0 else [str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def page(port: int, path: str, body: bytes | None = None) -> str:
    """GET `path`, or POST `body` as JSON."""
    headers = {"Host": "harbour.localhost", **({"Content-Type": "application/json"} if body is not None else {})}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return answer.read().decode()


def test_read_only_pages_are_served_by_the_standby_and_catch_up_when_it_replays(primary_and_standby, tmp_path):
    p_port, s_port = primary_and_standby
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEARTH_") and k != "REDIS_URL"},
        "HEARTH_ENV": "test", "HEARTH_SECRET_KEY": "standby-test-" + "x" * 32, "HEARTH_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{p_port}/postgres",
        "HEARTH_READ_DATABASE_URL": f"postgresql://hearth_app@127.0.0.1:{s_port}/postgres",
    }
    for args in (["db", "migrate"], ["tenants", "apply", str(REPO / "tenants" / "harbour.toml")]):
        done = subprocess.run([*HEARTH, *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*HEARTH, "serve"], env={**env, "HEARTH_PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(proc, port, log, 90)
        slug = psql(p_port, "select slug from core_service_item order by id limit 1")
        old = psql(p_port, f"select title from core_service_item where slug = '{slug}'")
        deadline = time.monotonic() + 30  # the standby has replayed the tenant and its catalog
        while old not in page(port, f"/services/{slug}"):
            assert time.monotonic() < deadline, "the standby never showed the catalog"
            time.sleep(0.5)

        psql(s_port, "select pg_wal_replay_pause()")
        psql(p_port, f"update core_service_item set title = 'Renamed on the primary' where slug = '{slug}'")
        psql(p_port, "select pg_switch_wal()")
        time.sleep(1)
        assert old in page(port, f"/services/{slug}")  # read-only: the standby, still paused
        item_id = psql(p_port, f"select id from core_service_item where slug = '{slug}'")
        quoted = page(port, "/api/v1/quotes/", body=f'{{"item_id": {item_id}}}'.encode())
        assert "Renamed on the primary" in quoted  # not marked (a POST): the primary

        psql(s_port, "select pg_wal_replay_resume()")
        deadline = time.monotonic() + 30
        while "Renamed on the primary" not in page(port, f"/services/{slug}"):
            assert time.monotonic() < deadline, "the standby did not catch up:\n" + log.read_text(errors="replace")
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)
