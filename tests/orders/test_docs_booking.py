"""docs/booking.md keeps up with the order state machine: every event and state is in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from platform_core.orders import machine as m

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "booking.md"
EVENTS = [t.event for t in m.TRANSITIONS]


def _table_events() -> set[str]:
    """The events in the rows (| `event` | ...) of the guide's state machine section."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## The order state machine", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))


def test_there_are_transitions_to_check():
    assert "place" in EVENTS and "resolve_complete" in EVENTS


@pytest.mark.parametrize("event", EVENTS)
def test_every_order_event_has_a_row_in_the_booking_guide(event):
    assert event in _table_events(), f"docs/booking.md needs a row '| `{event}` | ...' in the state machine table"


@pytest.mark.parametrize("state", m.STATES)
def test_every_order_state_is_named_in_the_booking_guide(state):
    assert f"`{state}`" in GUIDE.read_text(encoding="utf-8"), f"docs/booking.md should name the state `{state}`"
