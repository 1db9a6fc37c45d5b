"""The `[[promotions.coupons]]`, `[[promotions.rules]]` and `[[promotions.channels]]` of
tenants/*.toml: the franchise's coupon templates, automatic discount rules and partner channels.

Each entry is matched by its name: what differs is updated, what is missing is created, so
applying a file twice changes nothing. Entries the console added are left alone. Other keys of
`[promotions]` (a campaign) belong to their own blocks and are not read here.
"""

from __future__ import annotations

from typing import Any

import msgspec

from platform_core.errors import ValidationFailed
from platform_core.marketing.schemas import ChannelCreate
from platform_core.marketing.services import (
    create_channel,
    list_channels,
    update_channel,
)
from platform_core.promotions import pricing, services
from platform_core.promotions.schemas import CouponTemplateFields, RuleFields
from platform_core.tenancy.context import tenant_scope


def _convert(entries: list[dict[str, Any]], kind: type, section: str) -> list[Any]:
    try:
        return [msgspec.convert(entry, kind) for entry in entries]
    except msgspec.ValidationError as exc:
        raise ValidationFailed({f"promotions.{section}": str(exc)}, message="A tenant file is not valid.") from None


def _fields(kind: type, found: msgspec.Struct) -> msgspec.Struct:
    """The part of a stored row the file sets, to compare with the file's entry."""
    return kind(**{name: getattr(found, name) for name in kind.__struct_fields__})


def _normal_template(data: CouponTemplateFields) -> CouponTemplateFields:
    """As the template is stored: a public code in its typed-in form."""
    code = services.normal_code(data.public_code) if data.public_code else None
    return msgspec.structs.replace(data, name=data.name.strip(), description=data.description.strip(), public_code=code)


def _normal_rule(data: RuleFields) -> RuleFields:
    return msgspec.structs.replace(data, name=data.name.strip(), weekdays=sorted(set(data.weekdays)), district=data.district.strip())


async def apply_promotions(tenant_id: int, slug: str, spec: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Coupon templates, discount rules and partner channels of one tenant file, in one transaction."""
    templates = [_normal_template(t) for t in _convert(spec.get("coupons", []), CouponTemplateFields, "coupons")]
    rules = [_normal_rule(r) for r in _convert(spec.get("rules", []), RuleFields, "rules")]
    channels = _convert(spec.get("channels", []), ChannelCreate, "channels")
    changes: list[str] = []
    async with tenant_scope(tenant_id):
        if templates:
            changes.extend(await _apply_templates(slug, templates))
        if rules:
            changes.extend(await _apply_rules(slug, rules))
        if channels:
            changes.extend(await _apply_channels(slug, channels))
    return changes


async def _apply_by_name(slug: str, what: str, wanted: list, existing: dict, fields: type, create, update) -> list[str]:
    """Create what is missing, update what differs (compared on the fields the file sets)."""
    changes: list[str] = []
    for data in wanted:
        found = existing.get(data.name)
        if found is None:
            await create(data)
            changes.append(f"{slug}: {what} {data.name} created")
        elif _fields(fields, found) != data:
            await update(found.id, data)
            changes.append(f"{slug}: {what} {data.name} updated")
    return changes


async def _apply_templates(slug: str, wanted: list[CouponTemplateFields]) -> list[str]:
    existing = {t.name: t for t in await services.list_templates()}
    return await _apply_by_name(slug, "coupon template", wanted, existing, CouponTemplateFields,
                                services.create_template, services.update_template)


async def _apply_rules(slug: str, wanted: list[RuleFields]) -> list[str]:
    existing = {r.name: r for r in await pricing.list_rules()}
    return await _apply_by_name(slug, "discount rule", wanted, existing, RuleFields, pricing.create_rule, pricing.update_rule)


async def _apply_channels(slug: str, wanted: list[ChannelCreate]) -> list[str]:
    existing = {c.channel.name: c.channel for c in await list_channels()}
    changes: list[str] = []
    for data in wanted:
        found = existing.get(data.name.strip())
        if found is None:
            await create_channel(data)
            changes.append(f"{slug}: channel {data.name} created")
        elif (found.kind, found.notes) != (data.kind, data.notes.strip()):
            await update_channel(found.id, data)
            changes.append(f"{slug}: channel {data.name} updated")
    return changes
