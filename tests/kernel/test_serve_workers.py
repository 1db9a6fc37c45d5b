"""`hearth serve --workers 2`: two web processes and one job process start and serve; SIGHUP
replaces every one of them without a request failing (a request in flight finishes on the old
process); SIGTERM stops them all, ending by the signal like a single process does."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
import urllib.request

import psutil
import pytest

from platform_core.sandbox.testing import free_port
from platform_core.testing.pytest_plugin import settings_env

from .test_cli_stopping import HEARTH, STOP_WITHIN, alive, wait_ready

RELOAD_WITHIN = 120  # two processes started one after the other on a loaded two-core machine


def web_and_jobs(pid: int) -> tuple[set[int], set[int]]:
    web, jobs = set(), set()
    for child in psutil.Process(pid).children():
        try:
            cmdline = " ".join(child.cmdline())
        except psutil.Error:  # gone, or a zombie not reaped yet: not serving either way
            continue
        if "spawn_main" in cmdline:
            web.add(child.pid)
        elif cmdline.endswith(" worker"):
            jobs.add(child.pid)
    return web, jobs


def get(port: int, host: str, path: str = "/services") -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host, "Connection": "close"})
    with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310
        return answer.status


def test_serve_with_two_workers_serves_reloads_on_sighup_and_stops_on_sigterm(hearth_settings, tenant_a, tmp_path):
    port, host = free_port(), f"{tenant_a.slug}.localhost"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*HEARTH, "serve", "--workers", "2"], env=settings_env(hearth_settings, HEARTH_PORT=str(port)),
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(proc, port, log, 90)
        deadline = time.monotonic() + 60
        while len((found := web_and_jobs(proc.pid))[0]) < 2 or not found[1]:
            assert time.monotonic() < deadline, f"processes: {found}\n{log.read_text(errors='replace')}"
            time.sleep(0.3)
        web, jobs = found
        assert len(jobs) == 1
        assert all(get(port, host) == 200 for _ in range(6))

        # Requests keep coming during the reload, each on a new connection.
        statuses: list[int | str] = []
        stop_asking = threading.Event()

        def keep_asking() -> None:
            while not stop_asking.is_set():
                try:
                    statuses.append(get(port, host))
                except OSError as exc:
                    statuses.append(repr(exc))
                time.sleep(0.05)

        asker = threading.Thread(target=keep_asking)
        asker.start()
        # And one request whose body is still arriving when the reload starts.
        body = b'{"phone": "13800138000"}'
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn.sendall(
            f"POST /api/v1/auth/code HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10]
        )
        time.sleep(0.5)
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        conn.sendall(body[10:])
        answer = conn.recv(65536).decode(errors="replace")
        conn.close()

        deadline = time.monotonic() + RELOAD_WITHIN
        while True:
            new_web, new_jobs = web_and_jobs(proc.pid)
            if len(new_web) == 2 and not new_web & web and len(new_jobs) == 1 and not new_jobs & jobs:
                break
            assert time.monotonic() < deadline, f"not replaced: {web} -> {new_web}, {jobs} -> {new_jobs}\n{log.read_text(errors='replace')}"
            time.sleep(0.5)
        stop_asking.set()
        asker.join(30)
        assert answer.startswith("HTTP/1.1 202"), answer + log.read_text(errors="replace")
        assert statuses and all(s == 200 for s in statuses), [s for s in statuses if s != 200][:5]
        assert get(port, host) == 200

        children = psutil.Process(proc.pid).children(recursive=True)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(STOP_WITHIN + 5)
        assert proc.returncode == -signal.SIGTERM
        # multiprocessing's resource tracker leaves when it reads the end of its pipe, a moment
        # after the supervisor: everything must be gone within the same 10 s all the same.
        while alive(children) and time.monotonic() - started < STOP_WITHIN:
            time.sleep(0.1)
        assert time.monotonic() - started < STOP_WITHIN
        assert alive(children) == []
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
