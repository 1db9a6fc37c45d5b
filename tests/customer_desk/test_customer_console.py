"""The console's customers: the list's search and filters, the customer's page, notes, the
logged phone reveal, and who may see and change what."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    console_client,
    make_customer,
    make_order,
    post_form,
    random_phone,
)


async def registered(tenant, days_ago: int, name: str, phone: str | None = None, **columns) -> int:
    customer_id = await make_customer(tenant, phone, name=name)
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "update core_customer set created_at = now() - make_interval(days => $2) where id = $1", customer_id, days_ago)
        for column, value in columns.items():
            await current_connection().execute(f"update core_customer set {column} = $2 where id = $1", customer_id, value)
    return customer_id


async def paid_order(tenant, customer_id: int, *, days_ago: int, total: int, number: str | None = None) -> int:
    order_id = await make_order(tenant, customer_id=customer_id, state="completed", total=total, number=number)
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "update core_order set created_at = now() - make_interval(days => $2), paid_at = now() - make_interval(days => $2), "
            "scheduled_start = now() - make_interval(days => $2), scheduled_end = now() - make_interval(days => $2) + interval '2 hours' "
            "where id = $1",
            order_id, days_ago)
    return order_id


def names(response) -> set[str]:
    text = response.text
    return {name for name in ("Wang Fang", "Li Lei", "Zhao Min", "Chen Jing") if f">{name}<" in text}


async def test_search_by_name_phone_and_order_number(tenant_a, client_a):
    phone = random_phone()
    wang = await registered(tenant_a, 10, "Wang Fang", phone)
    li = await registered(tenant_a, 5, "Li Lei")
    await paid_order(tenant_a, li, days_ago=3, total=20000, number="HS-CUST-0001")
    client = await console_client(client_a, tenant_a, "owner")

    listed = await client.get("/console/customers")
    assert listed.status_code == 200
    assert names(listed) == {"Wang Fang", "Li Lei"}
    assert listed.text.index("Li Lei") < listed.text.index("Wang Fang")  # newest first

    assert names(await client.get("/console/customers", params={"q": "wang"})) == {"Wang Fang"}
    # The phone as a person types it (national form): found through the blind index.
    national = phone.removeprefix("+86")
    assert names(await client.get("/console/customers", params={"q": national})) == {"Wang Fang"}
    assert names(await client.get("/console/customers", params={"q": "HS-CUST-0001"})) == {"Li Lei"}
    nobody = await client.get("/console/customers", params={"q": "nobody here"})
    assert names(nobody) == set() and "No customers found" in nobody.text
    assert wang


async def test_each_filter_narrows_the_list(tenant_a, client_a):
    wang = await registered(tenant_a, 40, "Wang Fang")
    li = await registered(tenant_a, 5, "Li Lei", status="frozen")
    zhao = await registered(tenant_a, 2, "Zhao Min")
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_customer set realname_verified_at = now() where id = $1", zhao)
    await paid_order(tenant_a, wang, days_ago=30, total=50000)
    await paid_order(tenant_a, li, days_ago=2, total=8000)
    client = await console_client(client_a, tenant_a, "owner")

    async def listed(**params) -> set[str]:
        response = await client.get("/console/customers", params=params)
        assert response.status_code == 200, response.text
        return names(response)

    from platform_core import clock

    today = clock.today(tenant_a.timezone)
    week_ago = (today.fromordinal(today.toordinal() - 7)).isoformat()
    assert await listed(registered_from=week_ago) == {"Li Lei", "Zhao Min"}
    assert await listed(registered_to=week_ago) == {"Wang Fang"}
    assert await listed(status="frozen") == {"Li Lei"}
    assert await listed(realname="verified") == {"Zhao Min"}
    assert await listed(realname="unverified") == {"Wang Fang", "Li Lei"}
    assert await listed(last_order="never") == {"Zhao Min"}
    assert await listed(last_order="before", last_order_on=week_ago) == {"Wang Fang"}
    assert await listed(last_order="after", last_order_on=week_ago) == {"Li Lei"}
    assert await listed(spend_min="100") == {"Wang Fang"}
    assert await listed(spend_max="100") == {"Li Lei", "Zhao Min"}
    assert await listed(spend_min="50", spend_max="100") == {"Li Lei"}
    assert await listed(status="active", last_order="never") == {"Zhao Min"}


async def test_bad_filters_are_field_errors_not_500(tenant_a, client_a):
    client = await console_client(client_a, tenant_a, "owner")
    cases = [
        ({"spend_min": "lots"}, "Enter an amount"),
        ({"spend_min": "500", "spend_max": "100"}, "The highest amount is below the lowest."),
        ({"last_order": "before"}, "Choose a day."),
        ({"registered_from": "2026-02-30"}, "field-registered_from"),
        ({"status": "sleeping"}, "field-status"),
        ({"channel": str(2**70)}, "field-channel"),
        ({"q": "x" * 101}, "field-q"),
        ({"q": "a\x01b"}, "field-q"),
    ]
    for params, shown in cases:
        response = await client.get("/console/customers", params=params)
        assert response.status_code == 400, (params, response.status_code)
        assert shown in response.text, params
        assert "field--invalid" in response.text


async def test_customer_page_shows_the_account_and_its_records(tenant_a, client_a):
    wang = await registered(tenant_a, 40, "Wang Fang")
    await paid_order(tenant_a, wang, days_ago=20, total=26800, number="HS-PAGE-0001")
    async with tenant_scope(tenant_a.id) as tenant:
        from platform_core.accounts.services import record_sign_in

        await record_sign_in(tenant, wang, method="phone_code", ip="203.0.113.7", device="iPhone Safari")
    client = await console_client(client_a, tenant_a, "support")
    response = await client.get(f"/console/customers/{wang}")
    assert response.status_code == 200
    for shown in ("Wang Fang", "HS-PAGE-0001", "203.0.113.7", "iPhone Safari", "Sign-in records", "Orders and spending"):
        assert shown in response.text, shown


async def test_phone_reveal_is_logged_and_shown(tenant_a, client_a):
    phone = random_phone()
    wang = await registered(tenant_a, 1, "Wang Fang", phone)
    client = await console_client(client_a, tenant_a, "dispatcher")
    page = await client.get(f"/console/customers/{wang}")
    assert phone not in page.text and "Nobody has viewed the full phone number." in page.text
    shown = await post_form(client, f"/console/customers/{wang}/phone")
    assert shown.status_code == 200 and phone in shown.text
    again = await client.get(f"/console/customers/{wang}")
    assert phone not in again.text
    assert "Dispatcher Person" in again.text and "Nobody has viewed" not in again.text
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_customer_phone_reveal where customer_id = $1", wang) == 1


async def test_notes_by_the_office(tenant_a, client_a):
    wang = await registered(tenant_a, 1, "Wang Fang")
    client = await console_client(client_a, tenant_a, "support")
    saved = await post_form(client, f"/console/customers/{wang}/notes", {"body": "Prefers afternoon visits."})
    assert saved.status_code == 303
    page = await client.get(f"/console/customers/{wang}")
    assert "Prefers afternoon visits." in page.text and "Support Person" in page.text
    empty = await post_form(client, f"/console/customers/{wang}/notes", {"body": "   "})
    assert empty.status_code == 400 and "This field is required." in empty.text
    long = await post_form(client, f"/console/customers/{wang}/notes", {"body": "x" * 1001})
    assert long.status_code == 400 and "field--invalid" in long.text


async def test_permissions(tenant_a, client_a, app):
    wang = await registered(tenant_a, 1, "Wang Fang")
    finance = await console_client(client_a, tenant_a, "finance")
    assert (await finance.get("/console/customers")).status_code == 403
    assert (await finance.get(f"/console/customers/{wang}")).status_code == 403
    assert (await post_form(finance, f"/console/customers/{wang}/phone")).status_code == 403
    from platform_core.testing.pytest_plugin import client_for

    async with client_for(app, f"{tenant_a.slug}.localhost") as other:
        dispatcher = await console_client(other, tenant_a, "dispatcher")
        assert (await dispatcher.get(f"/console/customers/{wang}")).status_code == 200
        refused = await post_form(dispatcher, f"/console/customers/{wang}/freeze", {"reason": "x", "expected": "active"})
        assert refused.status_code == 403
        assert "Freeze the account" not in (await dispatcher.get(f"/console/customers/{wang}")).text


async def test_odd_ids_are_404_not_500(tenant_a, client_a):
    client = await console_client(client_a, tenant_a, "owner")
    assert (await client.get("/console/customers/999999999")).status_code == 404
    assert (await client.get(f"/console/customers/{2**64}")).status_code == 404
    assert (await client.get("/console/customers/-1")).status_code in (400, 404)
    assert (await post_form(client, f"/console/customers/{2**63}/freeze", {"reason": "x", "expected": "active"})).status_code in (400, 404)
    assert (await post_form(client, "/console/customers/999999999/freeze", {"reason": "x", "expected": "active"})).status_code == 404


async def test_customer_page_shows_reviews_feedback_and_coupons(tenant_a, client_a):
    import msgspec

    from platform_core.promotions import services as promotions
    from platform_core.promotions.schemas import CouponTemplateFields
    from platform_core.reviews.schemas import ReviewCreate
    from platform_core.reviews.services import submit_review
    from platform_core.support.schemas import FeedbackCreate
    from platform_core.support.services import send_feedback
    from platform_core.testing.factories import make_booking

    booking = await make_booking(tenant_a, state="completed")
    async with tenant_scope(tenant_a.id):
        await submit_review(booking.customer_id, booking.number, ReviewCreate(quality=5, attitude=4, skill=5, text="Spotless kitchen"))
        await send_feedback(booking.customer_id, FeedbackCreate(kind="suggestion", subject="Weekend slots please", body="More slots"))
        template = await promotions.create_template(msgspec.convert(
            {"name": "Welcome ¥20", "kind": "amount_off", "amount_off": 2000, "per_customer_limit": 5}, CouponTemplateFields))
        await promotions.issue_coupon(template.id, booking.customer_id, source="manual")
    client = await console_client(client_a, tenant_a, "owner")
    page = await client.get(f"/console/customers/{booking.customer_id}")
    assert page.status_code == 200
    for shown in ("Spotless kitchen", "Weekend slots please", "Welcome ¥20", booking.number):
        assert shown in page.text, shown


async def test_acquisition_channel_filter(tenant_a, client_a):
    from platform_core.marketing import channels
    from platform_core.marketing.schemas import ChannelCreate

    through = await registered(tenant_a, 3, "Zhao Min")
    await registered(tenant_a, 3, "Chen Jing")
    async with tenant_scope(tenant_a.id):
        channel = await channels.create_channel(ChannelCreate(name="Flyers at Riverside", kind="flyer"))
        await current_connection().execute(
            "insert into core_marketing_attribution (tenant_id, customer_id, channel_id, registered_at) values ($1, $2, $3, now())",
            tenant_a.id, through, channel.id)
    client = await console_client(client_a, tenant_a, "owner")
    listed = await client.get("/console/customers")
    assert "Flyers at Riverside" in listed.text  # offered as a choice
    assert names(await client.get("/console/customers", params={"channel": channel.id})) == {"Zhao Min"}
    assert names(await client.get("/console/customers", params={"channel": channel.id + 1000})) == set()
