"""Run the sandbox in a background thread (the SDKs are synchronous), and a notification receiver."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiohttp import web

from .keys import SandboxKeys
from .server import NotifyPolicy, Sandbox, build_app


def free_port() -> int:
    """A free port whose next one is free too: the sandbox's localstripe takes port + 1."""
    while True:
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


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
