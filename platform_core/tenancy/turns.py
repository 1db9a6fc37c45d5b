"""Provider notifications give way to people in a web process (docs/payments.md).

A burst of payment notifications would otherwise take the process's turns from the people
booking and browsing on it: each in-flight request gets its share of the event loop. Providers
wait seconds for an answer and retry; people are waiting on a page. So while any person's request
is being served, at most `while_busy` notifications are worked on at once, and the others wait
before their transaction starts (holding no connection of the pool); with nobody else served,
notifications all go at once."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator


class NotificationTurns:
    def __init__(self, while_busy: int) -> None:
        self.while_busy = while_busy
        self.people = 0
        self.notifying = 0
        self.waiting = 0
        self._turn: asyncio.Condition | None = None

    def _may_start(self) -> bool:
        return self.people == 0 or self.notifying < self.while_busy

    @asynccontextmanager
    async def notification(self) -> AsyncIterator[None]:
        if self._may_start():
            self.notifying += 1  # no await since the check: nothing else ran in between
        else:
            turn = self._condition()
            self.waiting += 1
            try:
                async with turn:
                    await turn.wait_for(self._may_start)
                    self.notifying += 1
            finally:
                self.waiting -= 1
        try:
            yield
        finally:
            self.notifying -= 1
            await self._wake()

    @asynccontextmanager
    async def person(self) -> AsyncIterator[None]:
        self.people += 1
        try:
            yield
        finally:
            self.people -= 1
            if self.people == 0:
                await self._wake()

    def _condition(self) -> asyncio.Condition:
        # Made on first wait, in the loop that serves (one app may be built before its loop runs).
        if self._turn is None:
            self._turn = asyncio.Condition()
        return self._turn

    async def _wake(self) -> None:
        if self.waiting and self._turn is not None:
            async with self._turn:
                self._turn.notify_all()
