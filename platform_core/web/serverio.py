"""The server's receive and send run outside the request's context.

asyncio hands a transport callback the context of whoever armed it: when a request's task calls
the server's `receive()` while reading is paused (a body over uvicorn's 64 KB high-water mark) or
its last `send()` resumes reading, the transport's reader is re-armed inside that task's context
(cpython#140947). The server then parses the connection's next request in that context and starts
its task with a copy of it, so the next request on the keep-alive connection inherits this one's
ContextVars: the tenant, and Piccolo's current transaction, long committed and its connection back
in the pool (`InterfaceError ... released back to the pool`). Calling the server's callables in an
empty context keeps every request's context its own, whatever the server: their first step runs
inline in that context (most finish there: no task, no turn of the event loop), and one that
waits is finished in a task with the same context.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Coroutine

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send


async def _finish(coro: Coroutine[Any, Any, Any], waiting: Any) -> Any:
    """Drive `coro`, which has yielded `waiting` (the future it awaits), to its end: in a task
    of its own, so every step runs in that task's (empty) context."""
    while True:
        try:
            if waiting is None:  # a bare yield (asyncio.sleep(0))
                await asyncio.sleep(0)
            else:
                # As a task does with the future a coroutine yields: taken over, then awaited.
                waiting._asyncio_future_blocking = False
                await waiting
        except asyncio.CancelledError as cancel:
            if waiting is None or not waiting.cancelled():
                # This task was cancelled, not the future: the coroutine is told.
                try:
                    waiting = coro.throw(cancel)
                except StopIteration as stop:
                    return stop.value
                continue
        except Exception:  # noqa: S110 - the coroutine reads the future's outcome when resumed
            pass
        try:
            waiting = coro.send(None)
        except StopIteration as stop:
            return stop.value


async def _isolated(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run the server's `coro` outside the request's context. Its first step runs at once in an
    empty context: a send or receive that does not wait (the usual case) is then done without a
    task or a turn of the event loop; one that waits is finished in a task with that context."""
    context = contextvars.Context()
    try:
        waiting = context.run(coro.send, None)
    except StopIteration as stop:
        return stop.value
    return await asyncio.get_running_loop().create_task(_finish(coro, waiting), context=context)


class ServerIOMiddleware(ASGIMiddleware):
    """Outermost: every later middleware and handler sees only the isolated receive and send."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def isolated_receive() -> Message:
            return await _isolated(receive())  # type: ignore[arg-type]

        async def isolated_send(message: Message) -> None:
            await _isolated(send(message))  # type: ignore[arg-type]

        await next_app(scope, isolated_receive, isolated_send)  # type: ignore[arg-type]
