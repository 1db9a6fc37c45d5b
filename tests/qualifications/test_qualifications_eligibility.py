"""Eligibility: the franchise's rules and the plugins' requirements (credentials and courses),
checked by date at query time, in dispatch, the office's manual assignment, the slot engine and
the item page's worker list; revoking a credential flags the worker's future orders that need it."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from platform_core import clock
from platform_core.booking.availability import eligible_workers, item_availability
from platform_core.catalog.services import get_item
from platform_core.db import current_connection
from platform_core.dispatch import offers
from platform_core.dispatch.candidates import rank_candidates, unqualified
from platform_core.errors import ValidationFailed
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import get_order
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import CourseEvent
from platform_core.qualifications import credentials, rules
from platform_core.qualifications.eligibility import eligibility
from platform_core.qualifications.schemas import RuleCreate
from platform_core.staff.services import workers_for_skills
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    HOME,
    NEAR,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from platform_core.web.i18n import set_locale

from .helpers import CarerRules, give_credential, requirements_plugin

OFFICE = ActorRef(kind="console", id=1)


def _local(tenant, day, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(tenant.timezone))


async def _category_item(tenant, **kwargs) -> tuple[str, int]:
    category = f"care-{secrets.token_hex(3)}"
    return category, await make_item(tenant, category=category, skills=("cleaning",), **kwargs)


async def _require(tenant, category: str, kind: str, item_id: int | None = None) -> None:
    async with tenant_scope(tenant.id):
        await rules.add_rule(RuleCreate(category=category, kind=kind, item_id=item_id), by=1, categories={category})


async def _ranked(tenant, order_id: int) -> list[int]:
    async with tenant_scope(tenant.id):
        return [c.staff_id for c in await rank_candidates(await get_order(order_id))]


async def test_a_rule_keeps_workers_without_a_valid_credential_out_of_dispatch_from_the_day_after_expiry(runtime, tenant_a):
    set_locale("en")
    category, item = await _category_item(tenant_a)
    await _require(tenant_a, category, "health_certificate")
    visit_day = clock.today(tenant_a.timezone) + timedelta(days=3)
    holder = await make_worker(tenant_a, "持证", home=HOME)
    without = await make_worker(tenant_a, "无证", home=HOME)
    pending = await make_worker(tenant_a, "待审", home=HOME)
    await give_credential(tenant_a, holder, "health_certificate", expires_on=visit_day)
    await give_credential(tenant_a, pending, "health_certificate", expires_on=visit_day + timedelta(days=300), approve=False)
    customer = await make_customer(tenant_a)
    on_expiry_day = await make_order(tenant_a, item_id=item, customer_id=customer, starts=_local(tenant_a, visit_day), state="paid", at=NEAR)
    day_after = await make_order(tenant_a, item_id=item, customer_id=customer, starts=_local(tenant_a, visit_day + timedelta(days=1)),
                                 state="paid", at=NEAR)
    assert await _ranked(tenant_a, on_expiry_day) == [holder]
    assert await _ranked(tenant_a, day_after) == []
    async with tenant_scope(tenant_a.id):
        why = await unqualified(await get_order(day_after), [holder, without, pending])
        assert set(why) == {holder, without, pending}
        assert "Health certificate" in why[holder][0] and str(visit_day + timedelta(days=1)) in why[holder][0]
        assert await eligibility([holder], category=category, item_id=item, on=visit_day) == {holder: []}


async def test_an_item_rule_applies_to_that_item_only(runtime, tenant_a):
    category, repair = await _category_item(tenant_a)
    other = await make_item(tenant_a, category=category, skills=("cleaning",))
    await _require(tenant_a, category, "electrician", item_id=repair)
    worker = await make_worker(tenant_a, home=HOME)
    day = clock.today(tenant_a.timezone) + timedelta(days=2)
    async with tenant_scope(tenant_a.id):
        assert (await eligibility([worker], category=category, item_id=repair, on=day))[worker]
        assert (await eligibility([worker], category=category, item_id=other, on=day))[worker] == []


async def test_a_plugins_course_and_credential_requirement_holds_until_the_pass_is_recorded(runtime, tenant_a):
    category, item = await _category_item(tenant_a)
    carer = await make_worker(tenant_a, "护理员", home=HOME)
    await give_credential(tenant_a, carer, "elderly_carer")
    order = await make_order(tenant_a, item_id=item, starts=_local(tenant_a, clock.today(tenant_a.timezone) + timedelta(days=2)),
                             state="paid", at=NEAR)
    with requirements_plugin(runtime, CarerRules(category, credentials=("elderly_carer",), courses=("carer-basics",))):
        assert await _ranked(tenant_a, order) == []
        async with tenant_scope(tenant_a.id) as tenant:
            why = (await unqualified(await get_order(order), [carer]))[carer]
            assert any("carer-basics" in line for line in why) and any("care level 3" in line for line in why)
            # A lapsed pass does not count; the new one told by the training domain does.
            await tell(runtime.hooks(tenant).on_course_passed, event=CourseEvent(
                tenant=tenant, staff_id=carer, course_code="carer-basics", certificate_no="C-1", passed_at=clock.now() - timedelta(days=400),
                expires_at=clock.now() - timedelta(days=35)))
        assert await _ranked(tenant_a, order) == []
        async with tenant_scope(tenant_a.id) as tenant:
            await tell(runtime.hooks(tenant).on_course_passed, event=CourseEvent(
                tenant=tenant, staff_id=carer, course_code="carer-basics", certificate_no="C-2", passed_at=clock.now(),
                expires_at=clock.now() + timedelta(days=365)))
        assert await _ranked(tenant_a, order) == [carer]
    # Without the plugin the category needs nothing.
    assert await _ranked(tenant_a, order) == [carer]


async def test_the_office_can_not_assign_an_unqualified_worker_by_hand_and_is_told_what_is_missing(runtime, tenant_a):
    set_locale("en")
    category, item = await _category_item(tenant_a)
    await _require(tenant_a, category, "health_certificate")
    worker = await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, starts=_local(tenant_a, clock.today(tenant_a.timezone) + timedelta(days=2)),
                             state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        with pytest.raises(ValidationFailed) as refused:
            await offers.assign_by_hand(order, worker, OFFICE)
    assert "Health certificate" in refused.value.fields["staff_id"]


async def test_times_and_the_item_pages_workers_are_offered_only_for_qualified_workers(runtime, tenant_a):
    slug = f"care-{secrets.token_hex(3)}"
    category, item = await _category_item(tenant_a, slug=slug)
    await _require(tenant_a, category, "health_certificate")
    worker = await make_worker(tenant_a, "张阿姨")
    day = (clock.today(tenant_a.timezone) + timedelta(days=2)).isoformat()
    async with tenant_scope(tenant_a.id):
        assert (await item_availability(item=slug, day=day)).slots == []
        assert worker not in [c.id for c in await eligible_workers(await get_item(item), await workers_for_skills(["cleaning"], limit=200))]
    await give_credential(tenant_a, worker, "health_certificate", expires_on=clock.today(tenant_a.timezone) + timedelta(days=200))
    async with tenant_scope(tenant_a.id):
        slots = (await item_availability(item=slug, day=day)).slots
        assert slots and all(s.staff_ids == [worker] for s in slots)
        cards = await eligible_workers(await get_item(item), await workers_for_skills(["cleaning"], limit=200))
        assert worker in [c.id for c in cards]


async def test_revoking_a_credential_flags_the_workers_future_orders_that_need_it(runtime, tenant_a):
    category, item = await _category_item(tenant_a)
    await _require(tenant_a, category, "health_certificate")
    other_item = await make_item(tenant_a, skills=("cleaning",))
    worker = await make_worker(tenant_a, home=HOME)
    credential = await give_credential(tenant_a, worker, "health_certificate", expires_on=clock.today(tenant_a.timezone) + timedelta(days=90))
    needs_it = await make_order(tenant_a, item_id=item, state="accepted", staff_id=worker, starts_in=timedelta(days=4))
    does_not = await make_order(tenant_a, item_id=other_item, state="accepted", staff_id=worker, starts_in=timedelta(days=6))
    async with tenant_scope(tenant_a.id):
        revoked, flagged = await credentials.revoke(credential, reason="证件造假", by=1)
        assert (revoked.state, flagged) == ("revoked", 1)
        alerts = dict(await current_connection().fetch(
            "select id, office_alert_at is not null from core_order where id = any($1::bigint[])", [needs_it, does_not]))
    assert alerts == {needs_it: True, does_not: False}


async def test_what_workers_hold_is_kept_by_the_stamp_and_any_change_is_seen_at_once(runtime, tenant_a):
    """The item page and placements read holdings once per stamp; a change through the service or
    straight to the table is seen by the next transaction and by the writer's own."""
    from platform_core.testing.statements import StatementLog

    category, item = await _category_item(tenant_a)
    await _require(tenant_a, category, "health_certificate")
    worker = await make_worker(tenant_a, "李阿姨")
    credential = await give_credential(tenant_a, worker, "health_certificate")

    async def shown() -> bool:
        async with tenant_scope(tenant_a.id):
            cards = await eligible_workers(await get_item(item), await workers_for_skills(["cleaning"], limit=200))
            return worker in [c.id for c in cards]

    assert await shown()
    with StatementLog() as log:
        assert await shown()
    assert not [s for s in log.statements if "core_credential " in s], "a second read within one stamp asks the database again"

    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_credential set expires_on = current_date - 1 where id = $1", credential)
    assert not await shown()
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_credential set expires_on = null where id = $1", credential)
    assert await shown()
    async with tenant_scope(tenant_a.id):
        revoked, _ = await credentials.revoke(credential, reason="证件过期", by=1)
        # The revoking transaction itself no longer counts the credential.
        still = await eligible_workers(await get_item(item), await workers_for_skills(["cleaning"], limit=200))
        assert revoked.state == "revoked" and worker not in [c.id for c in still]
    assert not await shown()
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("delete from core_credential where id = $1", credential)
    assert not await shown()
