"""Run the sandbox in a background thread (the SDKs are synchronous), and a notification receiver."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiohttp import web

from platform_core.bounds import is_digits

from .keys import SandboxKeys
from .server import NotifyPolicy, Sandbox, build_app

# Ports for the tests' servers come from below the kernel's ephemeral range (32768 and up on
# Linux), where no outgoing connection takes one, and each xdist worker has its own slice: a port
# found free and released can then not be taken by the other worker, or by a server it starts,
# before its own server binds it (localstripe once found port + 1 held by another and failed).
_PORTS_FROM, _PORTS_TO = 10000, 32000
_given: set[int] = set()
_given_lock = threading.Lock()


def _worker_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and is_digits(worker[2:]) else 0
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1))
    size = (_PORTS_TO - _PORTS_FROM) // max(count, index + 1)
    return range(_PORTS_FROM + index * size, _PORTS_FROM + (index + 1) * size - 1)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free port whose next one is free too (the sandbox's localstripe takes port + 1), never
    one this process handed out before."""
    ports = _worker_slice()
    with _given_lock:
        for _ in range(1000):
            port = random.choice(ports)
            if port not in _given and port + 1 not in _given and _bindable(port) and _bindable(port + 1):
                _given.update((port, port + 1))
                return port
    raise RuntimeError(f"no two free ports in {ports.start}-{ports.stop}")


@contextmanager
def running_sandbox(keys: SandboxKeys, *, port: int | None = None, policy: NotifyPolicy | None = None, stripe_api: str | None = None):
    port = port or free_port()
    sandbox = Sandbox(keys, base_url=f"http://127.0.0.1:{port}", policy=policy, stripe_api=stripe_api)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_app(sandbox))
    started = threading.Event()

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield sandbox
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


class Receiver:
    """A merchant's notify endpoint: records each request; answers with ``reply`` after ``failures`` refusals."""

    def __init__(self, reply: bytes, failures: int = 0):
        self.reply, self.failures, self.received = reply, failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((dict(self.headers), body))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, timeout: float = 10) -> list[tuple[dict, bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self):
        self.server.shutdown()
        self.server.server_close()
