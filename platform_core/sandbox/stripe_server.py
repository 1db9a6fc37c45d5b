"""localstripe on loopback, as a child process (its own CLI binds every interface)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

CODE = "from aiohttp import web; from localstripe.server import app; web.run_app(app, host='127.0.0.1', port={port}, print=None)"


def start_localstripe(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", CODE.format(port=int(port))], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"localstripe exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("localstripe did not start")


def stop_localstripe(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
