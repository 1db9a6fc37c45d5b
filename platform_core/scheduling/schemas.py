"""The slot engine's inputs and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Awaitable, Callable

import msgspec


class BookingRules(msgspec.Struct, frozen=True, kw_only=True):
    """The franchise's booking settings the slot engine needs (orders keeps them)."""

    slot_minutes: int = 30
    lead_minutes: int = 120
    horizon_days: int = 14
    # Workers kept free for others (priority holders, booking.availability.booking_window): a
    # slot is offered only while its free workers outnumber the orders waiting for them by more.
    held_back: int = 0


class Demand(msgspec.Struct, frozen=True):
    """A live order waiting for a worker, or held by one for now: the time it needs, the skills
    of its item, and the worker the customer picked (if any)."""

    order_id: int
    start: datetime
    end: datetime
    skills: frozenset[str]
    requested_staff_id: int | None


# The orders waiting for a worker or held by one whose visit overlaps [start, end):
# orders.services.pending_demand, passed in by booking, which sits above both.
WaitingOrders = Callable[[datetime, datetime], Awaitable[list[Demand]]]
# Which of these workers may take a visit starting on this local day (the credentials and courses
# the work needs): qualifications' answer, passed in by booking.
Qualified = Callable[[list[int], date], Awaitable[set[int]]]


class Slot(msgspec.Struct, frozen=True, kw_only=True):
    """A bookable start time and the workers free for the whole visit."""

    start: datetime
    end: datetime
    staff_ids: list[int]


class Availability(msgspec.Struct, frozen=True, kw_only=True):
    """GET /api/v1/availability: the slots of one item on one day of the tenant's calendar."""

    item: str
    date: date
    timezone: str
    duration_minutes: int
    slots: list[Slot]
