"""`[plugins.referral.data]` of a tenant file (the demo's 阳光家政): the welcome coupon and the
levels, their coupon templates named by name (one of the file's `[[promotions.coupons]]`, created before plugin data is
applied), written into the plugin's settings as their ids. Applying the file twice changes
nothing."""

from __future__ import annotations

import msgspec

from platform_core.plugin_api import (
    TenantFileEvent,
    ValidationFailed,
    coupon_templates,
    plugin_config,
    update_own_config,
)

from .config import Level, ReferralConfig


class LevelEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    threshold: int
    name: str
    bonus: int = 0
    coupon: str | None = None  # the level's free-service voucher


class ReferralData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    welcome_coupon: str | None = None  # the friend's welcome coupon
    inviter_coupon: str | None = None  # the inviter's voucher (inviter_reward = "coupon")
    levels: list[LevelEntry] | None = None  # replaces the settings' levels


async def apply(event: TenantFileEvent) -> None:
    try:
        data = msgspec.convert(event.data, ReferralData)
    except msgspec.ValidationError as exc:
        raise ValidationFailed({"plugins.referral.data": str(exc)}) from None
    templates = {t.name: t.id for t in await coupon_templates()}
    for name in [data.welcome_coupon, data.inviter_coupon, *(lv.coupon for lv in data.levels or [])]:
        if name is not None and name not in templates:
            raise ValidationFailed({"plugins.referral.data": f"no coupon template named {name!r}"})
    config = await plugin_config(ReferralConfig)
    wanted: dict = {}
    if data.welcome_coupon and config.invitee_coupon_template_id != templates[data.welcome_coupon]:
        wanted["invitee_coupon_template_id"] = templates[data.welcome_coupon]
    if data.inviter_coupon and config.inviter_coupon_template_id != templates[data.inviter_coupon]:
        wanted["inviter_coupon_template_id"] = templates[data.inviter_coupon]
    if data.levels is not None:
        levels = [Level(threshold=lv.threshold, name=lv.name, bonus=lv.bonus, voucher_template_id=templates[lv.coupon] if lv.coupon else 0)
                  for lv in data.levels]
        if levels != config.levels:
            wanted["levels"] = msgspec.to_builtins(levels)
    if wanted:
        await update_own_config(ReferralConfig, wanted, actor="tenants-apply")
