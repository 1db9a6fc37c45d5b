"""The HTTP protocol `hearth serve` runs: uvicorn's h11 protocol, except that a stopping process
answers the connections it has accepted but not yet read a request from.

uvicorn's graceful shutdown closes every connection without a request in flight. A connection the
process accepted a moment before it stopped listening has no request yet only because the
client's bytes are still on their way or unread in the socket; closing it with those bytes unread
makes the kernel reset it, and the client sees "connection reset by peer" on a request it had
every right to send (a reload of `hearth serve --workers N`, or a rolling deploy, loses a few).
Such a connection is given a moment to deliver its request, which is answered before the
connection is closed; one that sends nothing in that moment is closed as before. Idle keep-alive
connections are still closed at once: their clients expect that and retry.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# Seconds a stopping process waits for the first request on a connection it has just accepted.
FIRST_REQUEST_GRACE = 2.0


class DrainingH11Protocol(H11Protocol):
    draining: bool = False
    first_request_timer: asyncio.TimerHandle | None = None

    def shutdown(self) -> None:
        if self.cycle is None and self.conn.their_http_version is None and not self.transport.is_closing():
            self.draining = True
            self.first_request_timer = self.loop.call_later(FIRST_REQUEST_GRACE, self._close_unused)
            return
        super().shutdown()

    def handle_events(self) -> None:
        super().handle_events()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False
            if self.first_request_timer is not None:
                self.first_request_timer.cancel()
                self.first_request_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.first_request_timer is not None:
            self.first_request_timer.cancel()
            self.first_request_timer = None
        super().connection_lost(exc)

    def _close_unused(self) -> None:
        self.first_request_timer = None
        if self.cycle is None and not self.transport.is_closing():
            self.conn.send(h11.ConnectionClosed())
            self.transport.close()
