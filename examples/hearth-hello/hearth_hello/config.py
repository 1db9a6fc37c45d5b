from __future__ import annotations

from typing import Annotated

import msgspec


class HelloConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Frozen, and every field has a default: a tenant that sets nothing still works."""

    greeting: Annotated[str, msgspec.Meta(min_length=1, max_length=60, title="Greeting")] = "Hello"
    times: Annotated[int, msgspec.Meta(ge=1, le=5, title="Times", description="How often to say it")] = 1
    # Ends in _key: encrypted at rest, shown back masked, blank in a form keeps it.
    webhook_key: str = ""
