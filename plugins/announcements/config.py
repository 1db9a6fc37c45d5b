from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec


class AnnouncementsConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One notice per franchise. Empty title and body: nothing is shown."""

    title: Annotated[str, msgspec.Meta(max_length=80, title="Title", description="A short headline, e.g. Closed for the Spring Festival")] = ""
    body: Annotated[str, msgspec.Meta(max_length=500, title="Message")] = ""
    level: Annotated[Literal["info", "warning", "success"], msgspec.Meta(title="Style")] = "info"
    show_on: Annotated[Literal["customer", "staff", "both"], msgspec.Meta(title="Show on", description="customer: the booking site; staff: the staff app")] = "customer"
    starts_on: Annotated[date | None, msgspec.Meta(title="First day", description="Leave empty to show from today")] = None
    ends_on: Annotated[date | None, msgspec.Meta(title="Last day", description="Leave empty to show until you remove it")] = None

    def __post_init__(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            # "field: message" points the error at that field of the settings form.
            raise ValueError("ends_on: The last day is before the first day.")
