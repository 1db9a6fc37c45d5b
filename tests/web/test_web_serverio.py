"""The server's receive and send run in an empty context, whether they finish at once (no task,
no turn of the event loop) or wait (finished in a task with that context): web/serverio.py."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from platform_core.web.serverio import _isolated

request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="")


async def test_a_call_that_does_not_wait_runs_in_an_empty_context_without_a_task():
    seen = []

    async def send():
        seen.append((request_var.get(), asyncio.current_task()))
        request_var.set("the server's")
        return "sent"

    request_var.set("the request's")
    assert await _isolated(send()) == "sent"
    assert seen == [("", asyncio.current_task())]
    assert request_var.get() == "the request's"


async def test_a_call_that_waits_finishes_in_the_empty_context():
    ready = asyncio.get_running_loop().create_future()
    seen = []

    async def receive():
        seen.append(request_var.get())
        await ready
        seen.append(request_var.get())
        await asyncio.sleep(0)
        seen.append(request_var.get())
        return ready.result()

    request_var.set("the request's")
    asyncio.get_running_loop().call_later(0.01, ready.set_result, {"type": "http.request"})
    assert await _isolated(receive()) == {"type": "http.request"}
    assert seen == ["", "", ""]


async def test_a_failure_and_a_cancellation_reach_the_caller():
    async def fails():
        await asyncio.sleep(0)
        raise ValueError("disconnected")

    with pytest.raises(ValueError, match="disconnected"):
        await _isolated(fails())

    cancelled = asyncio.Event()

    async def waits():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    task = asyncio.ensure_future(_isolated(waits()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
