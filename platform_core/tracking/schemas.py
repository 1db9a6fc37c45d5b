from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec


class PositionIn(msgspec.Struct, frozen=True, kw_only=True):
    """A reading of the worker's browser geolocation."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None


class TrackUpdate(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What the customer's socket receives.

    - ``position``: the worker's last position, the straight-line distance to the address in
      metres and the ETA in seconds (None without the address's coordinates).
    - ``waiting``: the worker has accepted but has not left yet.
    - ``ended``: sharing has stopped (arrived, or the order left the way); the socket closes.
    """

    type: Literal["position", "waiting", "ended"]
    state: str
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None
    at: datetime | None = None
    distance_m: int | None = None
    eta_s: int | None = None


class TrackView(msgspec.Struct, frozen=True, kw_only=True):
    """What the customer's order page needs to draw the map before the socket speaks."""

    number: str
    state: str
    destination: tuple[float, float] | None
    last: TrackUpdate
