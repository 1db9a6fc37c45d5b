"""Privacy protection in the staff app: a worker sees a verified customer by surname only and
their full address only from the day of the visit; an unverified customer is shown as before."""

from __future__ import annotations

from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.orders.privacy import polite_name, street_without_number, surname_of
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_customer,
    make_order,
    make_worker,
    signed_in,
)
from platform_core.web.i18n import set_locale

ADDRESS = '{"contact_name": "王小明", "street": "漕溪北路88号", "detail": "3栋1201室"}'


def test_the_surname_and_the_street_without_its_number():
    assert [surname_of(n) for n in ("王小明", "欧阳娜娜", "John Smith", " ")] == ["王", "欧阳", "Smith", ""]
    set_locale("zh_CN")
    assert polite_name("王小明") == "王先生/女士"
    set_locale("en")
    assert polite_name("王小明") == "Mr/Ms 王"
    assert [street_without_number(s) for s in ("漕溪北路88号", "1 Century Avenue", "Nathan Road 12", "南京西路")] == [
        "漕溪北路", "Century Avenue", "Nathan Road", "南京西路"]


async def _job(tenant, *, verified: bool, starts) -> tuple[int, int, int]:
    """(order, assignment, worker) of an accepted job at 王小明's home."""
    customer = await make_customer(tenant, name="王小明")
    worker = await make_worker(tenant, "李师傅")
    order = await make_order(tenant, customer_id=customer, state="accepted", starts=starts, staff_id=worker, at=(31.18345, 121.43712))
    async with tenant_scope(tenant.id):
        conn = current_connection()
        await conn.execute("update core_order set address = address || $2::jsonb where id = $1", order, ADDRESS)
        if verified:
            await conn.execute("update core_customer set realname_verified_at = now() where id = $1", customer)
        assignment = await conn.fetchval("select id from core_assignment where order_id = $1", order)
    return order, assignment, worker


async def _seen_by_worker(app, tenant, order: int, assignment: int, worker: int) -> tuple[str, str, str, dict]:
    async with await signed_in(app, tenant, "staff", worker) as client:
        job = (await client.get(f"/staff/jobs/{assignment}")).text
        visit = (await client.get(f"/staff/visits/{order}")).text
        home = (await client.get("/staff/")).text
        api = (await client.get(f"/api/v1/staff/jobs/{assignment}", headers=await bearer_for(tenant, "staff", worker))).json()
    return job, visit, home, api


async def test_before_the_visit_day_a_verified_customer_is_a_surname_and_a_street(app, tenant_a):
    order, assignment, worker = await _job(tenant_a, verified=True, starts=clock.now() + timedelta(days=3))
    job, visit, home, api = await _seen_by_worker(app, tenant_a, order, assignment, worker)
    for html in (job, visit):
        assert "漕溪北路" in html
        assert "王小明" not in html and "88号" not in html and "3栋1201室" not in html and "121.43712" not in html
    assert "Mr/Ms 王" in visit
    assert "88号" not in api["address"] and "漕溪北路" in api["address"]
    assert "王小明" not in home


async def test_on_the_visit_day_the_full_address_shows_but_still_only_the_surname(app, tenant_a):
    order, assignment, worker = await _job(tenant_a, verified=True, starts=clock.now())
    job, visit, home, api = await _seen_by_worker(app, tenant_a, order, assignment, worker)
    assert "漕溪北路88号" in visit.replace(" ", "") and "3栋1201室" in visit
    assert "Mr/Ms 王" in visit and "王小明" not in visit and "王小明" not in home
    assert "88号" in api["address"]


async def test_an_unverified_customer_is_shown_as_before(app, tenant_a):
    order, assignment, worker = await _job(tenant_a, verified=False, starts=clock.now() + timedelta(days=3))
    _job_page, visit, _home, _api = await _seen_by_worker(app, tenant_a, order, assignment, worker)
    assert "王小明" in visit and "3栋1201室" in visit
