"""The franchise's loyalty settings: one frozen Struct, every field with a default (docs/plugins.md
"Config and secrets"). Tiers, tasks and the rewards shop are rows of the plugin's own tables,
edited on its console pages; what is here are the programme's scalar rules."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class LoyaltyConfig(msgspec.Struct, frozen=True, kw_only=True):
    # ---- points: earning, refunds, expiry
    earn_mode: Annotated[
        Literal["per_yuan", "per_service"],
        msgspec.Meta(title="Earn points", description="per_yuan: for each ¥1 paid; per_service: a fixed number per completed service"),
    ] = "per_yuan"
    points_per_yuan: Annotated[int, msgspec.Meta(ge=0, le=1000, title="Points per ¥1 paid")] = 1
    points_per_service: Annotated[int, msgspec.Meta(ge=0, le=100000, title="Points per completed service")] = 100
    category_multipliers: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=40)], Annotated[int, msgspec.Meta(ge=0, le=1000)]],
        msgspec.Meta(title="Category multipliers", description="Percent of the points a category earns, by category code: {\"elder_care\": 200} earns double"),
    ] = {}
    expiry_months: Annotated[int, msgspec.Meta(ge=0, le=120, title="Points expire after (months)", description="0: points never expire")] = 24
    refund_policy: Annotated[
        Literal["debt", "write_off"],
        msgspec.Meta(title="When refunded points were spent already", description="debt: future points pay them back first; write_off: the franchise absorbs them"),
    ] = "debt"
    points_per_yuan_value: Annotated[int, msgspec.Meta(ge=1, le=100000, title="Points worth ¥1", description="For the liability report and the member centre: how many points the franchise counts as ¥1")] = 100

    # ---- daily check-in and tasks
    checkin_on: Annotated[bool, msgspec.Meta(title="Daily check-in")] = True
    checkin_points: Annotated[int, msgspec.Meta(ge=0, le=10000, title="Points per daily check-in")] = 5
    checkin_day7_points: Annotated[
        int, msgspec.Meta(ge=0, le=100000, title="Points on the 7th day in a row", description="Given instead of the daily points on every 7th day of a streak")
    ] = 30
    checkin_day7_coupon_template_id: Annotated[
        int, msgspec.Meta(ge=0, le=2**63 - 1, title="Coupon on the 7th day in a row", description="The id of a coupon template, or 0 for none")
    ] = 0
    checkin_grace_days: Annotated[
        int, msgspec.Meta(ge=0, le=7, title="Missed days a streak survives", description="0: a streak starts again after one missed day")
    ] = 0

    # ---- member tiers
    tier_grace_days: Annotated[
        int,
        msgspec.Meta(ge=0, le=365, title="Days before a downgrade", description="A member who no longer meets their tier keeps it this long"),
    ] = 30
