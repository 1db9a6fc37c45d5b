"""The inbox as JSON, for the signed-in customer or worker (the mini-program and the staff app)."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from platform_core.errors import Unauthorized
from platform_core.notifications import services
from platform_core.notifications.schemas import MarkedRead, MarkRead, NotificationList

from .guards import BEARER_SECURITY
from .sessions import Principal


def _recipient(principal: Principal | None) -> Principal:
    if principal is None or principal.kind not in ("customer", "staff") or not principal.mfa_verified:
        raise Unauthorized()
    return principal


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    security = BEARER_SECURITY

    @get("/", operation_id="listNotifications", summary="My inbox, newest first")
    async def list_inbox(
        self, principal: NamedDependency[Principal | None], unread_only: FromQuery[bool] = False
    ) -> NotificationList:
        me = _recipient(principal)
        items = await services.list_notifications(me.kind, me.user_id, unread_only=unread_only)  # type: ignore[arg-type]
        return NotificationList(items=items, unread=await services.unread_count(me.kind, me.user_id))  # type: ignore[arg-type]

    @post("/read", operation_id="markNotificationsRead", summary="Mark entries (or all) read", status_code=200)
    async def mark_read(self, principal: NamedDependency[Principal | None], data: JSONBody[MarkRead]) -> MarkedRead:
        me = _recipient(principal)
        return MarkedRead(marked=await services.mark_read(me.kind, me.user_id, data.ids))  # type: ignore[arg-type]
