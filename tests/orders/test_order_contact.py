"""Reaching each other: the franchise's service line and hours (set in the console, shown on the
site, the order page and the staff app), the office reading an order's messages and the
customer's full phone (recorded on the timeline), the customer confirming the work."""

from __future__ import annotations

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    CSRF,
    console_client,
    make_booking,
    post_form,
    signed_in,
)

SETTINGS = {"slot_minutes": "30", "lead_minutes": "120", "horizon_days": "14", "free_cancel_hours": "24",
            "late_cancel_fee_percent": "20", "reminder_hours": "2", "relay_phone": ""}


async def test_owner_sets_the_service_line_and_everyone_sees_it(app, client_a, tenant_a, runtime):
    console = await console_client(client_a, tenant_a, "owner")
    bad = await post_form(console, "/console/orders/settings", {
        **SETTINGS, "horizon_days": "500", "service_phone": "call us", "service_opens": "20:00", "service_closes": "08:00"})
    assert bad.status_code == 400
    assert 'id="field-service_phone-error"' in bad.text and 'id="field-horizon_days-error"' in bad.text
    # Nothing of a refused form is kept.
    assert 'value="14"' in (await console.get("/console/orders/settings")).text
    saved = await post_form(console, "/console/orders/settings", {
        **SETTINGS, "horizon_days": "21", "service_phone": "400-820-8820", "service_opens": "08:00", "service_closes": "20:00"})
    assert saved.status_code == 303
    form = (await console.get("/console/orders/settings")).text
    assert 'value="400-820-8820"' in form and 'value="08:00"' in form and 'value="21"' in form

    booking = await make_booking(tenant_a, state="accepted")
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as customer:
        assert 'href="tel:400-820-8820"' in (await customer.get("/services")).text
        order_page = (await customer.get(f"/orders/{booking.number}")).text
        assert 'href="tel:400-820-8820"' in order_page and "08:00–20:00" in order_page
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        assert "400-820-8820" in (await worker.get("/staff/")).text
        assert "400-820-8820" in (await worker.get(f"/staff/visits/{booking.order_id}")).text


async def test_office_reads_the_thread_and_sees_the_full_phone_on_a_recorded_request(app, client_a, tenant_a, runtime):
    booking = await make_booking(tenant_a, state="accepted")
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as customer:
        assert (await customer.post(f"/orders/{booking.number}/messages", data={"csrf_token": CSRF, "body": "Ring twice"})).status_code == 303
    async with tenant_scope(tenant_a.id):
        cipher = await current_connection().fetchval("select address->>'contact_phone_cipher' from core_order where id = $1", booking.order_id)
    from platform_core.accounts.phones import decrypt_phone

    full = decrypt_phone(runtime.keyring, cipher)
    console = await console_client(client_a, tenant_a, "owner")
    page = (await console.get(f"/console/orders/{booking.number}")).text
    assert "Ring twice" in page and full not in page and "Show the full phone number" in page
    shown = await post_form(console, f"/console/orders/{booking.number}/phone")
    assert shown.status_code == 200 and full in shown.text
    assert "Customer&#39;s phone number viewed" in shown.text or "Customer's phone number viewed" in shown.text
    async with tenant_scope(tenant_a.id):
        event = await current_connection().fetchrow(
            "select actor_kind, actor_id from core_order_event where order_id = $1 and event = 'reveal_phone'", booking.order_id)
    assert event["actor_kind"] == "console" and event["actor_id"] is not None

    # Finance may see orders but not customers: no button, and the request is refused.
    finance = await console_client(client_a, tenant_a, "finance")
    assert "Show the full phone number" not in (await finance.get(f"/console/orders/{booking.number}")).text
    assert (await post_form(finance, f"/console/orders/{booking.number}/phone")).status_code == 403


async def test_customer_confirms_the_completed_service_once(app, tenant_a, runtime):
    booking = await make_booking(tenant_a, state="completed")
    async with await signed_in(app, tenant_a, "customer", booking.customer_id) as customer:
        assert "Confirm the service is done" in (await customer.get(f"/orders/{booking.number}")).text
        assert (await customer.post(f"/orders/{booking.number}/confirm", data={"csrf_token": CSRF})).status_code == 303
        page = (await customer.get(f"/orders/{booking.number}")).text
        assert "You confirmed the service" in page and "Confirm the service is done" not in page
        again = await customer.post(f"/orders/{booking.number}/confirm", data={"csrf_token": CSRF})
        assert again.status_code == 409
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        assert "Confirmed by the customer" in (await worker.get(f"/staff/visits/{booking.order_id}")).text


async def test_calls_go_through_a_plugins_privacy_number_else_messages(app, tenant_a, runtime):
    from platform_core.pluginsys import hookimpl

    asked = []

    class PrivacyNumbers:
        @hookimpl
        def select_privacy_number(self, call):
            asked.append((call.caller, call.caller_phone != call.callee_phone, call.order_number))
            return "+8617000000001"

    booking = await make_booking(tenant_a, state="accepted")
    async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
        page = (await worker.get(f"/staff/visits/{booking.order_id}")).text
        assert "tel:+8617000000001" not in page and 'href="#messages"' in page
    runtime.pm.register(PrivacyNumbers(), name="core.test_privacy")
    try:
        async with await signed_in(app, tenant_a, "staff", booking.staff_id) as worker:
            assert 'href="tel:+8617000000001"' in (await worker.get(f"/staff/visits/{booking.order_id}")).text
        async with await signed_in(app, tenant_a, "customer", booking.customer_id) as customer:
            assert 'href="tel:+8617000000001"' in (await customer.get(f"/orders/{booking.number}")).text
    finally:
        runtime.pm.unregister(name="core.test_privacy")
    assert asked == [("staff", True, booking.number), ("customer", True, booking.number)]
