"""Reviews: only the order's customer, only once the service is completed, once; scores 1–5;
the worker's rating follows; the franchise replies and hides with a kept reason; hidden reviews
neither show nor count."""

from __future__ import annotations

import pytest

from platform_core.db import current_connection
from platform_core.notifications.services import list_notifications
from platform_core.reviews import services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    CSRF,
    bearer_for,
    make_booking,
    make_console_user,
    make_customer,
    post_form,
    sign_in,
    signed_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

GOOD = {"quality": 5, "attitude": 4, "skill": 3, "text": "很干净，很准时"}


async def _rating(tenant, staff_id: int):
    async with tenant_scope(tenant.id):
        return await current_connection().fetchrow(
            "select rating_avg, rating_count from core_staff_profile where staff_id = $1", staff_id
        )


async def test_customer_reviews_a_completed_order_once_and_the_worker_rating_updates(app, runtime, tenant_a):
    booking = await make_booking(tenant_a)
    headers = await bearer_for(tenant_a, "customer", booking.customer_id)
    async with client_for(app, booking.host) as client:
        created = await client.post(f"/api/v1/orders/{booking.number}/review", json=GOOD, headers=headers)
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["quality"], body["attitude"], body["skill"], body["score"]) == (5, 4, 3, 4.0)
        assert body["author"] == "李**"
        again = await client.post(f"/api/v1/orders/{booking.number}/review", json=GOOD, headers=headers)
        assert again.status_code == 409
        mine = await client.get(f"/api/v1/orders/{booking.number}/review", headers=headers)
        assert mine.json()["id"] == body["id"]
    rating = await _rating(tenant_a, booking.staff_id)
    assert (float(rating["rating_avg"]), rating["rating_count"]) == (4.0, 1)


async def test_review_is_refused_before_the_service_is_completed(app, runtime, tenant_a):
    booking = await make_booking(tenant_a, state="in_service")
    headers = await bearer_for(tenant_a, "customer", booking.customer_id)
    async with client_for(app, booking.host) as client:
        response = await client.post(f"/api/v1/orders/{booking.number}/review", json=GOOD, headers=headers)
    assert response.status_code == 409
    assert (await _rating(tenant_a, booking.staff_id))["rating_count"] == 0


async def test_customer_cannot_review_someone_elses_order(app, runtime, tenant_a):
    booking = await make_booking(tenant_a)
    stranger = await make_customer(tenant_a, name="张三")
    headers = await bearer_for(tenant_a, "customer", stranger)
    async with client_for(app, booking.host) as client:
        response = await client.post(f"/api/v1/orders/{booking.number}/review", json=GOOD, headers=headers)
        anonymous = await client.post(f"/api/v1/orders/{booking.number}/review", json=GOOD)
    assert response.status_code == 404
    assert anonymous.status_code == 401


@pytest.mark.parametrize("bad", [{"quality": 0}, {"attitude": 6}, {"skill": 2.5}, {"text": "x" * 2001}, {"photos": ["javascript:alert(1)"]}])
async def test_review_scores_are_one_to_five_and_photos_are_links(app, runtime, tenant_a, bad):
    booking = await make_booking(tenant_a)
    headers = await bearer_for(tenant_a, "customer", booking.customer_id)
    async with client_for(app, booking.host) as client:
        response = await client.post(f"/api/v1/orders/{booking.number}/review", json={**GOOD, **bad}, headers=headers)
    assert response.status_code == 400
    assert {name.split("[")[0] for name in response.json()["error"]["fields"]} == set(bad)


async def test_rating_is_the_mean_of_visible_reviews_and_hiding_takes_one_out(app, runtime, tenant_a):
    first = await make_booking(tenant_a)
    second = await make_booking(tenant_a, staff_id=first.staff_id, item_id=first.item_id, hours_ago=30)
    async with tenant_scope(tenant_a.id):
        from platform_core.reviews.schemas import ReviewCreate

        await services.submit_review(first.customer_id, first.number, ReviewCreate(quality=5, attitude=5, skill=5))
        abusive = await services.submit_review(second.customer_id, second.number, ReviewCreate(quality=1, attitude=1, skill=1, text="垃圾"))
    assert float((await _rating(tenant_a, first.staff_id))["rating_avg"]) == 3.0

    owner = await make_console_user(tenant_a, "support")
    async with client_for(app, first.host) as console:
        await sign_in(with_csrf(console), owner.email)
        empty = await post_form(console, f"/console/reviews/{abusive.id}/hide", {"reason": ""})
        assert empty.status_code == 400
        assert "Say why the review is hidden" in empty.text
        hidden = await post_form(console, f"/console/reviews/{abusive.id}/hide", {"reason": "辱骂性语言"})
        assert hidden.status_code == 303
        replied = await post_form(console, f"/console/reviews/{abusive.id}/reply", {"reply": "很抱歉，我们会跟进"})
        assert replied.status_code == 303
        listing = await console.get("/console/reviews?show=hidden")
        assert "辱骂性语言" in listing.text and "很抱歉，我们会跟进" in listing.text
        assert (await post_form(console, f"/console/reviews/{abusive.id}/reply", {"reply": "已跟进处理"})).status_code == 303
    async with tenant_scope(tenant_a.id):
        told = await list_notifications("customer", second.customer_id)
    assert [n.link for n in told] == [f"/orders/{second.number}/review"]  # once, not per edit

    rating = await _rating(tenant_a, first.staff_id)
    assert (float(rating["rating_avg"]), rating["rating_count"]) == (5.0, 1)
    async with client_for(app, first.host) as client:
        public = (await client.get(f"/api/v1/workers/{first.staff_id}/reviews")).json()
    assert [r["id"] for r in public["reviews"]] != [] and abusive.id not in [r["id"] for r in public["reviews"]]
    assert public["rating"]["count"] == 1 and public["rating"]["stars"]["5"] == 1
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_staff set status = 'inactive' where id = $1", first.staff_id)
    async with client_for(app, first.host) as client:
        assert (await client.get(f"/api/v1/workers/{first.staff_id}/reviews")).status_code == 404
    async with tenant_scope(tenant_a.id):
        assert [r.id for r in await services.reviews_for_item(first.item_id)] != [abusive.id]
        assert abusive.id not in [r.id for r in await services.reviews_for_item(first.item_id)]
        kept = await current_connection().fetchrow("select hidden_reason, reply from core_review where id = $1", abusive.id)
        assert kept["hidden_reason"] == "辱骂性语言"
        await services.show_review(abusive.id)
    assert float((await _rating(tenant_a, first.staff_id))["rating_avg"]) == 3.0


async def test_review_page_offers_the_form_only_for_a_completed_order_of_the_customer(app, runtime, tenant_a):
    booking = await make_booking(tenant_a)
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as client:
        form = await client.get(f"/orders/{booking.number}/review")
        assert form.status_code == 200 and 'name="quality"' in form.text
        missing = await client.post(f"/orders/{booking.number}/review", data={"csrf_token": CSRF, "quality": "5"})
        assert missing.status_code == 400
        assert "Choose from 1 to 5 stars." in missing.text
        done = await client.post(
            f"/orders/{booking.number}/review",
            data={"csrf_token": CSRF, "quality": "4", "attitude": "5", "skill": "4", "text": "Great"},
        )
        assert done.status_code == 303
        shown = await client.get(f"/orders/{booking.number}/review?done=1")
        assert "Thank you for your review." in shown.text and 'name="quality"' not in shown.text
    other = await make_customer(tenant_a)
    async with await signed_in(app, tenant_a, "customer", other) as client:
        assert (await client.get(f"/orders/{booking.number}/review")).status_code == 404


async def test_console_reviews_need_support_permission(app, runtime, tenant_a):
    dispatcher = await make_console_user(tenant_a, "dispatcher")
    async with client_for(app, f"{tenant_a.slug}.localhost") as console:
        assert (await console.get("/console/reviews")).status_code in (302, 303, 401)
        await sign_in(with_csrf(console), dispatcher.email)
        assert (await console.get("/console/reviews")).status_code == 403


async def test_tenant_b_cannot_see_tenant_a_reviews(app, runtime, tenant_a, tenant_b):
    booking = await make_booking(tenant_a)
    async with tenant_scope(tenant_a.id):
        from platform_core.reviews.schemas import ReviewCreate

        await services.submit_review(booking.customer_id, booking.number, ReviewCreate(quality=5, attitude=5, skill=5))
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from core_review") == 0
        assert await services.reviews_for_staff(booking.staff_id) == []
    async with client_for(app, f"{tenant_b.slug}.localhost") as client:
        assert (await client.get(f"/api/v1/workers/{booking.staff_id}/reviews")).status_code == 404


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_review_photos_are_uploaded_first_and_only_ours_are_accepted(app, runtime, tenant_a):
    booking = await make_booking(tenant_a)
    headers = await bearer_for(tenant_a, "customer", booking.customer_id)
    async with client_for(app, booking.host) as client:
        uploaded = await client.post("/api/v1/uploads", files={"file": ("result.png", PNG, "image/png")}, headers=headers)
        assert uploaded.status_code == 201, uploaded.text
        url = uploaded.json()["url"]
        invented = "/media/" + "0" * 32 + ".png"
        refused = await client.post(f"/api/v1/orders/{booking.number}/review", json={**GOOD, "photos": [invented]}, headers=headers)
        assert refused.status_code == 400 and "photos" in refused.json()["error"]["fields"]
        created = await client.post(f"/api/v1/orders/{booking.number}/review", json={**GOOD, "photos": [url]}, headers=headers)
        assert created.status_code == 201 and created.json()["photos"] == [url]


async def test_review_form_takes_photo_files(app, runtime, tenant_a):
    booking = await make_booking(tenant_a)
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as client:
        form = {"csrf_token": CSRF, "quality": "5", "attitude": "5", "skill": "4", "text": "Spotless"}
        wrong = await client.post(f"/orders/{booking.number}/review", data={**form, "skill": ""}, files={"photo_files": ("a.png", PNG, "image/png")})
        assert wrong.status_code == 400
        kept = [line.split('value="')[1].split('"')[0] for line in wrong.text.splitlines() if 'name="photos"' in line]
        assert len(kept) == 1 and kept[0].startswith("/media/")
        done = await client.post(f"/orders/{booking.number}/review", data={**form, "photos": kept[0]})
        assert done.status_code == 303
        assert kept[0] in (await client.get(f"/orders/{booking.number}/review")).text
