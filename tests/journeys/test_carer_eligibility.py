"""Issue 14's parts together: elder care's requirement (its certificates and its course), the
franchise's credentials (qualifications) and the course the plugin ships (training) decide who is
offered a care visit; passing the course makes a carer eligible, an expired certificate takes
them out again."""

from __future__ import annotations

from datetime import timedelta

from platform_core import clock
from platform_core.dispatch.candidates import rank_candidates
from platform_core.orders.services import get_order
from platform_core.tenancy.context import tenant_scope
from platform_core.training import learning, services
from plugins.elder_care.tests.helpers import carers, create_plan, family, visits
from tests.qualifications.helpers import give_credential

COURSE = "elder-care-basics"


async def _ranked(tenant, order_id: int) -> list[int]:
    async with tenant_scope(tenant.id):
        return [c.staff_id for c in await rank_candidates(await get_order(order_id))]


async def _pass_the_course(tenant, staff_id: int) -> None:
    async with tenant_scope(tenant.id):
        course = next(c for c in await services.list_courses() if c.code == COURSE)
        for lesson in course.lessons:
            await learning.read_lesson(staff_id, course.id, lesson.key)
        attempt = await learning.start_attempt(staff_id, course.id)
        right = {q.key: str(q.answer) for q in course.questions}
        assert (await learning.submit_attempt(staff_id, course.id, attempt.id, right)).state == "passed"


async def test_a_care_visit_is_offered_to_carers_with_the_certificates_and_the_plugins_course(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)  # care level 2: a carer's and a health certificate, and the course
    certified, untrained, uncertified = await carers(tenant_a, 3, qualified=False)
    soon = clock.today(tenant_a.timezone) + timedelta(days=3)
    for carer, health_until in ((certified, soon + timedelta(days=365)), (untrained, soon)):
        await give_credential(tenant_a, carer, "elderly_carer", number=f"EC-{carer}")
        await give_credential(tenant_a, carer, "health_certificate", number=f"HC-{carer}", expires_on=health_until)
    await _pass_the_course(tenant_a, certified)
    await _pass_the_course(tenant_a, uncertified)

    plan = await create_plan(tenant_a, fam, starts_in=1, weekdays=tuple(range(7)))
    placed = sorted((v for v in await visits(tenant_a, plan.id) if v.order_id), key=lambda v: v.visit_date)
    first, after_expiry = placed[0].order_id, next(v.order_id for v in placed if v.visit_date > soon)

    assert await _ranked(tenant_a, first) == [certified]
    await _pass_the_course(tenant_a, untrained)  # the course unlocks the work at once
    assert sorted(await _ranked(tenant_a, first)) == sorted([certified, untrained])
    # Past the day its health certificate expires, the second carer is not offered the visit.
    assert await _ranked(tenant_a, after_expiry) == [certified]
