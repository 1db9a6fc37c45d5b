"""The booking form fits the service and refuses nonsense: quantities within the item's limits
(API, quotes and the console's "mark paid"), every problem reported at once, long stays booked by
their start date, and booking fields with bounds and photos."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import transition
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import BookingFieldSpec
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    console_client,
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
    new_address,
    post_form,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.locale import LOCALE_COOKIE

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def auth(runtime, tenant_a):
    return await bearer_for(tenant_a, "customer", await make_customer(tenant_a))


def key() -> dict[str, str]:
    return {"idempotency-key": secrets.token_hex(12)}


def booking(item_id: int, tenant, **overrides) -> dict:
    return {"item_id": item_id, "address": new_address(), "slot_start": local_time(tenant).isoformat(), **overrides}


async def count_orders(tenant) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select count(*) from core_order")


async def test_hours_outside_the_items_limits_are_refused_by_the_api_and_the_quote(app, runtime, tenant_a, auth):
    await make_worker(tenant_a)
    item_id = await make_item(tenant_a, pricing_model="hourly", price=5000, min_quantity=3, max_quantity=8)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        client.cookies.set(LOCALE_COOKIE, "en")
        for quantity, message in ((2, "Book at least 3 hours."), (9, "Book at most 8 hours."), (99999, None)):
            refused = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, quantity=quantity), headers={**auth, **key()})
            assert refused.status_code == 400, refused.text
            fields = refused.json()["error"]["fields"]
            assert "quantity" in fields and (message is None or fields["quantity"] == message)
            quoted = await client.post("/api/v1/quotes", json={"item_id": item_id, "quantity": quantity})
            assert quoted.status_code == 400 and "quantity" in quoted.json()["error"]["fields"]
        assert await count_orders(tenant_a) == 0
        placed = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, quantity=5), headers={**auth, **key()})
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert order["total"] == 25000 and order["quantity"] == 5
        assert order["scheduled_end"] is not None
        left_out = await client.post("/api/v1/quotes", json={"item_id": item_id})
        assert left_out.json()["total"] == 15000  # the item's minimum


async def test_a_fixed_price_item_may_count_units_within_its_limits(app, runtime, tenant_a, auth):
    await make_worker(tenant_a)
    item_id = await make_item(tenant_a, price=12000, duration=60, max_quantity=3)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        client.cookies.set(LOCALE_COOKIE, "en")
        too_many = await client.post("/api/v1/quotes", json={"item_id": item_id, "quantity": 4})
        assert too_many.status_code == 400 and too_many.json()["error"]["fields"]["quantity"] == "Book at most 3."
        placed = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, quantity=2), headers={**auth, **key()})
        assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["total"] == 24000
    # Two units take twice the item's hour.
    start, end = (datetime.fromisoformat(order[k]) for k in ("scheduled_start", "scheduled_end"))
    assert end - start == timedelta(hours=2)


async def test_every_problem_of_a_booking_is_reported_at_once(app, runtime, tenant_a, auth):
    await make_worker(tenant_a)
    item_id = await make_item(tenant_a, pricing_model="hourly", price=5000, min_quantity=3, max_quantity=8, booking_fields=[
        {"name": "rooms", "label": "Rooms", "type": "number", "required": True, "min": 1, "max": 10},
    ])
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        client.cookies.set(LOCALE_COOKIE, "en")
        refused = await client.post("/api/v1/orders", json=booking(
            item_id, tenant_a, quantity=20, address=new_address(city=""), fields={"rooms": "40"},
            slot_start=local_time(tenant_a, hour=23).isoformat(), addon_ids=[424242],
        ), headers={**auth, **key()})
    assert refused.status_code == 400
    fields = refused.json()["error"]["fields"]
    assert {"quantity", "address.city", "fields.rooms", "slot_start", "addon_ids"} <= set(fields)
    assert fields["fields.rooms"] == "Enter a number from 1 to 10."
    assert await count_orders(tenant_a) == 0


async def test_a_long_stay_is_booked_by_its_start_date_never_as_soon_as_possible(app, runtime, tenant_a, auth):
    await make_worker(tenant_a, skills=("maternity",), hours="mon-sun 08:00-20:00")
    item_id = await make_item(
        tenant_a, slug="maternity-nurse", price=1680000, duration=26 * 1440, skills=("maternity",),
        booking_fields=[{"name": "due_date", "label": "Due date", "type": "date", "required": True}],
    )
    start_day = clock.today(tenant_a.timezone) + timedelta(days=3)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        asap = await client.post("/api/v1/orders", json={"item_id": item_id, "address": new_address(), "asap": True,
                                                         "fields": {"due_date": start_day.isoformat()}}, headers={**auth, **key()})
        assert asap.status_code == 400 and "start_date" in asap.json()["error"]["fields"]
        slots = (await client.get("/api/v1/availability/", params={"item": "maternity-nurse", "date": start_day.isoformat()})).json()
        assert len(slots["slots"]) == 1  # one start a day: the stay has no time of day to pick
        placed = await client.post("/api/v1/orders", json={
            "item_id": item_id, "address": new_address(), "start_date": start_day.isoformat(),
            "fields": {"due_date": start_day.isoformat()},
        }, headers={**auth, **key()})
        assert placed.status_code == 201, placed.text
    order = placed.json()
    start = datetime.fromisoformat(order["scheduled_start"]).astimezone(ZoneInfo(tenant_a.timezone))
    assert start.date() == start_day and order["asap"] is False
    assert datetime.fromisoformat(order["scheduled_end"]) - datetime.fromisoformat(order["scheduled_start"]) == timedelta(days=26)
    assert order["fields"] == {"due_date": start_day.isoformat()}


async def test_a_photo_field_takes_an_upload_of_this_franchise_only(app, runtime, tenant_a, auth):
    await make_worker(tenant_a)
    item_id = await make_item(tenant_a, booking_fields=[
        {"name": "fault_photo", "label": "Photo of the fault", "type": "photo", "required": True},
    ])
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        forged = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, fields={"fault_photo": "/media/" + "0" * 32 + ".png"}),
                                   headers={**auth, **key()})
        assert forged.status_code == 400 and "fields.fault_photo" in forged.json()["error"]["fields"]
        url = (await client.post("/api/v1/uploads", files={"file": ("x.png", PNG, "image/png")}, headers=auth)).json()["url"]
        placed = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, fields={"fault_photo": url}), headers={**auth, **key()})
        assert placed.status_code == 201, placed.text
        assert placed.json()["fields"] == {"fault_photo": url}
    # The order pages show the answer by its question, the photo as a picture (no field names).
    number = placed.json()["number"]
    async with await signed_in(app, tenant_a, "customer", placed.json()["customer_id"]) as customer_client:
        mine = (await customer_client.get(f"/orders/{number}")).text
    async with await console_client(client_for(app, f"{tenant_a.slug}.localhost"), tenant_a, "owner") as office:
        theirs = (await office.get(f"/console/orders/{number}")).text
    for html in (mine, theirs):
        assert "<dt>Photo of the fault</dt>" in html and f'src="{url}"' in html and "fault_photo" not in html


async def test_mark_paid_refuses_an_order_beyond_the_items_limits(runtime, tenant_a):
    item_id = await make_item(tenant_a, pricing_model="hourly", price=5000, min_quantity=3, max_quantity=8)
    order_id = await make_order(tenant_a, item_id=item_id, state="paid")
    async with tenant_scope(tenant_a.id):
        # An order from before the limits: 99,999 hours.
        await current_connection().execute("update core_order set quantity = 99999 where id = $1", order_id)
        finance = ActorRef(kind="console", id=1, permissions=frozenset({"finance.manage"}))
        with pytest.raises(Conflict):
            await transition(order_id, "mark_paid", finance)
        await current_connection().execute("update core_order set quantity = 4 where id = $1", order_id)
        marked = await transition(order_id, "mark_paid", finance)
    assert marked.paid_at is not None


class FloorsField:
    @hookimpl
    def compute_booking_fields(self, form):
        return [BookingFieldSpec(name="floors", label="Floors", type="number", required=True, min=1, max=3)]


async def test_a_plugins_number_field_keeps_its_bounds(app, runtime, tenant_a, auth):
    await make_worker(tenant_a)
    item_id = await make_item(tenant_a)
    runtime.pm.register(FloorsField(), name="core.test_floors")
    try:
        async with client_for(app, f"{tenant_a.slug}.localhost") as client:
            client.cookies.set(LOCALE_COOKIE, "en")
            refused = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, fields={"floors": 12}), headers={**auth, **key()})
            placed = await client.post("/api/v1/orders", json=booking(item_id, tenant_a, fields={"floors": 2}), headers={**auth, **key()})
    finally:
        runtime.pm.unregister(name="core.test_floors")
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["fields.floors"] == "Enter a number from 1 to 3."
    assert placed.status_code == 201 and placed.json()["fields"] == {"floors": 2}


async def test_the_booking_page_uploads_a_photo_field_and_keeps_it_through_an_error(app, runtime, tenant_a):
    await make_worker(tenant_a)
    await make_item(tenant_a, slug="repair", pricing_model="quote", price=5000, booking_fields=[
        {"name": "fault", "label": "What is wrong", "type": "textarea", "required": True},
        {"name": "fault_photo", "label": "Photo of the fault", "type": "photo"},
    ])
    customer_id = await make_customer(tenant_a)
    form = {"idempotency_key": secrets.token_hex(12), "address_id": "new", "slot_start": "asap",
            **{f"address.{k}": v for k, v in new_address().items()}}
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        client.cookies.set(LOCALE_COOKIE, "en")
        # The fault left out: the photo is stored anyway and rides along in the form shown again.
        refused = await post_form(client, "/book/repair", form, files={"upload.fault_photo": ("fault.png", PNG, "image/png")})
        assert refused.status_code == 400 and "This field is required." in refused.text
        url = re.search(r'name="fields\.fault_photo" value="([^"]+)"', refused.text).group(1)
        placed = await post_form(client, "/book/repair", {**form, "fields.fault": "No cooling", "fields.fault_photo": url})
        assert placed.status_code in (302, 303), placed.text
    async with tenant_scope(tenant_a.id):
        stored = await current_connection().fetchval("select fields::text from core_order where customer_id = $1", customer_id)
    assert url in stored and "No cooling" in stored


async def test_a_new_address_on_the_booking_page_is_picked_not_typed_as_coordinates(app, runtime, tenant_a):
    await make_worker(tenant_a)
    await make_item(tenant_a, slug="clean")
    customer_id = await make_customer(tenant_a)
    address = {"contact_name": "王阿姨", "contact_phone": "13700137000", "region": "上海市", "city": "上海市",
               "district": "徐汇区", "area_code": "310104", "street": "漕溪北路 88 号"}
    form = {"idempotency_key": secrets.token_hex(12), "address_id": "new", "slot_start": "asap",
            **{f"address.{k}": v for k, v in address.items()}}
    async with await signed_in(app, tenant_a, "customer", customer_id) as client:
        page = await client.get("/book/clean")
        placed = await post_form(client, "/book/clean", form)
    # The same picker and suggestions as the address book; no field to type a coordinate in.
    assert "data-region-picker" in page.text and 'data-place-tips="/account/addresses/tips"' in page.text
    assert 'type="hidden" name="address.lat"' in page.text and 'name="address.area_code"' in page.text
    assert placed.status_code in (302, 303), placed.text
    async with tenant_scope(tenant_a.id):
        lat, lng = await current_connection().fetchrow("select lat, lng from core_order where customer_id = $1", customer_id)
    # The district's centre from the bundled data placed it.
    assert float(lat) == pytest.approx(31.19, abs=0.05) and float(lng) == pytest.approx(121.44, abs=0.05)
