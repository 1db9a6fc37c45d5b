"""The server's receive and send run outside the request's context.

asyncio hands a transport callback the context of whoever armed it: when a request's task calls
the server's `receive()` while reading is paused (a body over uvicorn's 64 KB high-water mark) or
its last `send()` resumes reading, the transport's reader is re-armed inside that task's context
(cpython#140947). The server then parses the connection's next request in that context and starts
its task with a copy of it, so the next request on the keep-alive connection inherits this one's
ContextVars: the tenant, and Piccolo's current transaction, long committed and its connection back
in the pool (`InterfaceError ... released back to the pool`). Calling the server's callables in a
task of their own, with an empty context, keeps every request's context its own, whatever the server.
"""

from __future__ import annotations

import asyncio
import contextvars

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class ServerIOMiddleware(ASGIMiddleware):
    """Outermost: every later middleware and handler sees only the isolated receive and send."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        loop = asyncio.get_running_loop()

        async def isolated_receive() -> Message:
            return await loop.create_task(receive(), context=contextvars.Context())  # type: ignore[arg-type]

        async def isolated_send(message: Message) -> None:
            await loop.create_task(send(message), context=contextvars.Context())  # type: ignore[arg-type]

        await next_app(scope, isolated_receive, isolated_send)  # type: ignore[arg-type]
