"""The booking page, the customer's order pages and the console's order pages, over HTTP."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.dispatch.schemas import DispatchSettingsUpdate
from platform_core.dispatch.services import update_settings
from platform_core.orders import machine as m
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import transition
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import OrderStateSpec
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    local_time,
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
    new_address,
    post_form,
    sign_in,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for

CUSTOMER_PHONE = "+8613700137000"


@pytest.fixture
async def shop(runtime, tenant_a):
    item_id = await make_item(tenant_a, price=15000)
    worker_id = await make_worker(tenant_a)
    async with tenant_scope(tenant_a.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
        # The office assigns by hand here, so no background offer races the customer's clicks.
        await update_settings(DispatchSettingsUpdate(mode="manual"))
    return tenant_a, slug, worker_id


@pytest.fixture
async def customer_client(app, runtime, shop):
    tenant = shop[0]
    customer_id = await make_customer(tenant, phone=CUSTOMER_PHONE)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        with_csrf(client).cookies.set("hearth_sid", token)
        yield client


def form_for(page_html: str, **fields) -> dict:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page_html).group(1)
    address = {f"address.{k}": v for k, v in new_address().items()}
    return {"idempotency_key": key, "address_id": "new", **address, "slot_start": "asap", **fields}


async def test_customer_books_on_the_page_and_follows_the_order(customer_client, shop):
    tenant, slug, worker_id = shop
    client = customer_client
    page = await client.get(f"/book/{slug}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html") and "Place order" in page.text
    # Two days ahead: always more than the 24 hours of free cancellation away.
    slot = local_time(tenant, days_ahead=2)
    slots = await client.get(f"/book/{slug}/slots", params={"day": slot.date().isoformat(), "staff_id": worker_id})
    assert slots.status_code == 200 and 'value="' + slot.isoformat() + '"' in slots.text
    price = await post_form(client, f"/book/{slug}/price", {"quantity": "1"})
    assert price.status_code == 200 and "150.00" in price.text
    placed = await post_form(client, f"/book/{slug}", form_for(page.text, slot_start=slot.isoformat(), staff_id=str(worker_id)))
    assert placed.status_code == 303, placed.text
    number = placed.headers["location"].split("/")[2].split("?")[0]
    detail = await client.get(placed.headers["location"])
    assert detail.status_code == 200 and number in detail.text and "Your order is placed" in detail.text
    assert "Pay after the service" in detail.text
    mine = await client.get("/orders")
    assert number in mine.text
    confirm = await client.get(f"/orders/{number}/cancel")
    assert confirm.status_code == 200 and "Cancelling now is free." in confirm.text
    cancelled = await post_form(client, f"/orders/{number}/cancel", {"reason": "plans changed"})
    assert cancelled.status_code == 303
    assert "Cancelled" in (await client.get(f"/orders/{number}")).text


async def test_the_booking_page_marks_bad_fields_and_places_nothing(customer_client, shop):
    tenant, slug, _ = shop
    page = await customer_client.get(f"/book/{slug}")
    response = await post_form(customer_client, f"/book/{slug}", form_for(page.text, **{"address.city": "", "slot_start": "2001-01-01T10:00:00+08:00"}))
    assert response.status_code == 400
    assert "Enter the city." in response.text
    async with tenant_scope(tenant.id):
        assert await current_connection().fetchval("select count(*) from core_order") == 0


async def test_booking_pages_send_visitors_to_sign_in(app, shop):
    tenant, slug, _ = shop
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        for path in (f"/book/{slug}", f"/book/{slug}/slots", "/orders", "/orders/20260101-0001", "/orders/20260101-0001/cancel"):
            response = await client.get(path)
            assert response.status_code in (302, 303) and "/account/sign-in" in response.headers["location"], path


async def test_console_lists_searches_and_acts_on_orders(app, runtime, shop, customer_client):
    tenant, slug, _ = shop
    page = await customer_client.get(f"/book/{slug}")
    placed = await post_form(customer_client, f"/book/{slug}", form_for(page.text))
    number = placed.headers["location"].split("/")[2].split("?")[0]
    owner = await make_console_user(tenant, "owner")
    support = await make_console_user(tenant, "support")
    async with client_for(app, f"{tenant.slug}.localhost") as console:
        with_csrf(console)
        await sign_in(console, owner.email)
        listed = await console.get("/console/orders")
        assert listed.status_code == 200 and number in listed.text
        assert 'href="/console/orders/settings"' in listed.text  # the menu, with its entries
        assert number in (await console.get("/console/orders", params={"q": "13700137000"})).text
        assert number not in (await console.get("/console/orders", params={"q": "13900000000"})).text
        assert number not in (await console.get("/console/orders", params={"state": "completed"})).text
        assert (await console.get("/console/orders/exceptions")).status_code == 200
        detail = await console.get(f"/console/orders/{number}")
        assert detail.status_code == 200 and "Cancel the order" in detail.text
        assert "/console/dispatch/orders/" in detail.text
        no_reason = await post_form(console, f"/console/orders/{number}/events/cancel_by_franchise", {"note": ""})
        assert no_reason.status_code == 400
        done = await post_form(console, f"/console/orders/{number}/events/cancel_by_franchise", {"note": "no worker in the area"})
        assert done.status_code == 303
        assert "no worker in the area" in (await console.get(f"/console/orders/{number}")).text
    async with client_for(app, f"{tenant.slug}.localhost") as console:
        with_csrf(console)
        await sign_in(console, support.email)
        assert (await console.get("/console/orders")).status_code == 200
        # Support sees orders but may not change them, nor the booking rules.
        page = await customer_client.get(f"/book/{slug}")
        second = (await post_form(customer_client, f"/book/{slug}", form_for(page.text))).headers["location"].split("/")[2].split("?")[0]
        refused = await post_form(console, f"/console/orders/{second}/events/mark_paid", {"note": ""})
        assert refused.status_code == 403
        assert (await console.get("/console/orders/settings")).status_code == 403


async def test_console_order_pages_refuse_customers_and_other_tenants(app, shop, customer_client, tenant_b):
    tenant, slug, _ = shop
    assert (await customer_client.get("/console/orders")).status_code in (302, 303)
    owner_b = await make_console_user(tenant_b, "owner")
    page = await customer_client.get(f"/book/{slug}")
    placed = await post_form(customer_client, f"/book/{slug}", form_for(page.text))
    number = placed.headers["location"].split("/")[2].split("?")[0]
    async with client_for(app, f"{tenant_b.slug}.localhost") as console:
        with_csrf(console)
        await sign_in(console, owner_b.email)
        assert (await console.get(f"/console/orders/{number}")).status_code == 404
        assert number not in (await console.get("/console/orders")).text


async def test_owner_sets_booking_rules_with_a_relay_line(app, shop):
    tenant = shop[0]
    owner = await make_console_user(tenant, "owner")
    async with client_for(app, f"{tenant.slug}.localhost") as console:
        with_csrf(console)
        await sign_in(console, owner.email)
        bad = await post_form(console, "/console/orders/settings", {"slot_minutes": "20", "lead_minutes": "x", "horizon_days": "14",
                                                                    "free_cancel_hours": "24", "late_cancel_fee_percent": "120", "reminder_hours": "2"})
        assert bad.status_code == 400
        good = await post_form(console, "/console/orders/settings", {"slot_minutes": "30", "lead_minutes": "60", "horizon_days": "14",
                                                                     "free_cancel_hours": "12", "late_cancel_fee_percent": "30", "reminder_hours": "2",
                                                                     "relay_phone": "400-820-8820"})
        assert good.status_code == 303
        assert "400-820-8820" in (await console.get("/console/orders/settings")).text


async def test_the_customer_reaches_the_worker_through_the_relay_line_never_the_number(app, runtime, shop, customer_client):
    from platform_core.accounts.phones import decrypt_phone
    from platform_core.dispatch.offers import accept_offer, assign_by_hand
    from platform_core.orders.schemas import ActorRef
    from platform_core.orders.services import get_order_by_number

    tenant, slug, worker_id = shop
    page = await customer_client.get(f"/book/{slug}")
    placed = await post_form(customer_client, f"/book/{slug}", form_for(page.text))
    number = placed.headers["location"].split("/")[2].split("?")[0]
    async with tenant_scope(tenant.id):
        order = await get_order_by_number(number)
        assignment = await assign_by_hand(order.id, worker_id, ActorRef(kind="console", id=1, permissions=frozenset({"dispatch.manage"})))
        worker_phone = await current_connection().fetchval("select phone_cipher from core_staff where id = $1", worker_id)
    detail = (await customer_client.get(f"/orders/{number}")).text
    assert "Wang" in detail and "number is hidden" in detail
    e164 = decrypt_phone(runtime.keyring, worker_phone)
    assert e164 not in detail and e164[3:] not in detail
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "insert into core_booking_settings (tenant_id, relay_phone) values ($1, '400-820-8820')", tenant.id
        )
    # A call makes sense once the worker has accepted: until then neither number nor line.
    assert 'href="tel:400-820-8820"' not in (await customer_client.get(f"/orders/{number}")).text
    async with tenant_scope(tenant.id):
        await accept_offer(worker_id, assignment.id)
    detail = (await customer_client.get(f"/orders/{number}")).text
    assert 'href="tel:400-820-8820"' in detail


class TrialPeriod:
    """A category plugin's extra state, as elder care's trial period will be."""

    @hookimpl
    def register_order_states(self):
        return [OrderStateSpec(
            category="cleaning", state="on_trial", after=m.IN_SERVICE, label="On trial", tone="brand",
            transitions=[{"event": "start_trial", "sources": [m.IN_SERVICE], "target": "on_trial", "actors": ["system"], "label": "Trial started"}],
        )]


@pytest.fixture
def trial_period(runtime):
    # The relay keeps startup registrations per set of registered plugins: this one is seen at once.
    runtime.pm.register(TrialPeriod(), name="core.test_trial_period")
    yield
    runtime.pm.unregister(name="core.test_trial_period")


async def test_a_plugin_state_shows_its_own_name_and_tone_to_the_customer_and_in_the_console(app, runtime, tenant_a, trial_period):
    customer_id = await make_customer(tenant_a)
    order_id = await make_order(tenant_a, customer_id=customer_id, item_id=await make_item(tenant_a, category="cleaning"),
                                state=m.IN_SERVICE)
    async with tenant_scope(tenant_a.id):
        order = await transition(order_id, "start_trial", SYSTEM)
    assert order.state == "on_trial"
    badge = '<span class="badge badge--brand">On trial</span>'
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant_a.id)
    async with client_for(app, f"{tenant_a.slug}.localhost") as customer:
        customer.cookies.set("hearth_sid", token)
        assert badge in (await customer.get("/orders")).text
        detail = (await customer.get(f"/orders/{order.number}")).text
        assert badge in detail and "Trial started" in detail  # the plugin's event on the timeline
    owner = await make_console_user(tenant_a, "owner")
    async with client_for(app, f"{tenant_a.slug}.localhost") as console:
        with_csrf(console)
        await sign_in(console, owner.email)
        listed = (await console.get("/console/orders", params={"state": "on_trial"})).text
        assert order.number in listed and badge in listed
        # The state filter offers it where the plugin put it: after the state it names.
        assert '<option value="on_trial" selected>On trial</option>' in listed
        assert listed.index('<option value="in_service"') < listed.index('<option value="on_trial"') < listed.index('<option value="completed"')
        assert badge in (await console.get(f"/console/orders/{order.number}")).text
