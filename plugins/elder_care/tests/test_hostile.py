"""Hostile input on every elder care form and page, with the plugin on: NUL, 100 KB strings, ids
past 64 bits, years 1 and 9999, numbers out of range: each a 4xx naming the field, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from platform_core.testing.factories import post_form, signed_in

from .helpers import ASSESSMENT, carers, create_plan, family, take, visits

HOSTILE = ["\x00", "x" * 100_000, "9" * 30, "-1", "1e308", "9999-12-31", "0001-01-01", "<script>", "NaN"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_values_are_refused_field_by_field(app, runtime, tenant_a, enable_plugin, value):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    carer = (await carers(tenant_a, 1))[0]
    plan = await create_plan(tenant_a, fam, starts_in=1)
    visit = (await visits(tenant_a, plan.id))[0]
    await take(tenant_a, visit.order_id, carer)
    async with await signed_in(app, tenant_a, "customer", fam.customer_id) as client:
        for field in ("name", "age", "mobility", "adl_feeding", "conditions", "contact_phone"):
            answer = await post_form(client, "/p/elder_care/assess", {**ASSESSMENT, field: value})
            assert answer.status_code in (303, 400), (field, answer.status_code)
        base = {"elder_id": str(fam.elder_id), "item_id": str(fam.items["elder-bathing"]), "address_id": str(fam.address_id),
                "weekdays": ["1"], "start_time": "09:00", "end_time": "11:00", "starts_on": "2099-01-01"}
        for field in ("elder_id", "item_id", "address_id", "weekdays", "start_time", "end_time", "starts_on", "ends_on", "tasks", "notes"):
            answer = await post_form(client, "/p/elder_care/plans/new", {**base, field: value})
            assert answer.status_code in (303, 400), (field, answer.status_code)
        answer = await post_form(client, f"/p/elder_care/plans/{plan.id}/family", {"phone": value})
        assert answer.status_code == 400
        for path in (f"/p/elder_care/plans/{quote(value[:200])}", f"/p/elder_care/elders/{quote(value[:200])}"):
            assert (await client.get(path)).status_code in (400, 404)
    async with await signed_in(app, tenant_a, "staff", carer) as staff:
        for field in ("systolic", "diastolic", "pulse", "temperature", "mood", "notes", "tasks_done", "photos"):
            answer = await post_form(staff, f"/p/elder_care/staff/visits/{visit.id}", {"mood": "calm", field: value})
            assert answer.status_code in (303, 400), (field, answer.status_code)
        assert (await staff.get(f"/p/elder_care/staff/visits/{quote(value[:200])}")).status_code in (400, 404)


async def test_ids_past_64_bits_are_not_found(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    async with await signed_in(app, tenant_a, "customer", fam.customer_id) as client:
        for path in ("/p/elder_care/plans/99999999999999999999", "/p/elder_care/elders/18446744073709551616"):
            assert (await client.get(path)).status_code in (400, 404)
        assert (await post_form(client, "/p/elder_care/plans/99999999999999999999/pause")).status_code in (400, 404)
