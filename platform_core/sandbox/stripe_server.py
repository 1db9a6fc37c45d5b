"""localstripe on loopback, as a child process (its own CLI binds every interface)."""

from __future__ import annotations

import selectors
import subprocess
import sys
import time

# It says "ready" once its own socket listens: a connection alone could reach another process that
# holds the port, while localstripe itself failed to bind it.
CODE = (
    "from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port={port}, print=lambda *_: print('ready', flush=True))"
)


def start_localstripe(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", CODE.format(port=int(port))], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 15
    with selectors.DefaultSelector() as waiting:
        waiting.register(proc.stdout, selectors.EVENT_READ)
        while waiting.select(timeout=max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if line.strip() == b"ready":
                return proc
            if not line:  # it exited: the port was taken, or it could not start
                break
    stop_localstripe(proc)
    raise RuntimeError(f"localstripe did not start on port {port} (exit code {proc.returncode})")


def stop_localstripe(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()
