"""A stopping web process answers the request of a connection it accepted just before it stopped
listening, where uvicorn's own protocol closed that connection unread and the client saw
"connection reset by peer" (one request in ten thousand during a reload of `hearth serve`)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from platform_core.draining import DrainingH11Protocol


async def hello(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def answer_after_shutdown_begins(protocol: type[asyncio.Protocol]) -> bytes:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = uvicorn.Server(uvicorn.Config(hello, http=protocol, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)

    reader, writer = await asyncio.open_connection(*listener.getsockname())
    while not server.server_state.connections:  # accepted, and no request on it yet
        await asyncio.sleep(0.01)
    server.should_exit = True
    await asyncio.sleep(0.3)  # the server has told each connection to shut down

    writer.write(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
    try:
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
    except ConnectionError:
        answer = b""
    writer.close()
    await serving
    listener.close()
    return answer


async def test_a_connection_accepted_before_shutdown_gets_its_answer():
    answer = await answer_after_shutdown_begins(DrainingH11Protocol)
    # Read to the end: the process closed the connection once it had answered.
    assert answer.startswith(b"HTTP/1.1 200") and b"hello" in answer


async def test_uvicorns_own_protocol_drops_that_connection():
    # Why the protocol exists: without it the same client gets nothing back.
    assert await answer_after_shutdown_begins(H11Protocol) == b""


async def test_a_connection_that_never_sends_is_closed_after_the_grace(monkeypatch):
    monkeypatch.setattr("platform_core.draining.FIRST_REQUEST_GRACE", 0.2)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = uvicorn.Server(uvicorn.Config(hello, http=DrainingH11Protocol, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    reader, writer = await asyncio.open_connection(*listener.getsockname())
    while not server.server_state.connections:
        await asyncio.sleep(0.01)
    server.should_exit = True
    assert await asyncio.wait_for(reader.read(), 5) == b""
    await asyncio.wait_for(serving, 5)
    writer.close()
    listener.close()
