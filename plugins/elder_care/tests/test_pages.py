"""The pages over HTTP: the assessment and its level, a plan booked from the form, the family
invited by phone reading the plan and its logs but not changing it, the care log written only by
the carer holding the visit, strangers and other franchises finding nothing, and the plugin off
leaving nothing of it visible."""

from __future__ import annotations

from datetime import timedelta

from platform_core.pluginsys.services import disable_plugin
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_customer,
    png_image,
    post_form,
    random_phone,
    signed_in,
)
from plugins.elder_care import elders, logs, plans
from plugins.elder_care import family as family_service

from .helpers import ASSESSMENT, carers, create_plan, family, take, visits

TABLES = ("elder_care_elder", "elder_care_plan", "elder_care_visit", "elder_care_log", "elder_care_family")


async def test_the_assessment_gives_a_level_and_explains_it(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    customer = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        home = await client.get("/p/elder_care/")
        assert home.status_code == 200 and "/p/elder_care/assess" in home.text
        wrong = await post_form(client, "/p/elder_care/assess", {**ASSESSMENT, "adl_transfers": "7"})
        assert wrong.status_code == 400 and 'id="field-adl_transfers"' in wrong.text and "Choose one of the answers." in wrong.text
        done = await post_form(client, "/p/elder_care/assess", ASSESSMENT)
        assert done.status_code == 303
        result = await client.get(done.headers["location"])
        assert result.status_code == 200
        assert 'data-testid="barthel">60<' in result.text and "Level 2" in result.text
        assert "First aid" not in result.text and "Health certificate" in result.text
    async with tenant_scope(tenant_a.id):
        stored = await elders.elders_of(customer)
        from platform_core.db import current_connection
        raw = await current_connection().fetchval("select data_cipher from elder_care_elder where id = $1", stored[0].id)
    assert "Amlodipine" not in raw and "Wang" not in raw and raw.startswith("v1:")  # health data sealed at rest
    assert stored[0].data.medication == "Amlodipine 5 mg at 8:00"


async def test_a_family_books_a_plan_from_the_form(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    await carers(tenant_a)
    async with tenant_scope(tenant_a.id):
        start = plans.today() + timedelta(days=1)
    form = {"elder_id": str(fam.elder_id), "item_id": str(fam.items["elder-companion-care"]), "address_id": str(fam.address_id),
            "start_time": "09:00", "end_time": "12:00", "starts_on": start.isoformat(), "tasks": "Lunch\nA walk"}
    async with await signed_in(app, tenant_a, "customer", fam.customer_id) as client:
        page = await client.get("/p/elder_care/plans/new")
        assert page.status_code == 200 and "钟点陪护" in page.text  # made in the franchise's language
        none = await post_form(client, "/p/elder_care/plans/new", {**form, "end_time": "09:30"})
        assert none.status_code == 400 and "Choose at least one day of the week." in none.text
        short = await post_form(client, "/p/elder_care/plans/new", {**form, "weekdays": ["1"], "end_time": "09:30"})
        assert short.status_code == 400 and "A visit lasts at least an hour" in short.text
        made = await post_form(client, "/p/elder_care/plans/new", {**form, "weekdays": ["0", "3"]})
        assert made.status_code == 303, made.text
        shown = await client.get(made.headers["location"])
        assert shown.status_code == 200 and 'data-testid="trial"' in shown.text and "/orders/" in shown.text


async def test_family_read_the_plan_and_logs_but_only_the_carer_writes(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    carer, other = await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    visit = (await visits(tenant_a, plan.id))[0]
    await take(tenant_a, visit.order_id, carer)
    daughter_phone = random_phone()
    daughter = await make_customer(tenant_a, daughter_phone, name="Li Na")
    stranger = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", fam.customer_id) as owner:
        assert (await post_form(owner, f"/p/elder_care/plans/{plan.id}/family", {"phone": "12\x00"})).status_code == 400
        invited = await post_form(owner, f"/p/elder_care/plans/{plan.id}/family", {"phone": daughter_phone})
        assert invited.status_code == 303
        again = await post_form(owner, f"/p/elder_care/plans/{plan.id}/family", {"phone": daughter_phone})
        assert again.status_code == 400 and "already invited" in again.text
    async with await signed_in(app, tenant_a, "staff", other) as not_theirs:
        assert (await not_theirs.get(f"/p/elder_care/staff/visits/{visit.id}")).status_code == 404
        refused = await post_form(not_theirs, f"/p/elder_care/staff/visits/{visit.id}", {"mood": "calm"})
        assert refused.status_code == 404
        assert f"/p/elder_care/staff/visits/{visit.id}" not in (await not_theirs.get("/p/elder_care/staff/visits")).text
    async with await signed_in(app, tenant_a, "staff", carer) as staff:
        listed = await staff.get("/p/elder_care/staff/visits")
        assert listed.status_code == 200 and f"/p/elder_care/staff/visits/{visit.id}" in listed.text
        form = await staff.get(f"/p/elder_care/staff/visits/{visit.id}")
        assert form.status_code == 200 and "Amlodipine" in form.text  # the carer sees the medication
        wrong = await post_form(staff, f"/p/elder_care/staff/visits/{visit.id}", {"mood": "calm", "systolic": "400", "diastolic": "80"})
        assert wrong.status_code == 400 and 'id="field-systolic"' in wrong.text
        saved = await staff.post(f"/p/elder_care/staff/visits/{visit.id}", data={
            "csrf_token": staff.cookies.get("hearth_csrf"), "mood": "happy", "systolic": "132", "diastolic": "84", "pulse": "72",
            "temperature": "36.6", "notes": "Ate well, walked 20 minutes.", "tasks_done": ["Lunch and medication", "A walk"]},
            files={"photo:file": ("walk.png", png_image(), "image/png")})
        assert saved.status_code == 303, saved.text
    for reader in (fam.customer_id, daughter):
        async with await signed_in(app, tenant_a, "customer", reader) as client:
            page = await client.get(f"/p/elder_care/plans/{plan.id}")
            assert page.status_code == 200
            assert "132/84" in page.text and "Ate well, walked 20 minutes." in page.text and "36.6" in page.text
            assert 'class="care-photos"' in page.text
    async with await signed_in(app, tenant_a, "customer", daughter) as client:
        assert "Invite by phone number" not in (await client.get(f"/p/elder_care/plans/{plan.id}")).text
        assert (await post_form(client, f"/p/elder_care/plans/{plan.id}/pause")).status_code == 403
        assert (await post_form(client, f"/p/elder_care/plans/{plan.id}/family", {"phone": random_phone()})).status_code == 409
        assert f"/p/elder_care/plans/{plan.id}" in (await client.get("/p/elder_care/")).text  # shared with her
    async with await signed_in(app, tenant_a, "customer", stranger) as client:
        assert (await client.get(f"/p/elder_care/plans/{plan.id}")).status_code == 404
        assert (await client.get(f"/p/elder_care/elders/{fam.elder_id}")).status_code == 404
        assert (await post_form(client, f"/p/elder_care/plans/{plan.id}/end")).status_code == 404


async def test_a_manager_in_the_family_may_pause(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    phone = random_phone()
    async with await signed_in(app, tenant_a, "customer", fam.customer_id) as owner:
        assert (await post_form(owner, f"/p/elder_care/plans/{plan.id}/family", {"phone": phone, "may_manage": "1"})).status_code == 303
    son = await make_customer(tenant_a, phone, name="Li Qiang")  # signs up after the invitation: linked then
    from platform_core import clock
    from platform_core.pluginsys.calls import tell
    from platform_core.pluginsys.contexts import CustomerEvent
    async with tenant_scope(tenant_a.id) as context:
        await tell(runtime.hooks(context).on_customer_registered, event=CustomerEvent(tenant=context, customer_id=son, occurred_at=clock.now()))
    async with await signed_in(app, tenant_a, "customer", son) as client:
        paused = await post_form(client, f"/p/elder_care/plans/{plan.id}/pause")
        assert paused.status_code == 303
        assert 'data-testid="plan-state"' in (page := (await client.get(f"/p/elder_care/plans/{plan.id}")).text) and "Paused" in page


async def test_another_franchise_sees_none_of_it(app, runtime, tenant_a, tenant_b, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    await enable_plugin(tenant_b, "elder_care")
    fam = await family(tenant_a)
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    visit = (await visits(tenant_a, plan.id))[0]
    carer_a = (await carers(tenant_a, 1))[0]
    await take(tenant_a, visit.order_id, carer_a)
    async with tenant_scope(tenant_a.id):
        await logs.write(visit.id, carer_a, logs.LogForm(mood="calm", notes="A's note"))
        await family_service.invite(await plans.get_plan(plan.id), random_phone(), False)
    outsider = await make_customer(tenant_b)
    worker_b = (await carers(tenant_b, 1))[0]
    async with await signed_in(app, tenant_b, "customer", outsider) as client:
        assert (await client.get(f"/p/elder_care/plans/{plan.id}")).status_code == 404
        assert (await client.get(f"/p/elder_care/elders/{fam.elder_id}")).status_code == 404
    async with await signed_in(app, tenant_b, "staff", worker_b) as client:
        assert (await client.get(f"/p/elder_care/staff/visits/{visit.id}")).status_code == 404
    async with tenant_scope(tenant_b.id):
        assert await plans.plans_of(fam.customer_id) == [] and await elders.elders_of(fam.customer_id) == []
        assert await plans.visits_of(plan.id) == []
        from platform_core.db import current_connection
        for table in TABLES:
            assert await current_connection().fetchval(f"select count(*) from {table}") == 0
    async with tenant_scope(tenant_a.id):
        for table in TABLES:
            assert await current_connection().fetchval(f"select count(*) from {table}") >= 1, table


async def test_with_the_plugin_off_nothing_of_it_is_visible(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    await disable_plugin(tenant_a.id, "elder_care", actor="test")
    async with await signed_in(app, tenant_a, "customer", fam.customer_id) as client:
        for path in ("/p/elder_care/", "/p/elder_care/assess", f"/p/elder_care/plans/{plan.id}"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.get("/services/elder-companion-care")).status_code == 404
        assert "elder_care" not in (await client.get("/api/v1/catalog/categories")).text
        assert "/p/elder_care/" not in (await client.get("/account/profile")).text
    async with tenant_scope(tenant_a.id) as context:
        assert await plans.care_items() == []
        hooks = runtime.hooks(context)
        for name in ("compute_order_requirements", "compute_price_adjustments", "compute_dispatch_scores", "compute_page_notices"):
            assert "elder_care" not in {impl.plugin_name for impl in getattr(hooks, name).get_hookimpls()}, name
    await enable_plugin(tenant_a, "elder_care")
    async with tenant_scope(tenant_a.id) as context:
        assert "elder_care" in {impl.plugin_name for impl in runtime.hooks(context).compute_order_requirements.get_hookimpls()}


async def test_booking_an_elder_care_item_leads_to_the_assessment_first(app, runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    customer = await make_customer(tenant_a)
    await make_address(tenant_a, customer)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = await client.get("/services/elder-bathing")
        assert page.status_code == 200 and 'href="/p/elder_care/assess"' in page.text
        await post_form(client, "/p/elder_care/assess", ASSESSMENT)
        after = await client.get("/services/elder-bathing")
        assert 'href="/p/elder_care/assess"' not in after.text and 'href="/p/elder_care/"' in after.text


async def test_the_staff_app_leads_a_carer_to_the_logs_still_to_write(app, runtime, tenant_a, enable_plugin):
    import time_machine

    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    carer, other = await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    visit = (await visits(tenant_a, plan.id))[0]
    await take(tenant_a, visit.order_id, carer)
    with time_machine.travel(visit.starts_at + timedelta(hours=4), tick=True):
        async with await signed_in(app, tenant_a, "staff", carer) as staff:
            home = await staff.get("/staff/")
            assert home.status_code == 200 and 'href="/p/elder_care/staff/visits"' in home.text
            saved = await post_form(staff, f"/p/elder_care/staff/visits/{visit.id}", {"mood": "calm"})
            assert saved.status_code == 303
            assert 'href="/p/elder_care/staff/visits"' not in (await staff.get("/staff/")).text
        async with await signed_in(app, tenant_a, "staff", other) as staff:
            assert 'href="/p/elder_care/staff/visits"' not in (await staff.get("/staff/")).text
