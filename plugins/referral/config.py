"""The franchise's referral rules: one frozen Struct, every field with a default, checked as a
whole (`__post_init__`: "field: message" names the field on the settings form)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

TemplateId = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Minor = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]


class Level(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An inviter level: reached with `threshold` successful invites (friends rewarded)."""

    threshold: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[^\x00]*$")]
    voucher_template_id: TemplateId = 0  # a free service voucher, issued once on reaching it
    support_agent_id: TemplateId = 0  # a console user who handles the inviter's feedback
    bonus: Minor = 0  # added to each red packet from then on (minor units)


class ReferralConfig(msgspec.Struct, frozen=True, kw_only=True):
    # ---- binding
    bind_days: Annotated[
        int, msgspec.Meta(ge=1, le=90, title="Days an invite link counts", description="A friend who signs up within this many days of first opening the link is bound to the inviter")
    ] = 7
    # ---- the friend's qualifying spend
    threshold: Annotated[
        Minor, msgspec.Meta(title="Qualifying spend (minor units)", description="The friend's completed, paid spend that earns the inviter's reward, e.g. 10000 for ¥100")
    ] = 10_000
    window_days: Annotated[
        int, msgspec.Meta(ge=1, le=365, title="Days to reach the spend", description="Counted from the friend's sign-up; a refund within these days takes the reward back")
    ] = 30
    # ---- rewards
    inviter_reward: Annotated[
        Literal["cash", "coupon"], msgspec.Meta(title="Inviter's reward", description="cash: a red packet to their earnings; coupon: a service voucher")
    ] = "cash"
    inviter_amount: Annotated[Minor, msgspec.Meta(title="Red packet (minor units)", description="e.g. 2000 for ¥20")] = 2000
    inviter_coupon_template_id: Annotated[TemplateId, msgspec.Meta(title="Inviter's voucher", description="A coupon template's id (for the coupon reward)")] = 0
    invitee_coupon_template_id: Annotated[
        TemplateId, msgspec.Meta(title="Friend's welcome coupon", description="A coupon template's id given at sign-up; 0 for none")
    ] = 0
    levels: Annotated[
        list[Level], msgspec.Meta(title="Inviter levels", description='e.g. [{"threshold": 3, "name": "银牌邀请官", "bonus": 500}]')
    ] = []
    # ---- fraud
    daily_limit: Annotated[
        int, msgspec.Meta(ge=1, le=1000, title="Friends per inviter per day", description="Friends beyond this in one day wait in the review queue")
    ] = 10
    burst_hours: Annotated[int, msgspec.Meta(ge=0, le=72, title="Burst window (hours)", description="0: off")] = 1
    burst_count: Annotated[
        int, msgspec.Meta(ge=2, le=1000, title="Friends in a burst", description="This many friends of one inviter within the burst window: their rewards wait for review")
    ] = 5

    def __post_init__(self) -> None:
        if self.inviter_reward == "coupon" and not self.inviter_coupon_template_id:
            raise ValueError("inviter_coupon_template_id: Choose the voucher the inviter gets.")
        thresholds = [level.threshold for level in self.levels]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("levels: Give each level a larger number of invites than the one before.")
        if len(self.levels) > 10:
            raise ValueError("levels: Use at most 10 levels.")

    def level_for(self, successes: int) -> Level | None:
        """The highest level `successes` reaches, or None."""
        reached = [level for level in self.levels if successes >= level.threshold]
        return reached[-1] if reached else None

    def next_level(self, successes: int) -> Level | None:
        return next((level for level in self.levels if successes < level.threshold), None)
