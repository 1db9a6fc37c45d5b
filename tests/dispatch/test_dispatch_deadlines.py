"""A paid order never dead-ends: an ignored offer for a visit days away leaves it "arranging",
the office is alerted before the franchise's deadline, and only after it does the customer pick
another time or a full refund (made for them at the time of the visit if they do nothing)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch import deadlines, offers
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import get_order, timeline, transition
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    HOME,
    NEAR,
    bearer_for,
    console_client,
    local_time,
    make_booking,
    make_customer,
    make_item,
    make_order,
    make_worker,
    order_state,
    post_form,
    set_dispatch,
    signed_in,
)


async def _jobs(tenant, order_id: int, kind: str) -> list:
    async with tenant_scope(tenant.id):
        return await current_connection().fetch(
            "select key, run_at from core_job where kind = $1 and payload->>'order_id' = $2 order by run_at", kind, str(order_id))


async def _number(tenant, order_id: int) -> str:
    async with tenant_scope(tenant.id):
        return (await get_order(order_id)).number


def _local(tenant, moment) -> str:
    return moment.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")


async def _waiting(tenant, *, days: float = 5, **kwargs) -> tuple[int, int, int]:
    """A paid order `days` ahead for the customer, and the one worker who could do it."""
    item = await make_item(tenant, skills=("cleaning",))
    customer = await make_customer(tenant)
    worker = await make_worker(tenant, home=HOME)
    # Whole days: at 10:00, in the worker's hours; else that long from now.
    starts = local_time(tenant, days_ahead=int(days), hour=10) if days == int(days) else clock.now().replace(microsecond=0) + timedelta(days=days)
    order = await make_order(tenant, item_id=item, customer_id=customer, starts=starts, state="pending_payment", at=NEAR, **kwargs)
    async with tenant_scope(tenant.id):
        await transition(order, "pay", SYSTEM)
    return order, customer, worker


async def _dispatch_failed(tenant, *, days: float = 2) -> tuple[int, int]:
    """A paid order whose deadline passed without a worker: the customer's turn."""
    order, customer, _ = await _waiting(tenant, days=days)
    await set_dispatch(tenant, arrange_deadline_hours=168)  # the deadline is a week before the visit: passed
    async with tenant_scope(tenant.id):
        assert await deadlines.reach_deadline(order)
    await set_dispatch(tenant, arrange_deadline_hours=12)
    return order, customer


async def test_an_ignored_offer_for_a_visit_days_away_leaves_the_order_arranging_for_the_customer(app, runtime, tenant_a):
    order, customer, worker = await _waiting(tenant_a, days=5)
    async with tenant_scope(tenant_a.id):
        starts = (await get_order(order)).scheduled_start
    # The deadline (12 h before the visit) and the office's alert (6 h before that) are set with the payment.
    assert [j["run_at"] for j in await _jobs(tenant_a, order, "dispatch.deadline")] == [starts - timedelta(hours=12)]
    assert [j["run_at"] for j in await _jobs(tenant_a, order, "dispatch.office_alert")] == [starts - timedelta(hours=18)]

    async with tenant_scope(tenant_a.id):
        offer = await offers.offer_next(order)
        assert offer.staff_id == worker
        await current_connection().execute("update core_assignment set expires_at = $2 where id = $1", offer.id,
                                           clock.now() - timedelta(seconds=1))
    async with tenant_scope(tenant_a.id):
        assert await offers.expire_offer(offer.id)
    async with tenant_scope(tenant_a.id):
        # Nobody else can do it today: the order waits and is tried again, not given up on.
        assert await offers.offer_next(order) is None
    assert await order_state(tenant_a, order) == "paid"
    assert [(j["key"] or "").split(":")[0] for j in await _jobs(tenant_a, order, "dispatch.assign")].count("retry") == 1

    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = await client.get(f"/orders/{await _number(tenant_a, order)}")
    assert page.status_code == 200
    assert "Arranging your worker" in page.text
    assert f"You will know who is coming by {_local(tenant_a, starts - timedelta(hours=12))} at the latest." in page.text
    for internal in ("Finding a worker", "Offered to a worker", "did not answer", "No worker available"):
        assert internal not in page.text
    assert "Cancel order" in page.text  # still free to cancel, days before the visit


async def test_an_order_past_its_deadline_is_not_offered_again_the_customer_decides(runtime, tenant_a):
    order, _, _ = await _waiting(tenant_a, days=0.4)  # ten hours away: the 12-hour deadline has passed
    async with tenant_scope(tenant_a.id):
        # Booked days ago: it had its time to find a worker.
        await current_connection().execute("update core_order set created_at = $2 where id = $1", order, clock.now() - timedelta(days=3))
        assert await offers.offer_next(order) is None
    assert await order_state(tenant_a, order) == "dispatch_failed"
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_assignment where order_id = $1", order) == 0


async def test_the_office_is_alerted_before_the_deadline_in_the_exceptions_queue(runtime, tenant_a, client_a):
    order, _, _ = await _waiting(tenant_a, days=0.75)
    async with tenant_scope(tenant_a.id):
        assert await deadlines.alert_office(order)
        assert not await deadlines.alert_office(order)  # once
        events = [e.event for e in await timeline(order)]
    assert events[-1] == "office_alert" and events.count("office_alert") == 1
    assert await order_state(tenant_a, order) == "paid"
    await console_client(client_a, tenant_a, "owner")
    queue = await client_a.get("/console/orders/exceptions")
    assert queue.status_code == 200 and await _number(tenant_a, order) in queue.text


async def test_at_the_deadline_the_customer_is_asked_and_takes_a_full_refund(app, runtime, tenant_a):
    order, customer = await _dispatch_failed(tenant_a)
    number = await _number(tenant_a, order)
    async with tenant_scope(tenant_a.id):
        starts = (await get_order(order)).scheduled_start
        told = await current_connection().fetchval(
            "select title from core_notification where recipient_kind = 'customer' and recipient_id = $1 order by id desc limit 1", customer)
    assert told == "请选择其他时间"  # the franchise's language
    assert [j["run_at"] for j in await _jobs(tenant_a, order, "dispatch.no_worker_refund")] == [starts]

    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = await client.get(f"/orders/{number}")
        assert "No worker is free at this time" in page.text and f"/orders/{number}/rearrange" in page.text
        assert f"/orders/{number}/cancel" not in page.text  # the choice replaces the cancel (and its fee)
        done = await post_form(client, f"/orders/{number}/refund-no-worker")
        assert done.status_code == 303 and done.headers["location"] == f"/orders/{number}?done=refunded"
        after = await client.get(f"/orders/{number}")
    assert "Cancelled at no charge: no worker was found" in after.text
    async with tenant_scope(tenant_a.id):
        cancelled = await get_order(order)
    assert (cancelled.state, cancelled.cancellation_fee) == ("cancelled", 0)


async def test_at_the_deadline_the_customer_moves_the_visit_to_an_offered_time(app, runtime, tenant_a):
    order, customer = await _dispatch_failed(tenant_a)
    number = await _number(tenant_a, order)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        day = local_time(tenant_a, days_ahead=4, hour=10).date()
        page = await client.get(f"/orders/{number}/rearrange?day={day.isoformat()}")
        assert page.status_code == 200 and 'name="slot_start"' in page.text
        bad = await post_form(client, f"/orders/{number}/reschedule", {"slot_start": "2020-01-01T10:00:00+08:00"})
        assert bad.status_code == 400 and 'id="field-slot_start"' in bad.text and "no longer free" in bad.text
        assert await order_state(tenant_a, order) == "dispatch_failed"
        new_start = local_time(tenant_a, days_ahead=4, hour=10)
        moved = await post_form(client, f"/orders/{number}/reschedule", {"slot_start": new_start.isoformat()})
        assert moved.status_code == 303, moved.text
        again = await client.get(f"/orders/{number}")
    assert "Arranging your worker" in again.text
    async with tenant_scope(tenant_a.id):
        now_order = await get_order(order)
        alert = await current_connection().fetchval("select office_alert_at from core_order where id = $1", order)
    assert (now_order.state, now_order.scheduled_start, alert) == ("paid", new_start, None)
    # A new deadline for the new time; the old refund job will find the order moved on.
    assert new_start - timedelta(hours=12) in [j["run_at"] for j in await _jobs(tenant_a, order, "dispatch.deadline")]
    async with tenant_scope(tenant_a.id):
        assert not await deadlines.refund_if_undecided(order)


async def test_without_an_answer_the_money_goes_back_at_the_time_of_the_visit(runtime, tenant_a):
    undecided = await make_order(tenant_a, state="dispatch_failed", starts=clock.now() - timedelta(minutes=1))
    saved = await make_order(tenant_a, state="assigned", starts=clock.now() - timedelta(minutes=1))
    async with tenant_scope(tenant_a.id):
        assert await deadlines.refund_if_undecided(undecided)
        assert not await deadlines.refund_if_undecided(saved)  # the office found a worker meanwhile
        last = (await timeline(undecided))[-1]
    assert (last.event, last.actor_kind) == ("refund_no_worker", "system")
    assert await order_state(tenant_a, undecided) == "cancelled"


async def test_the_customer_reads_why_an_order_was_cancelled_and_who_did_a_finished_one(app, runtime, tenant_a):
    customer = await make_customer(tenant_a)
    unpaid = await make_order(tenant_a, customer_id=customer, state="pending_payment")
    async with tenant_scope(tenant_a.id):
        await transition(unpaid, "payment_timeout", SYSTEM)
    done = await make_booking(tenant_a, customer_id=customer, state="completed")
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        cancelled = await client.get(f"/orders/{await _number(tenant_a, unpaid)}")
        finished = await client.get(f"/orders/{done.number}")
    assert "Cancelled: not paid in time" in cancelled.text and "Cancelled by the franchise" not in cancelled.text
    assert "王阿姨" in finished.text and "Did the work on this order." in finished.text


async def test_a_deadline_moved_later_by_the_franchise_is_waited_for(runtime, tenant_a):
    order, _, _ = await _waiting(tenant_a, days=0.4)
    await set_dispatch(tenant_a, arrange_deadline_hours=2)
    async with tenant_scope(tenant_a.id):
        assert not await deadlines.reach_deadline(order)
        starts = (await get_order(order)).scheduled_start
    assert await order_state(tenant_a, order) == "paid"
    assert starts - timedelta(hours=2) in [j["run_at"] for j in await _jobs(tenant_a, order, "dispatch.deadline")]


async def test_the_mini_program_api_offers_other_times_and_moves_or_refunds_the_order(runtime, tenant_a, client_a):
    order, customer = await _dispatch_failed(tenant_a)
    number = await _number(tenant_a, order)
    auth = await bearer_for(tenant_a, "customer", customer)
    day = local_time(tenant_a, days_ahead=4).date()
    times = await client_a.get(f"/api/v1/orders/{number}/other-times", params={"day": day.isoformat()}, headers=auth)
    assert times.status_code == 200, times.text
    body = times.json()
    assert body["day"] == day.isoformat() and body["slots"] and body["days"][0] >= local_time(tenant_a, days_ahead=0).date().isoformat()
    bad = await client_a.post(f"/api/v1/orders/{number}/reschedule", json={"slot_start": "2020-01-01T10:00:00+08:00"}, headers=auth)
    assert bad.status_code == 400 and "slot_start" in bad.json()["error"]["fields"]
    moved = await client_a.post(f"/api/v1/orders/{number}/reschedule", json={"slot_start": body["slots"][0]["start"]}, headers=auth)
    assert moved.status_code == 200, moved.text
    detail = moved.json()
    assert detail["order"]["state"] == "paid" and detail["cancellation"] is not None
    assert not {"assign", "offer_expired", "decline", "office_alert"} & {e["event"] for e in detail["timeline"]}
    # Not waiting for that choice any more: a clear 409.
    again = await client_a.post(f"/api/v1/orders/{number}/refund-no-worker", headers=auth)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    other, _ = await _dispatch_failed(tenant_a)
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_order set customer_id = $2 where id = $1", other, customer)
    refunded = await client_a.post(f"/api/v1/orders/{await _number(tenant_a, other)}/refund-no-worker", headers=auth)
    assert refunded.status_code == 200 and refunded.json()["order"]["state"] == "cancelled"
    assert refunded.json()["order"]["cancellation_fee"] == 0


async def test_a_worker_who_let_an_offer_lapse_is_asked_once_more_later_not_every_hour(runtime, tenant_a):
    order, _, worker = await _waiting(tenant_a, days=5)

    async def lapse_and_age():
        async with tenant_scope(tenant_a.id):
            offer = await offers.offer_next(order)
            if offer is None:
                return None
            # Lapsed four hours ago: past REASK_AFTER.
            await current_connection().execute(
                "update core_assignment set expires_at = $2, offered_at = $2 where id = $1", offer.id, clock.now() - timedelta(hours=4))
        async with tenant_scope(tenant_a.id):
            assert await offers.expire_offer(offer.id)
        return offer.staff_id

    assert await lapse_and_age() == worker
    assert await lapse_and_age() == worker  # asked again, hours later
    assert await lapse_and_age() is None  # twice is enough
    assert await order_state(tenant_a, order) == "paid"
