"""`hearth tenants apply`: a tenant file's [[campaigns]], each with its coupon, created when
missing (matched by name) and started; a campaign that exists is left as the console left it."""

from __future__ import annotations

from typing import Any

import msgspec

from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.promotions.services import create_template, list_templates
from platform_core.tenancy.context import tenant_scope

from . import campaigns
from .schemas import CampaignCreate


class CampaignSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A [[campaigns]] entry: the campaign's fields, its channels by name and, inline, the coupon
    template it gives (created with the campaign when no template has its name)."""

    name: str
    audience: str
    title: str
    body: str = ""
    trigger_days: int | None = None
    coupon_cap: int | None = None
    channels: list[str] = msgspec.field(default_factory=lambda: ["inbox"])
    banner_days: int = 7
    coupon: dict[str, Any] | None = None


async def _template_id(coupon: dict[str, Any]) -> int:
    fields = msgspec.convert(coupon, CouponTemplateFields)
    found = [t.id for t in await list_templates() if t.name == fields.name]
    return found[0] if found else (await create_template(fields)).id


async def apply_campaigns(tenant_id: int, slug: str, entries: list[dict[str, Any]]) -> list[str]:
    changes: list[str] = []
    async with tenant_scope(tenant_id):
        existing = {c.campaign.name for c in await campaigns.list_campaigns()}
        for entry in entries:
            spec = msgspec.convert(entry, CampaignSpec)
            if spec.name in existing:
                continue
            data = msgspec.convert({
                "name": spec.name, "audience": spec.audience, "title": spec.title, "body": spec.body,
                "trigger_days": spec.trigger_days, "coupon_cap": spec.coupon_cap, "banner_days": spec.banner_days,
                "template_id": await _template_id(spec.coupon) if spec.coupon else None,
                **{f"via_{channel}": channel in spec.channels for channel in ("inbox", "sms", "banner")},
            }, CampaignCreate)
            created = await campaigns.create_campaign(data)
            await campaigns.schedule_campaign(created.id)
            changes.append(f"{slug}: campaign {spec.name} started")
    return changes
