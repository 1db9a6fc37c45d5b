"""The worker's job page: what the work is, the way there, the checklist from the item's steps,
photos before and after, the order's messages with the customer (the office reads them), and
no start or completion before the visit's day."""

from __future__ import annotations

from datetime import timedelta

from platform_core.catalog import services as catalog
from platform_core.catalog.schemas import ServiceItemUpdate, Step, StepsBlock
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    CSRF,
    make_booking,
    make_item,
    make_order,
    make_worker,
    order_state,
    signed_in,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STEPS = ["Dust the shelves", "Mop the floors", "Take out the rubbish"]


async def _item_with_steps(tenant) -> int:
    item_id = await make_item(tenant, title="Daily cleaning")
    async with tenant_scope(tenant.id):
        await catalog.update_item(tenant, item_id, ServiceItemUpdate(
            content=[StepsBlock(title="Steps", steps=[Step(title=t) for t in STEPS])]))
    return item_id


async def _unread(tenant, kind: str, user_id: int) -> list[tuple[str, str]]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select title, link from core_notification where recipient_kind = $1 and recipient_id = $2 and read_at is null",
            kind, user_id)
    return [(r["title"], r["link"]) for r in rows]


async def test_job_page_shows_the_work_the_way_and_the_checklist(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="accepted", item_id=await _item_with_steps(tenant_a))
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        page = (await worker.get(f"/staff/visits/{booking.order_id}")).text
        assert "Daily cleaning" in page and "1 Century Avenue" in page
        for step in STEPS:
            assert step in page
        assert "https://uri.amap.com/navigation?to=121.473700%2C31.230400" in page
        assert "api.map.baidu.com/direction" in page and "maps.apple.com/?daddr=31.230400%2C121.473700" in page
        assert "0 of 3 done" in page

        ticked = await worker.post(f"/staff/visits/{booking.order_id}/checklist", data={"csrf_token": CSRF, "step": "1", "done": "1"})
        assert ticked.status_code == 303
        page = (await worker.get(f"/staff/visits/{booking.order_id}")).text
        assert "1 of 3 done" in page and 'aria-pressed="true"' in page
        await worker.post(f"/staff/visits/{booking.order_id}/checklist", data={"csrf_token": CSRF, "step": "1", "done": "0"})
        assert "0 of 3 done" in (await worker.get(f"/staff/visits/{booking.order_id}")).text

        off_list = await worker.post(f"/staff/visits/{booking.order_id}/checklist", data={"csrf_token": CSRF, "step": "7", "done": "1"})
        assert off_list.status_code == 400 and "not on this job&#39;s checklist" in off_list.text


async def test_worker_uploads_photos_before_and_after_and_bad_files_are_refused(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="in_service")
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        sent = await worker.post(f"/staff/visits/{booking.order_id}/photos", data={"csrf_token": CSRF, "stage": "before"},
                                 files={"photo": ("kitchen.png", PNG, "image/png")})
        assert sent.status_code == 303, sent.text
        page = (await worker.get(f"/staff/visits/{booking.order_id}")).text
        assert page.count('src="/media/') == 1

        refused = await worker.post(f"/staff/visits/{booking.order_id}/photos", data={"csrf_token": CSRF, "stage": "after"},
                                    files={"photo": ("x.png", b"<script>", "image/png")})
        assert refused.status_code == 400 and "Upload a JPEG, PNG or WebP photo." in refused.text
        assert refused.text.count('src="/media/') == 1

        # Once the job is done, its record is closed.
        await worker.post(f"/staff/visits/{booking.order_id}/complete", data={"csrf_token": CSRF})
        late = await worker.post(f"/staff/visits/{booking.order_id}/photos", data={"csrf_token": CSRF, "stage": "after"},
                                 files={"photo": ("k.png", PNG, "image/png")})
        assert late.status_code == 409


async def test_customer_and_worker_write_to_each_other_and_the_office_reads_it(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="accepted")
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        sent = await worker.post(f"/staff/visits/{booking.order_id}/messages", data={"csrf_token": CSRF, "body": "I will park at the north gate."})
        assert sent.status_code == 303
        empty = await worker.post(f"/staff/visits/{booking.order_id}/messages", data={"csrf_token": CSRF, "body": "   "})
        assert empty.status_code == 400 and "Write a message first." in empty.text
    assert [link for _, link in await _unread(tenant_a, "customer", booking.customer_id)] == [f"/orders/{booking.number}#messages"]

    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as customer:
        page = (await customer.get(f"/orders/{booking.number}")).text
        assert "I will park at the north gate." in page
        assert (await customer.post(f"/orders/{booking.number}/messages", data={"csrf_token": CSRF, "body": "Door code 4321"})).status_code == 303
    assert [link for _, link in await _unread(tenant_a, "staff", booking.staff_id)] == [f"/staff/visits/{booking.order_id}#messages"]

    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        assert "Door code 4321" in (await worker.get(f"/staff/visits/{booking.order_id}")).text
    # Another worker can neither read nor write the thread.
    stranger = await make_worker(tenant_a, "Zhao")
    async with await signed_in(app, tenant_a, "staff", stranger) as other:
        assert (await other.get(f"/staff/visits/{booking.order_id}")).status_code == 404
        assert (await other.post(f"/staff/visits/{booking.order_id}/messages", data={"csrf_token": CSRF, "body": "hi"})).status_code == 404


async def test_a_job_can_not_be_started_before_its_day(app, runtime, tenant_a):
    worker_id = await make_worker(tenant_a, "Sun")
    order_id = await make_order(tenant_a, state="accepted", starts_in=timedelta(days=2), staff_id=worker_id)
    async with await signed_in(app, tenant_a, "staff", worker_id) as worker:
        page = (await worker.get(f"/staff/visits/{order_id}")).text
        assert "You can start and complete it from that day on." in page and "disabled" in page
        refused = await worker.post(f"/staff/visits/{order_id}/depart", data={"csrf_token": CSRF})
        assert refused.status_code == 409 and "You can start and complete it from that day on." in refused.text
    assert await order_state(tenant_a, order_id) == "accepted"


async def test_the_thread_through_the_api_with_the_house_errors(app, runtime, tenant_a):
    from platform_core.testing.factories import bearer_for
    from platform_core.testing.pytest_plugin import client_for

    booking = await make_booking(tenant_a, state="en_route")
    async with client_for(app, booking.host) as client:
        staff_auth = await bearer_for(tenant_a, "staff", booking.staff_id)
        customer_auth = await bearer_for(tenant_a, "customer", booking.customer_id)
        sent = await client.post(f"/api/v1/staff/orders/{booking.order_id}/messages", json={"body": "五分钟后到"}, headers=staff_auth)
        assert sent.status_code == 201 and sent.json()["author_kind"] == "staff"
        nul = await client.post(f"/api/v1/orders/{booking.number}/messages", json={"body": "a\x00b"}, headers=customer_auth)
        assert nul.status_code == 400 and "body" in nul.text
        too_long = await client.post(f"/api/v1/orders/{booking.number}/messages", json={"body": "x" * 1001}, headers=customer_auth)
        assert too_long.status_code == 400
        reply = await client.post(f"/api/v1/orders/{booking.number}/messages", json={"body": "好的"}, headers=customer_auth)
        assert reply.status_code == 201
        listed = await client.get(f"/api/v1/orders/{booking.number}/messages", headers=customer_auth)
        assert [m["body"] for m in listed.json()] == ["五分钟后到", "好的"]
        other = await bearer_for(tenant_a, "staff", await make_worker(tenant_a, "Qian"))
        assert (await client.get(f"/api/v1/staff/orders/{booking.order_id}/messages", headers=other)).status_code == 404


async def test_today_lists_the_days_visits_in_order_with_their_times(app, runtime, tenant_a):
    from platform_core.testing.factories import local_time

    worker_id = await make_worker(tenant_a, "Zhou")
    afternoon = await make_order(tenant_a, state="accepted", starts=local_time(tenant_a, 0, 14), staff_id=worker_id)
    morning = await make_order(tenant_a, state="in_service", starts=local_time(tenant_a, 0, 9, 30), staff_id=worker_id)
    tomorrow = await make_order(tenant_a, state="accepted", starts=local_time(tenant_a, 1, 8), staff_id=worker_id)
    async with await signed_in(app, tenant_a, "staff", worker_id) as worker:
        page = (await worker.get("/staff/")).text
    today = page[page.index("data-today"):page.index("Coming up")]
    assert today.index(f"/staff/visits/{morning}") < today.index(f"/staff/visits/{afternoon}")
    assert "09:30" in today and "14:00" in today and f"/staff/visits/{tomorrow}" not in today
    assert f"/staff/visits/{tomorrow}" in page[page.index("Coming up"):]


async def test_an_offer_not_yet_accepted_shows_no_thread_and_takes_no_message(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="assigned")
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        page = await worker.get(f"/staff/visits/{booking.order_id}")
        assert page.status_code == 200 and "Messages open once a worker has accepted the order." in page.text
        early = await worker.post(f"/staff/visits/{booking.order_id}/messages", data={"csrf_token": CSRF, "body": "hello"})
        assert early.status_code == 404
