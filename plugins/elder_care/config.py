"""The franchise's elder care settings: one frozen Struct, every field with a default, checked as
a whole (`__post_init__`: "field: message" names the field on the settings form)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Minor = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class ElderCareConfig(msgspec.Struct, frozen=True, kw_only=True):
    trial_days: Annotated[
        int, msgspec.Meta(ge=0, le=60, title="Trial period (days)", description="A new care plan's first days (试工): after them the family keeps the carer or asks for another. 0: no trial")
    ] = 7
    horizon_days: Annotated[
        int, msgspec.Meta(ge=1, le=60, title="Days of visits booked ahead", description="A care plan's visits become orders this many days ahead (the daily job keeps the window full)")
    ] = 14
    level_2_surcharge: Annotated[Minor, msgspec.Meta(title="Care level 2 surcharge per visit (minor units)", description="e.g. 2000 for ¥20")] = 2000
    level_3_surcharge: Annotated[Minor, msgspec.Meta(title="Care level 3 surcharge per visit (minor units)")] = 5000
    level_4_surcharge: Annotated[Minor, msgspec.Meta(title="Care level 4 surcharge per visit (minor units)")] = 8000

    def __post_init__(self) -> None:
        if not self.level_2_surcharge <= self.level_3_surcharge <= self.level_4_surcharge:
            raise ValueError("level_3_surcharge: A higher care level may not cost less than a lower one.")

    def surcharge(self, level: int) -> int:
        return {2: self.level_2_surcharge, 3: self.level_3_surcharge, 4: self.level_4_surcharge}.get(level, 0)
