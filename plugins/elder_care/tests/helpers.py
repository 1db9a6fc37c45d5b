"""Shared steps of the elder care tests: a franchise with the plugin on, a family with an address
and an assessed elder, carers free all week, and a carer taking a visit's order (as dispatch
would: the order's worker and an accepted assignment)."""

from __future__ import annotations

from datetime import date, time, timedelta

import msgspec

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_customer,
    make_worker,
    qualify_worker,
)
from plugins.elder_care import care, elders, plans

ASSESSMENT = {"name": "Wang Guiying", "age": "82", "relation": "mother", "mobility": "aid", "cognition": "mild",
              "adl_feeding": "10", "adl_bathing": "0", "adl_grooming": "5", "adl_dressing": "5", "adl_bowels": "10",
              "adl_bladder": "5", "adl_toilet": "5", "adl_transfers": "10", "adl_mobility": "10", "adl_stairs": "0",
              "conditions": "High blood pressure", "medication": "Amlodipine 5 mg at 8:00", "contact_name": "Li Ming",
              "contact_phone": "13800001111", "contact_relation": "son"}  # Barthel 60: level 2


class Family(msgspec.Struct, kw_only=True):
    customer_id: int
    address_id: int
    elder_id: int
    items: dict[str, int]


async def care_items(tenant) -> dict[str, int]:
    async with tenant_scope(tenant.id):
        return {i.slug: i.id for i in await plans.care_items()}


async def family(tenant, **answers) -> Family:
    customer_id = await make_customer(tenant, name="Li Ming")
    address_id = await make_address(tenant, customer_id)
    async with tenant_scope(tenant.id):
        elder = await elders.assess(customer_id, msgspec.convert({**ASSESSMENT, **answers}, elders.AssessmentForm, strict=False))
    return Family(customer_id=customer_id, address_id=address_id, elder_id=elder.id, items=await care_items(tenant))


CARER_CREDENTIALS = ("elderly_carer", "health_certificate", "first_aid", "senior_elderly_carer")


async def carers(tenant, count: int = 2, *, qualified: bool = True) -> list[int]:
    """Carers free all week; qualified ones hold every certificate a care level asks for and have
    passed the plugin's course, so the visits can be placed and offered to them."""
    made = [await make_worker(tenant, f"Carer {n}", skills=("elder_care",), hours="mon-sun 07:00-21:00") for n in range(count)]
    if qualified:
        for carer in made:
            await qualify_worker(tenant, carer, credentials=CARER_CREDENTIALS, courses=(care.COURSE,))
    return made


def plan_form(fam: Family, starts_on: date, *, weekdays=(0, 2, 4), start=time(9), end=time(12), item="elder-companion-care",
              ends_on: date | None = None, tasks=("Lunch and medication", "A walk")) -> plans.PlanForm:
    return plans.PlanForm(elder_id=fam.elder_id, item_id=fam.items[item], address_id=fam.address_id, weekdays=list(weekdays),
                          start_time=start, end_time=end, starts_on=starts_on, ends_on=ends_on, tasks=list(tasks))


async def create_plan(tenant, fam: Family, starts_in: int = 1, **kwargs) -> plans.Plan:
    async with tenant_scope(tenant.id):
        return await plans.create_plan(fam.customer_id, plan_form(fam, plans.today() + timedelta(days=starts_in), **kwargs))


async def take(tenant, order_id: int, staff_id: int) -> None:
    """The carer holds the order, accepted (what dispatch's offer and the carer's accept leave)."""
    async with tenant_scope(tenant.id):
        conn = current_connection()
        await conn.execute("update core_order set state = 'accepted', staff_id = $2 where id = $1", order_id, staff_id)
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)


async def visits(tenant, plan_id: int) -> list[plans.Visit]:
    async with tenant_scope(tenant.id):
        return await plans.visits_of(plan_id, limit=500)


async def order_rows(tenant, order_ids) -> dict[int, dict]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select id, state, scheduled_start, scheduled_end, staff_id, total, payment_method from core_order where id = any($1::bigint[])",
            list(order_ids))
    return {r["id"]: dict(r) for r in rows}
