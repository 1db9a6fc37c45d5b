"""`[plugins.loyalty.data]` of a tenant file (the demo's 阳光家政): tasks and rewards of the shop,
matched by task code and reward name, so applying the file twice changes nothing. A coupon
reward names its coupon template by name (one of the file's `[[promotions.coupons]]`)."""

from __future__ import annotations

import msgspec

from platform_core.plugin_api import TenantFileEvent, ValidationFailed, coupon_templates

from . import shop, tasks
from .shop import RewardInput
from .tasks import TaskInput


class RewardEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    kind: str
    points: int
    description: str = ""
    stock: int | None = None
    coupon: str | None = None  # the coupon template's name


class LoyaltyData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    tasks: list[TaskInput] = []
    rewards: list[RewardEntry] = []


async def apply(event: TenantFileEvent) -> None:
    try:
        data = msgspec.convert(event.data, LoyaltyData)
    except msgspec.ValidationError as exc:
        raise ValidationFailed({"plugins.loyalty.data": str(exc)}) from None
    known_tasks = {t.code for t in await tasks.list_tasks()}
    for task in data.tasks:
        if task.code not in known_tasks:
            await tasks.save_task(task)
    known_rewards = {r.name for r in await shop.list_rewards()}
    templates = {t.name: t.id for t in await coupon_templates()}
    for entry in data.rewards:
        if entry.name in known_rewards:
            continue
        if entry.coupon is not None and entry.coupon not in templates:
            raise ValidationFailed({"plugins.loyalty.data.rewards": f"no coupon template named {entry.coupon!r}"})
        await shop.create_reward(msgspec.convert({
            "kind": entry.kind, "name": entry.name, "points": entry.points, "description": entry.description,
            "stock": entry.stock, "coupon_template_id": templates.get(entry.coupon) if entry.coupon else None, "active": True,
        }, RewardInput))
