"""The staff app's job offers and grab pool, the console's dispatch board, reassigning by hand,
the settings page; who may see what."""

from __future__ import annotations

from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch import offers, services
from platform_core.pluginsys import hookimpl
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    FAR,
    HOME,
    NEAR,
    console_client,
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
    order_state,
    post_form,
    set_dispatch,
    with_session,
)
from platform_core.testing.pytest_plugin import client_for


async def _offered(tenant, *, workers=1):
    """A tenant in manual mode with `workers` workers and a paid order offered to the first."""
    await set_dispatch(tenant, mode="manual")
    item = await make_item(tenant, skills=("cleaning",), title="Deep cleaning", price=30000)
    customer = await make_customer(tenant)
    staff = [await make_worker(tenant, name=f"Worker {n}", home=NEAR if n == 0 else FAR, rating=5 - n, rating_count=3)
             for n in range(workers)]
    order = await make_order(tenant, item_id=item, customer_id=customer, starts=local_time(tenant, 2), state="paid", at=NEAR,
                             total=30000)
    async with tenant_scope(tenant.id):
        assignment = await offers.offer_next(order)
    return staff, order, assignment


async def test_worker_sees_the_offer_with_time_district_and_price_and_accepts_it(app, runtime, tenant_a, client_a):
    (worker,), order, assignment = await _offered(tenant_a)
    await with_session(client_a, tenant_a, "staff", worker)
    listing = await client_a.get("/staff/jobs")
    assert listing.status_code == 200
    assert "Pudong" in listing.text and "Deep cleaning" in listing.text and f"/staff/jobs/{assignment.id}/accept" in listing.text
    detail = await client_a.get(f"/staff/jobs/{assignment.id}")
    assert detail.status_code == 200 and "1 Century Avenue" not in detail.text  # the street only after accepting
    accepted = await post_form(client_a, f"/staff/jobs/{assignment.id}/accept")
    assert accepted.status_code == 303
    assert await order_state(tenant_a, order) == "accepted"
    after = await client_a.get(f"/staff/jobs/{assignment.id}")
    assert "1 Century Avenue" in after.text and f'href="/staff/visits/{order}"' in after.text
    again = await post_form(client_a, f"/staff/jobs/{assignment.id}/accept")
    assert again.status_code == 409


async def test_worker_declines_and_the_order_goes_back_to_dispatch(runtime, tenant_a, client_a):
    (worker,), order, assignment = await _offered(tenant_a)
    await with_session(client_a, tenant_a, "staff", worker)
    declined = await post_form(client_a, f"/staff/jobs/{assignment.id}/decline", {"reason": "ill"})
    assert declined.status_code == 303 and declined.headers["location"] == "/staff/jobs?done=declined"
    assert await order_state(tenant_a, order) == "paid"


async def test_a_worker_can_not_see_or_answer_another_workers_offer(runtime, tenant_a, client_a):
    (_, other), _, assignment = await _offered(tenant_a, workers=2)
    await with_session(client_a, tenant_a, "staff", other)
    assert (await client_a.get(f"/staff/jobs/{assignment.id}")).status_code == 404
    assert (await post_form(client_a, f"/staff/jobs/{assignment.id}/accept")).status_code == 404


async def test_job_pages_need_a_signed_in_worker(runtime, tenant_a, client_a):
    _, order, assignment = await _offered(tenant_a)
    await set_dispatch(tenant_a, grab_pool=True)
    for path in ("/staff/jobs", f"/staff/jobs/{assignment.id}", "/staff/pool"):
        response = await client_a.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/sign-in"), path
    assert (await post_form(client_a, f"/staff/pool/{order}/claim")).status_code == 303
    await console_client(client_a, tenant_a, "owner")  # a console session is not a staff session
    assert (await client_a.get(f"/staff/jobs/{assignment.id}")).status_code == 303
    assert (await post_form(client_a, f"/staff/jobs/{assignment.id}/accept")).status_code == 303
    assert await order_state(tenant_a, order) == "assigned"


async def test_dispatcher_sees_waiting_orders_with_candidates_and_why(runtime, tenant_a, client_a):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    await make_worker(tenant_a, name="Li Near", home=NEAR)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="paid", at=NEAR)
    await console_client(client_a, tenant_a)
    board = await client_a.get("/console/dispatch")
    assert board.status_code == 200
    assert "Li Near" in board.text and f"/console/dispatch/orders/{order}/assign" in board.text
    detail = await client_a.get(f"/console/dispatch/orders/{order}")
    assert detail.status_code == 200 and "Why this worker" in detail.text and "Distance" in detail.text
    assert "/console/orders/" in detail.text  # the dispatcher may open the order itself


async def test_dispatcher_assigns_by_hand_then_reassigns_to_another_worker(runtime, tenant_a, client_a):
    (first, second), order, _ = await _offered(tenant_a, workers=2)
    async with tenant_scope(tenant_a.id):
        await offers.accept_offer(first, (await services.live_assignment(order)).id)
    await console_client(client_a, tenant_a)
    moved = await post_form(client_a, f"/console/dispatch/orders/{order}/assign", {"staff_id": str(second)})
    assert moved.status_code == 303 and moved.headers["location"] == "/console/dispatch?done=reassigned"
    async with tenant_scope(tenant_a.id):
        history = [(a.staff_id, a.status, a.source) for a in await services.assignments_of_order(order)]
        events = [r["event"] for r in await current_connection().fetch("select event from core_order_event where order_id = $1 order by id", order)]
    assert history == [(first, "released", "auto"), (second, "offered", "manual")]
    assert events[-1] == "reassign"
    assert await order_state(tenant_a, order) == "assigned"
    same = await post_form(client_a, f"/console/dispatch/orders/{order}/assign", {"staff_id": str(second)})
    assert same.status_code == 400 and 'field__error' in same.text


async def test_assigning_a_worker_who_is_busy_then_is_refused_next_to_the_field(runtime, tenant_a, client_a):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    starts = local_time(tenant_a, 2)
    first = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts, state="paid", at=NEAR)
    second = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts + timedelta(hours=1), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        await offers.offer_next(first)
    await console_client(client_a, tenant_a)
    response = await post_form(client_a, f"/console/dispatch/orders/{second}/assign", {"staff_id": str(worker)})
    assert response.status_code == 400
    assert "This worker can not take this order" in response.text
    assert await order_state(tenant_a, second) == "paid"


async def test_console_users_without_dispatch_permission_are_refused(runtime, tenant_a, client_a):
    _, order, _ = await _offered(tenant_a)
    await console_client(client_a, tenant_a, "support")
    for path in ("/console/dispatch", f"/console/dispatch/orders/{order}", "/console/dispatch/settings"):
        assert (await client_a.get(path)).status_code == 403, path
    assert (await post_form(client_a, "/console/dispatch/batch")).status_code == 403
    assert (await post_form(client_a, f"/console/dispatch/orders/{order}/assign", {"staff_id": "1"})).status_code == 403
    assert (await post_form(client_a, "/console/dispatch/settings", {"mode": "auto"})).status_code == 403
    async with tenant_scope(tenant_a.id):
        assert (await services.get_settings()).mode == "manual"


async def test_anonymous_visitors_are_sent_to_the_console_sign_in(client_a):
    response = await client_a.get("/console/dispatch")
    assert response.status_code == 303 and response.headers["location"].startswith("/console/sign-in")


async def test_dispatch_settings_are_saved_and_bad_values_are_marked(runtime, tenant_a, client_a):
    await console_client(client_a, tenant_a, "owner")
    page = await client_a.get("/console/dispatch/settings")
    assert page.status_code == 200 and 'name="weight_distance"' in page.text
    form = {"mode": "customer_pick", "grab_pool": "1", "accept_timeout_minutes": "5", "travel_speed_kmh": "30",
            "arrange_deadline_hours": "24", "office_alert_hours": "4", "weight_distance": "2", "weight_rating": "1", "weight_workload": "1", "weight_skills": "0"}
    saved = await post_form(client_a, "/console/dispatch/settings", form)
    assert saved.status_code == 303
    async with tenant_scope(tenant_a.id):
        settings = await services.get_settings()
    assert (settings.mode, settings.grab_pool, settings.accept_timeout_s, settings.travel_speed_kmh) == ("customer_pick", True, 300, 30)
    assert (settings.arrange_deadline_hours, settings.office_alert_hours) == (24, 4)
    assert settings.weights == {"distance": 2, "rating": 1, "workload": 1, "skills": 0}
    bad = await post_form(client_a, "/console/dispatch/settings", {**form, "accept_timeout_minutes": "0", "weight_rating": "lots",
                                                                  "arrange_deadline_hours": "0"})
    assert bad.status_code == 400
    assert 'id="field-accept_timeout_minutes-error"' in bad.text and 'id="field-weight_rating-error"' in bad.text
    assert 'id="field-arrange_deadline_hours-error"' in bad.text and "between 1 and 168" in bad.text


async def test_workers_claim_open_orders_from_the_pool_and_the_first_claim_wins(app, runtime, tenant_a, client_a):
    await set_dispatch(tenant_a, mode="manual", grab_pool=True)
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    first = await make_worker(tenant_a, name="Quick", home=HOME)
    second = await make_worker(tenant_a, name="Slow", home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="paid", at=NEAR)
    await with_session(client_a, tenant_a, "staff", first)
    pool = await client_a.get("/staff/pool")
    assert pool.status_code == 200 and f"/staff/pool/{order}/claim" in pool.text
    claimed = await post_form(client_a, f"/staff/pool/{order}/claim")
    assert claimed.status_code == 303
    assert await order_state(tenant_a, order) == "accepted"
    async with client_for(app, f"{tenant_a.slug}.localhost") as other:
        await with_session(other, tenant_a, "staff", second)
        late = await post_form(other, f"/staff/pool/{order}/claim")
        assert late.status_code == 409
    await set_dispatch(tenant_a, grab_pool=False)
    assert (await client_a.get("/staff/pool")).status_code == 404


async def test_tenant_b_sees_none_of_tenant_as_assignments_or_settings(runtime, tenant_a, tenant_b, client_b):
    (worker,), order, assignment = await _offered(tenant_a)
    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        assert await conn.fetchval("select count(*) from core_assignment") == 0
        assert await conn.fetchval("select count(*) from core_dispatch_settings") == 0
        assert await services.live_assignment(order) is None
        assert (await services.get_settings()).mode == "auto"  # B's defaults, not A's manual mode
    # B's worker can not claim A's order, nor answer A's offer.
    await set_dispatch(tenant_b, grab_pool=True)
    b_worker = await make_worker(tenant_b, home=HOME)
    await with_session(client_b, tenant_b, "staff", b_worker)
    assert (await post_form(client_b, f"/staff/pool/{order}/claim")).status_code == 404
    assert (await post_form(client_b, f"/staff/jobs/{assignment.id}/accept")).status_code == 404
    assert await order_state(tenant_a, order) == "assigned"
    await console_client(client_b, tenant_b, "owner")
    assert (await client_b.get(f"/console/dispatch/orders/{order}")).status_code == 404
    board = await client_b.get("/console/dispatch")
    assert board.status_code == 200 and "Worker 0" not in board.text


async def test_a_lapsed_offer_is_no_longer_shown_to_the_worker(runtime, tenant_a, client_a):
    (worker,), _, assignment = await _offered(tenant_a)
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_assignment set expires_at = $2 where id = $1",
                                           assignment.id, clock.now() - timedelta(seconds=1))
    await with_session(client_a, tenant_a, "staff", worker)
    listing = await client_a.get("/staff/jobs")
    assert f"/staff/jobs/{assignment.id}/accept" not in listing.text
    late = await post_form(client_a, f"/staff/jobs/{assignment.id}/accept")
    assert late.status_code == 409 and "This offer is no longer open." in late.text


async def test_an_order_nobody_was_found_for_can_still_be_claimed_from_the_pool(runtime, tenant_a, client_a):
    await set_dispatch(tenant_a, mode="manual", grab_pool=True)
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="dispatch_failed", at=NEAR)
    worker = await make_worker(tenant_a, name="Came back from leave", home=HOME)
    await with_session(client_a, tenant_a, "staff", worker)
    assert f"/staff/pool/{order}/claim" in (await client_a.get("/staff/pool")).text
    assert (await post_form(client_a, f"/staff/pool/{order}/claim")).status_code == 303
    assert await order_state(tenant_a, order) == "accepted"


class MemberPriorityStrategy:
    @hookimpl
    def provide_dispatch_strategies(self):
        return ["member_priority"]


async def test_plugin_strategies_get_a_weight_on_the_settings_page(runtime, tenant_a, client_a):
    runtime.pm.register(MemberPriorityStrategy(), name="core.test_member_strategy")
    try:
        await console_client(client_a, tenant_a, "owner")
        page = await client_a.get("/console/dispatch/settings")
        assert 'name="weight_member_priority"' in page.text
        form = {"mode": "auto", "accept_timeout_minutes": "10", "travel_speed_kmh": "25", "arrange_deadline_hours": "12",
                "office_alert_hours": "6", "weight_distance": "1", "weight_rating": "1",
                "weight_workload": "1", "weight_skills": "1", "weight_member_priority": "3"}
        assert (await post_form(client_a, "/console/dispatch/settings", form)).status_code == 303
    finally:
        runtime.pm.unregister(name="core.test_member_strategy")
    async with tenant_scope(tenant_a.id):
        assert (await services.get_settings()).weights["member_priority"] == 3
