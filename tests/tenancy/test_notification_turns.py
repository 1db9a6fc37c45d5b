"""Provider notifications give way to people in a web process: with nobody else served they all
go at once; while a person's request is served (and a moment after), two at most, the rest
waiting their turn."""

from __future__ import annotations

import asyncio

from platform_core.tenancy.turns import NotificationTurns

QUIET = 0.05


async def working(turns: NotificationTurns, started: list[int], number: int, release: asyncio.Event) -> None:
    async with turns.notification():
        started.append(number)
        await release.wait()


async def person_served(turns: NotificationTurns, done: asyncio.Event) -> None:
    async with turns.person():
        await done.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_with_nobody_else_served_every_notification_is_worked_on_at_once():
    turns, started, release = NotificationTurns(2), [], asyncio.Event()
    tasks = [asyncio.create_task(working(turns, started, n, release)) for n in range(8)]
    await settle()
    assert sorted(started) == list(range(8))
    release.set()
    await asyncio.gather(*tasks)
    assert turns.notifying == 0


async def test_while_a_person_is_served_two_notifications_go_and_the_rest_wait_their_turn():
    turns, started = NotificationTurns(2, quiet=QUIET), []
    releases = [asyncio.Event() for _ in range(5)]
    person_done = asyncio.Event()
    booking = asyncio.create_task(person_served(turns, person_done))
    await settle()
    tasks = [asyncio.create_task(working(turns, started, n, releases[n])) for n in range(5)]
    await settle()
    assert started == [0, 1]
    releases[0].set()  # one finishes: the next takes its turn
    await settle()
    assert started == [0, 1, 2]
    person_done.set()  # the person's next request may follow at once: still their turn
    await settle()
    assert started == [0, 1, 2]
    await asyncio.sleep(QUIET * 2)  # nobody else served for a moment: the rest go at once
    assert started == [0, 1, 2, 3, 4]
    for release in releases:
        release.set()
    await asyncio.gather(booking, *tasks)
    assert (turns.people, turns.notifying, turns.waiting) == (0, 0, 0)


async def test_a_notification_that_gives_up_waiting_leaves_no_turn_taken():
    turns, started = NotificationTurns(1, quiet=QUIET), []
    release = asyncio.Event()
    person_done = asyncio.Event()
    booking = asyncio.create_task(person_served(turns, person_done))
    first = asyncio.create_task(working(turns, started, 0, release))
    await settle()
    waiting = asyncio.create_task(working(turns, started, 1, release))
    await settle()
    assert turns.waiting == 1
    waiting.cancel()  # the provider hung up
    await settle()
    assert turns.waiting == 0 and turns.notifying == 1 and started == [0]
    release.set()
    person_done.set()
    await asyncio.gather(booking, first)
    assert (turns.people, turns.notifying) == (0, 0)
