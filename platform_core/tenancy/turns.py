"""Provider notifications give way to people in a web process (docs/payments.md).

A burst of payment notifications would otherwise take the process's turns from the people
booking and browsing on it: each in-flight request gets its share of the event loop. Providers
wait seconds for an answer and retry; people are waiting on a page. So while a person's request
is being served, or one ended a moment ago (`quiet`: the gap before the same person's next
request), at most `while_busy` notifications are worked on at once, and the others wait before
their transaction starts (holding no connection of the pool); with nobody else served,
notifications all go at once."""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator

QUIET_AFTER_PEOPLE = 0.05  # seconds


class NotificationTurns:
    def __init__(self, while_busy: int, *, quiet: float = QUIET_AFTER_PEOPLE) -> None:
        self.while_busy = while_busy
        self.quiet = quiet
        self.people = 0
        self.notifying = 0
        self._person_left = float("-inf")
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not waiter.done() for waiter in self._waiters)

    def _may_start(self) -> bool:
        if self.notifying < self.while_busy:
            return True
        # A timer a hair early only delays the waiters to the next notification's end.
        return self.people == 0 and asyncio.get_running_loop().time() - self._person_left >= self.quiet

    def _admit(self) -> None:
        """Turns to the notifications waiting, first come first served, while they may start."""
        while self._waiters and self._may_start():
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled one (its provider hung up) takes no turn
                self.notifying += 1
                waiter.set_result(None)

    @asynccontextmanager
    async def notification(self) -> AsyncIterator[None]:
        if not self._waiters and self._may_start():
            self.notifying += 1
        else:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed a turn as it was cancelled
                    self.notifying -= 1
                    self._admit()
                raise
        try:
            yield
        finally:
            self.notifying -= 1
            self._admit()

    @asynccontextmanager
    async def person(self) -> AsyncIterator[None]:
        self.people += 1
        try:
            yield
        finally:
            self.people -= 1
            if self.people == 0:
                loop = asyncio.get_running_loop()
                self._person_left = loop.time()
                if self._waiters:
                    loop.call_later(self.quiet, self._admit)
