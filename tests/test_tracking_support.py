"""Shared helpers of the tracking tests (no tests here): a WebSocket client that drives the ASGI
app in the test's own event loop (the app's pool and channels live in that loop)."""

from __future__ import annotations

import asyncio
import json


class SocketClient:
    def __init__(self, app, host: str, path: str, *, cookies: dict[str, str] | None = None, origin: str | None = None) -> None:
        headers = [(b"host", host.encode())]
        if cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
        if origin:
            headers.append((b"origin", origin.encode()))
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "http_version": "1.1", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": (host, 80), "subprotocols": [],
        }
        self.to_app: asyncio.Queue = asyncio.Queue()
        self.from_app: asyncio.Queue = asyncio.Queue()
        self.to_app.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.to_app.get, self.from_app.put))

    async def message(self, timeout: float = 5) -> dict:
        return await asyncio.wait_for(self.from_app.get(), timeout)

    async def accepted(self) -> bool:
        return (await self.message())["type"] == "websocket.accept"

    async def receive_json(self, timeout: float = 5) -> dict:
        message = await self.message(timeout)
        assert message["type"] == "websocket.send", message
        return json.loads(message.get("text") or message["bytes"])

    async def close(self) -> None:
        self.to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)
