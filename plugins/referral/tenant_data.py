"""`[plugins.referral.data]` of a tenant file (the demo's 阳光家政): the coupon templates of the
rules named by name (one of the file's `[[promotions.coupons]]`, created before plugin data is
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

from .config import ReferralConfig


class LevelVoucher(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    threshold: int
    coupon: str


class ReferralData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    welcome_coupon: str | None = None  # the friend's welcome coupon
    inviter_coupon: str | None = None  # the inviter's voucher (inviter_reward = "coupon")
    level_vouchers: list[LevelVoucher] = []


async def apply(event: TenantFileEvent) -> None:
    try:
        data = msgspec.convert(event.data, ReferralData)
    except msgspec.ValidationError as exc:
        raise ValidationFailed({"plugins.referral.data": str(exc)}) from None
    templates = {t.name: t.id for t in await coupon_templates()}
    for name in [data.welcome_coupon, data.inviter_coupon, *(v.coupon for v in data.level_vouchers)]:
        if name is not None and name not in templates:
            raise ValidationFailed({"plugins.referral.data": f"no coupon template named {name!r}"})
    config = await plugin_config(ReferralConfig)
    wanted: dict = {}
    if data.welcome_coupon and config.invitee_coupon_template_id != templates[data.welcome_coupon]:
        wanted["invitee_coupon_template_id"] = templates[data.welcome_coupon]
    if data.inviter_coupon and config.inviter_coupon_template_id != templates[data.inviter_coupon]:
        wanted["inviter_coupon_template_id"] = templates[data.inviter_coupon]
    vouchers = {v.threshold: templates[v.coupon] for v in data.level_vouchers}
    levels = [msgspec.structs.replace(lv, voucher_template_id=vouchers.get(lv.threshold, lv.voucher_template_id)) for lv in config.levels]
    if levels != config.levels:
        wanted["levels"] = msgspec.to_builtins(levels)
    if wanted:
        await update_own_config(ReferralConfig, wanted, actor="tenants-apply")
