"""Sending messages through the tenant's channels; the dev channel's log and outbox; the inbox."""

from __future__ import annotations

import logging

import msgspec
import pytest

from platform_core.db import get_engine, tenant_transaction
from platform_core.notifications import services
from platform_core.notifications.hooks import DEV_CHANNEL_PLUGIN, install_dev_channel
from platform_core.notifications.schemas import NotificationCreate
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import NotificationChannel, OutboundMessage
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.runtime import Runtime
from platform_core.tenancy.context import tenant_scope


def sms(tenant, body="Your code is 123456", to="+8613800138000", purpose="otp") -> OutboundMessage:
    return OutboundMessage(tenant=tenant, channel="sms", to=to, body=body, purpose=purpose)


async def outbox_bodies(tenant_id: int) -> list[str]:
    async with tenant_transaction(tenant_id) as tx:
        rows = await tx.connection.fetch("select body from core_dev_outbox order by id")
    return [r["body"] for r in rows]


@pytest.fixture
async def ctx_a(tenant_a):
    async with tenant_scope(tenant_a.id) as context:
        return context


def runtime_with(settings, *plugins: object) -> Runtime:
    pm = build_plugin_manager(load_entrypoints=False)
    for plugin in plugins:
        pm.register(plugin, name=f"core.test_{type(plugin).__name__.lower()}")
    return Runtime.build(settings, pm)


class FailingGateway:
    def __init__(self) -> None:
        self.tried = 0

    async def send(self, message: OutboundMessage) -> None:
        self.tried += 1
        raise ConnectionError(f"gateway down while sending to {message.to}")

    @hookimpl
    def provide_notification_channels(self):
        return [NotificationChannel(name="flaky-sms", channel="sms", send=self.send, priority=10)]


async def test_dev_channel_logs_the_body_with_the_phone_masked(runtime, ctx_a, caplog):
    sms_log = logging.getLogger("hearth.sms")
    sms_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="hearth.sms"):
            await services.send_message(sms(ctx_a, body="Your code is 482913"))
    finally:
        sms_log.removeHandler(caplog.handler)
    line = next(r.getMessage() for r in caplog.records if r.name == "hearth.sms")
    assert "482913" in line
    assert "+8613800138000" not in line and "8000" in line


async def test_dev_outbox_keeps_the_recipient_encrypted(runtime, ctx_a):
    await services.send_message(sms(ctx_a, to="+8613912345678"))
    async with tenant_transaction(ctx_a.id) as tx:
        stored = await tx.connection.fetchval("select recipient from core_dev_outbox order by id desc limit 1")
        assert "13912345678" not in stored
        [entry] = await services.latest_outbox(limit=1)
    assert entry.to == "+8613912345678"


async def test_outbox_message_stays_when_the_sending_request_rolls_back(runtime, tenant_a):
    async with tenant_scope(tenant_a.id) as tenant:
        await services.send_message(sms(tenant, body="code 111222 for a failed sign-in"))
        await get_engine().current_transaction.get().rollback()
    assert "code 111222 for a failed sign-in" in await outbox_bodies(tenant_a.id)


async def test_a_failing_channel_falls_through_to_the_next(hearth_settings, ctx_a):
    gateway = FailingGateway()
    rt = runtime_with(hearth_settings, gateway)
    install_dev_channel(rt)
    with rt.scope():
        await services.send_message(sms(ctx_a, body="fell through to dev"))
    assert gateway.tried == 1
    assert "fell through to dev" in await outbox_bodies(ctx_a.id)


async def test_send_raises_503_when_no_channel_works(hearth_settings, ctx_a):
    prod = msgspec.structs.replace(hearth_settings, env="prod")
    rt = runtime_with(prod, FailingGateway())
    install_dev_channel(rt)
    assert rt.pm.get_plugin(DEV_CHANNEL_PLUGIN) is None
    with rt.scope(), pytest.raises(services.MessageNotSent) as caught:
        await services.send_message(sms(ctx_a))
    assert caught.value.status_code == 503
    assert caught.value.message == "We could not send the message. Please try again."


async def test_a_channel_kind_nobody_offers_is_not_sent(hearth_settings, ctx_a):
    rt = runtime_with(hearth_settings)
    install_dev_channel(rt)
    with rt.scope(), pytest.raises(services.MessageNotSent):
        await services.send_message(OutboundMessage(tenant=ctx_a, channel="pager", to="x", body="y", purpose="z"))


async def test_inbox_lists_newest_first_and_marks_read(tenant_a):
    async with tenant_scope(tenant_a.id):
        first = await services.add_notification(NotificationCreate(recipient_kind="customer", recipient_id=7, title="Booked"))
        second = await services.add_notification(
            NotificationCreate(recipient_kind="customer", recipient_id=7, title="On the way", link="/orders/1")
        )
        await services.add_notification(NotificationCreate(recipient_kind="staff", recipient_id=7, title="New job"))
        assert [n.id for n in await services.list_notifications("customer", 7)] == [second.id, first.id]
        assert await services.unread_count("customer", 7) == 2
        assert await services.mark_read("customer", 7, [first.id]) == 1
        assert [n.id for n in await services.list_notifications("customer", 7, unread_only=True)] == [second.id]
        assert await services.mark_read("customer", 7) == 1
        assert await services.unread_count("customer", 7) == 0
        assert await services.unread_count("staff", 7) == 1


def test_inbox_links_stay_inside_the_site():
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"recipient_kind": "customer", "recipient_id": 1, "title": "x", "link": "https://evil.example"}, NotificationCreate)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"recipient_kind": "customer", "recipient_id": 1, "title": "x", "link": "//evil.example"}, NotificationCreate)
