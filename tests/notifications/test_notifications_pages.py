"""The dev outbox page: the franchise's own messages, refreshing itself, only in dev mode."""

from __future__ import annotations

from platform_core.notifications import services
from platform_core.pluginsys.contexts import OutboundMessage
from platform_core.tenancy.context import tenant_scope


async def test_dev_outbox_lists_the_latest_messages_newest_first_and_refreshes_itself(runtime, tenant_a, client_a):
    async with tenant_scope(tenant_a.id) as tenant:
        for body in ("first code 111111", "second code 222222"):
            await services.send_message(OutboundMessage(tenant=tenant, channel="sms", to="+8613800138000", body=body, purpose="otp"))
    response = await client_a.get("/dev/outbox")
    assert response.status_code == 200
    html = response.text
    assert html.index("second code 222222") < html.index("first code 111111")
    assert "+8613800138000" in html  # in dev the full number is shown: this page is the delivery
    assert 'hx-trigger="every 3s"' in html and "/static/vendor/htmx/htmx.min.js" in html


async def test_dev_outbox_shows_an_empty_state_before_anything_was_sent(client_b):
    response = await client_b.get("/dev/outbox")
    assert response.status_code == 200
    assert 'class="empty"' in response.text


async def test_dev_outbox_is_not_on_the_platform_host(platform_client):
    response = await platform_client.get("/dev/outbox")
    assert response.status_code == 404
