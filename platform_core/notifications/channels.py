"""The core's dev channel: in dev mode a message is delivered by logging and keeping it.

It needs the Runtime (the keyring to encrypt the recipient, the pool to store it), but a
channel's ``send`` receives only the message and ``provide_notification_channels`` takes no
arguments. So the channel is an object built from the Runtime, and the plugin that offers it
(:class:`platform_core.notifications.hooks.DevChannelPlugin`) is registered only in dev mode by
:func:`platform_core.notifications.hooks.install_dev_channel`: production has no dev channel at
all, rather than one that checks a flag on every send.
"""

from __future__ import annotations

import logging

from platform_core.crypto import mask
from platform_core.db.engine import side_connection
from platform_core.pluginsys.contexts import NotificationChannel, OutboundMessage
from platform_core.runtime import Runtime

log = logging.getLogger("hearth.sms")

OUTBOX_TO_CONTEXT = "outbox.to"
# Every kind of message the core or a plugin may send; the dev channel catches them all.
DEV_CHANNELS = ("sms", "wechat", "email")
# Tried after any real channel the tenant has on, so a working plugin still gets exercised in dev.
DEV_PRIORITY = 1000


class DevOutboxChannel:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def channels(self) -> list[NotificationChannel]:
        return [NotificationChannel(name="dev-outbox", channel=c, send=self.send, priority=DEV_PRIORITY) for c in DEV_CHANNELS]

    async def send(self, message: OutboundMessage) -> None:
        # The body is shown because in dev the log line is the delivery (the code a developer
        # types); the recipient is masked, the log outlives the dev database.
        log.info(
            "dev %s to %s (%s): %s", message.channel, mask(message.to), message.purpose, message.body,
            extra={"fields": {"tenant": message.tenant.slug, "channel": message.channel, "purpose": message.purpose}},
        )
        await self._store(message)

    async def _store(self, message: OutboundMessage) -> None:
        """Keep the message on a connection of its own, so it stays even when the request that
        sent it is rolled back (a failed sign-in still got its code)."""
        recipient = self.rt.keyring.encrypt(message.to, context=OUTBOX_TO_CONTEXT)
        async with side_connection() as conn:
            async with conn.transaction():
                await conn.execute("select set_config('app.tenant_id', $1, true)", str(message.tenant.id))
                await conn.execute(
                    "insert into core_dev_outbox (tenant_id, channel, recipient, body, purpose) values ($1, $2, $3, $4, $5)",
                    message.tenant.id, message.channel, recipient, message.body, message.purpose,
                )
