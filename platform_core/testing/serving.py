"""Waiting for a `hearth serve` started as a child process (the browser tests' live server, the
CLI's stopping tests, bench/), with no pytest in it so the benchmarks can use it too."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from typing import Iterable


def wait_until_ready(process: subprocess.Popen, port: int, timeout: float) -> bool:
    """True once http://127.0.0.1:{port}/health/ready answers 200; False if the process ends or
    `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1) as r:  # noqa: S310
                if r.status == 200:
                    return True
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def wait_until_listening(pids: Iterable[int], port: int, timeout: float) -> bool:
    """True once each of these processes listens on `port`; False after `timeout` seconds. A web
    process of `hearth serve --workers N` listens on its own socket only once its app has started,
    and until then the kernel gives its share of new connections to the others."""
    import psutil

    deadline = time.monotonic() + timeout
    while True:
        try:
            if all(
                any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in psutil.Process(pid).net_connections("tcp"))
                for pid in pids
            ):
                return True
        except psutil.NoSuchProcess:
            return False
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
