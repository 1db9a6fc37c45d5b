"""`[plugins.elder_care.data]` of a tenant file (the demo's 阳光家政): elders with their
assessment and care plans for a customer named by phone, each made once (an elder is matched by
the customer and its name), so applying the file twice changes nothing. A plan's visits are
placed as any plan's are, and its carer is kept when named."""

from __future__ import annotations

from datetime import time, timedelta

import msgspec

from platform_core.plugin_api import (
    TenantFileEvent,
    ValidationFailed,
    current_tenant,
    customer_addresses,
    customer_id_for_phone,
    service_items,
)

from . import elders, lifecycle, plans


class PlanEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    item: str  # the item's slug
    weekdays: list[int]
    start_time: time
    end_time: time
    tasks: list[str] = []
    notes: str = ""
    starts_in_days: int = 1
    # The family already kept a carer (a plan running for months): active, no trial to decide.
    past_trial: bool = False


class ElderEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    customer_phone: str
    assessment: elders.AssessmentForm
    plans: list[PlanEntry] = []


class ElderCareData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    elders: list[ElderEntry] = []


async def apply(event: TenantFileEvent) -> None:
    try:
        data = msgspec.convert(event.data, ElderCareData)
    except msgspec.ValidationError as exc:
        raise ValidationFailed({"plugins.elder_care.data": str(exc)}) from None
    items = {i.slug: i.id for i in await service_items()}
    for entry in data.elders:
        customer_id = await customer_id_for_phone(current_tenant(), entry.customer_phone)
        if customer_id is None:
            raise ValidationFailed({"plugins.elder_care.data.elders": f"no customer with phone {entry.customer_phone!r}"})
        if any(e.data.name == entry.assessment.name for e in await elders.elders_of(customer_id)):
            continue
        elder = await elders.assess(customer_id, entry.assessment)
        addresses = await customer_addresses(customer_id)
        for p in entry.plans:
            if p.item not in items or not addresses:
                raise ValidationFailed({"plugins.elder_care.data.plans": f"no item {p.item!r} or the customer has no address"})
            plan = await plans.create_plan(customer_id, plans.PlanForm(
                elder_id=elder.id, item_id=items[p.item], address_id=addresses[0].id, weekdays=p.weekdays, start_time=p.start_time,
                end_time=p.end_time, starts_on=plans.today() + timedelta(days=p.starts_in_days), tasks=p.tasks, notes=p.notes))
            if p.past_trial:
                await lifecycle.waive_trial(plan.id)
