from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from platform_core.bounds import Id, Ids

RecipientKind = Literal["customer", "staff"]


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    recipient_kind: RecipientKind
    recipient_id: int
    title: str
    body: str
    link: str
    read_at: datetime | None
    created_at: datetime

    @property
    def unread(self) -> bool:
        return self.read_at is None


class NotificationCreate(msgspec.Struct, frozen=True, kw_only=True):
    recipient_kind: RecipientKind
    recipient_id: Id
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    # In-app links only: an inbox entry must never send someone off-site.
    link: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^(/[^/\\].*|/)?$")] = ""


class NotificationList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Notification]
    unread: int


class MarkRead(msgspec.Struct, frozen=True, kw_only=True):
    """Which entries to mark read: the listed ids, or all of them when `ids` is omitted."""

    ids: Ids | None = None


class MarkedRead(msgspec.Struct, frozen=True, kw_only=True):
    marked: int


class OutboxEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A message the dev channel kept; `to` is decrypted, since in dev this is the delivery."""

    id: int
    channel: str
    to: str
    body: str
    purpose: str
    created_at: datetime
