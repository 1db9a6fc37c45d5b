"""Shared helpers of the accounts tests (no tests here): an SMS gateway that keeps what it is
given, and short ways to sign in."""

from __future__ import annotations

import re

import pytest

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import NotificationChannel, OutboundMessage


class SmsGateway:
    """A notification channel that delivers into a list, tried before the dev outbox."""

    def __init__(self) -> None:
        self.messages: list[OutboundMessage] = []

    @hookimpl
    def provide_notification_channels(self):
        return [NotificationChannel(name="test-sms", channel="sms", send=self.send, priority=1)]

    async def send(self, message: OutboundMessage) -> None:
        self.messages.append(message)

    def sent_to(self, e164: str) -> list[OutboundMessage]:
        return [m for m in self.messages if m.to == e164]

    def code_for(self, e164: str) -> str:
        return re.search(r"\b(\d{6})\b", self.sent_to(e164)[-1].body).group(1)


@pytest.fixture
def sms(runtime):
    """Registered under a core name so every tenant's relay includes it, for this test only."""
    gateway = SmsGateway()
    runtime.pm.register(gateway, name="core.test_sms")
    yield gateway
    runtime.pm.unregister(name="core.test_sms")


async def api_sign_in(client, sms: SmsGateway, phone: str, e164: str, **extra) -> dict:
    """Code + token through the API; returns the token response."""
    sent = await client.post("/api/v1/auth/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    response = await client.post("/api/v1/auth/token", json={"phone": phone, "code": sms.code_for(e164), **extra})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
