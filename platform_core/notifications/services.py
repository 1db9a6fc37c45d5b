"""Sending messages through the channels a tenant has, and the in-app inbox."""

from __future__ import annotations

import asyncio
import logging
from typing import Iterable

import msgspec

from platform_core.db import current_connection
from platform_core.errors import HearthError
from platform_core.jobs.schemas import JobRequest
from platform_core.jobs.services import write_with_jobs
from platform_core.pluginsys.calls import collect_now
from platform_core.pluginsys.contexts import NotificationChannel, OutboundMessage
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant

from .channels import OUTBOX_TO_CONTEXT
from .schemas import Notification, NotificationCreate, OutboxEntry, RecipientKind

log = logging.getLogger("hearth.notifications")

OUTBOX_PAGE_SIZE = 50


class MessageNotSent(HearthError):
    status_code = 503
    code = "message_not_sent"

    def __init__(self) -> None:
        super().__init__("We could not send the message. Please try again.")


def channels_for(message: OutboundMessage) -> list[NotificationChannel]:
    """The tenant's channels for the message's kind, in the order they are tried (lowest
    priority value first)."""
    offered = collect_now(current_runtime().hooks(message.tenant).provide_notification_channels)
    matching = [c for _, c in offered if c.channel == message.channel]
    return sorted(matching, key=lambda c: c.priority)


async def send_message(message: OutboundMessage) -> None:
    """Deliver through the first channel that works; raise MessageNotSent (503) if none does."""
    for channel in channels_for(message):
        try:
            await channel.send(message)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failing gateway falls through to the next one
            # The exception's type only: gateway errors often echo the phone number back.
            log.warning(
                "channel %s failed to send a %s message: %s", channel.name, message.purpose, type(exc).__name__,
                extra={"fields": {"tenant": message.tenant.slug, "channel": message.channel}},
            )
    raise MessageNotSent()


# --------------------------------------------------------------------------- dev outbox


async def latest_outbox(limit: int = OUTBOX_PAGE_SIZE) -> list[OutboxEntry]:
    """The current tenant's latest dev-outbox messages, newest first (RLS picks the tenant)."""
    rows = await current_connection().fetch(
        "select id, channel, recipient, body, purpose, created_at from core_dev_outbox "
        "order by created_at desc, id desc limit $1",
        limit,
    )
    return [
        OutboxEntry(
            id=r["id"], channel=r["channel"], to=current_runtime().keyring.decrypt(r["recipient"], context=OUTBOX_TO_CONTEXT),
            body=r["body"], purpose=r["purpose"], created_at=r["created_at"],
        )
        for r in rows
    ]


# --------------------------------------------------------------------------- inbox

_NOTIFICATION_COLUMNS = "id, recipient_kind, recipient_id, title, body, link, read_at, created_at"


def _notification(row) -> Notification:
    return msgspec.convert(dict(row), Notification)


async def add_notification(data: NotificationCreate, *, jobs: Iterable[JobRequest] = ()) -> Notification:
    """Put an entry in someone's inbox, inside the current transaction (it exists only if the
    business change that caused it commits); `jobs` (its SMS, the fact's other jobs) are written
    in the same statement (jobs.write_with_jobs)."""
    row = await write_with_jobs(
        f"insert into core_notification (tenant_id, recipient_kind, recipient_id, title, body, link) "
        f"values ($1, $2, $3, $4, $5, $6) returning {_NOTIFICATION_COLUMNS}",
        [current_tenant().id, data.recipient_kind, data.recipient_id, data.title, data.body, data.link],
        jobs,
    )
    return _notification(row)


async def add_notifications(items: list[NotificationCreate]) -> list[Notification]:
    """Several inbox entries in one statement (a campaign's batch)."""
    if not items:
        return []
    rows = await current_connection().fetch(
        "insert into core_notification (tenant_id, recipient_kind, recipient_id, title, body, link) "
        "select $1, kind, recipient_id, title, body, link from unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[]) "
        f"as n(kind, recipient_id, title, body, link) returning {_NOTIFICATION_COLUMNS}",
        current_tenant().id, [i.recipient_kind for i in items], [i.recipient_id for i in items], [i.title for i in items],
        [i.body for i in items], [i.link for i in items],
    )
    return [_notification(r) for r in rows]


async def read_count(notification_ids: Iterable[int]) -> int:
    """How many of these entries their recipients have read (a campaign's results)."""
    return await current_connection().fetchval(
        "select count(*) from core_notification where id = any($1::bigint[]) and read_at is not null", list(notification_ids))


async def list_notifications(
    kind: RecipientKind, recipient_id: int, *, unread_only: bool = False, limit: int = 50
) -> list[Notification]:
    rows = await current_connection().fetch(
        f"select {_NOTIFICATION_COLUMNS} from core_notification "
        "where recipient_kind = $1 and recipient_id = $2 and ($3 = false or read_at is null) "
        "order by created_at desc, id desc limit $4",
        kind, recipient_id, unread_only, limit,
    )
    return [_notification(r) for r in rows]


async def get_notification(kind: RecipientKind, recipient_id: int, notification_id: int) -> Notification | None:
    """One entry of this recipient's inbox (None for anyone else's)."""
    row = await current_connection().fetchrow(
        f"select {_NOTIFICATION_COLUMNS} from core_notification where recipient_kind = $1 and recipient_id = $2 and id = $3",
        kind, recipient_id, notification_id,
    )
    return _notification(row) if row else None


async def unread_count(kind: RecipientKind, recipient_id: int) -> int:
    return await current_connection().fetchval(
        "select count(*) from core_notification where recipient_kind = $1 and recipient_id = $2 and read_at is null",
        kind, recipient_id,
    )


async def mark_read(kind: RecipientKind, recipient_id: int, ids: list[int] | None = None) -> int:
    """Mark the recipient's listed entries (or all of them) read; returns how many changed.
    Ids of someone else's entries are ignored, not an error."""
    result = await current_connection().execute(
        "update core_notification set read_at = now() "
        "where recipient_kind = $1 and recipient_id = $2 and read_at is null and ($3::bigint[] is null or id = any($3))",
        kind, recipient_id, ids,
    )
    return int(result.split()[-1])
