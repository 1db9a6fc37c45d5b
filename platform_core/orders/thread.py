"""An order's message thread: the customer and the worker write to each other about the visit
(where to park, a change of plan) when no privacy-number line connects their phones; the office
reads it in the console. Each message tells the other side through their inbox, in the same
transaction as the message.

The thread opens when a worker has accepted the order: before that there is no one to write to.
Only the order's customer and its current worker may write; a worker who has been replaced no
longer reads it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import msgspec

from platform_core.db import current_connection
from platform_core.errors import Forbidden, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.pluginsys.calls import first
from platform_core.pluginsys.contexts import CallRequest
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from . import machine as m
from .schemas import MESSAGE_MAX, ActorRef, Order, OrderMessage

OPEN_STATES = frozenset({m.ACCEPTED, m.EN_ROUTE, m.IN_SERVICE, m.COMPLETED, m.NO_SHOW, m.DISPUTED})
NOTICE_TITLE = N_("New message about order %(number)s")
# The inbox shows the start of the message; the thread has the rest.
PREVIEW_CHARS = 140


def clean_body(text: str) -> str:
    """The message as kept, or a field error a person can act on."""
    body = text.strip()
    if not body:
        raise ValidationFailed({"body": N_("Write a message first.")})
    if len(body) > MESSAGE_MAX:
        raise ValidationFailed({"body": N_("A message can be at most 1000 characters.")})
    if "\x00" in body:
        raise ValidationFailed({"body": N_("The message contains characters that can not be sent.")})
    return body


async def _check_party(order: Order, actor: ActorRef) -> None:
    """Raise unless `actor` is a party to the order's thread (the office reads every thread)."""
    if actor.kind == "customer" and actor.id == order.customer_id:
        return
    if actor.kind == "staff" and actor.id is not None and order.state in OPEN_STATES:
        from .services import live_staff_id

        if await live_staff_id(order.id) == actor.id:
            return
    if actor.kind == "console" and "orders.view" in actor.permissions:
        return
    raise NotFound("order")


async def messages(order: Order, reader: ActorRef) -> list[OrderMessage]:
    """The thread, oldest first, for one of its parties."""
    await _check_party(order, reader)
    rows = await current_connection().fetch(
        "select id, author_kind, author_id, body, created_at from core_order_message where order_id = $1 order by id",
        order.id,
    )
    return [msgspec.convert(dict(r), OrderMessage) for r in rows]


def can_write(order: Order, actor: ActorRef) -> bool:
    return actor.kind in ("customer", "staff") and order.state in OPEN_STATES


async def post_message(order: Order, author: ActorRef, text: str) -> OrderMessage:
    """Add a message by the customer or the worker and tell the other one."""
    await _check_party(order, author)
    if author.kind not in ("customer", "staff") or author.id is None:
        raise Forbidden()
    if order.state not in OPEN_STATES:
        raise ValidationFailed({"body": N_("Messages open once a worker has accepted the order.")})
    body = clean_body(text)
    row = await current_connection().fetchrow(
        "insert into core_order_message (tenant_id, order_id, author_kind, author_id, body) values ($1, $2, $3, $4, $5) "
        "returning id, author_kind, author_id, body, created_at",
        current_tenant().id, order.id, author.kind, author.id, body,
    )
    await _tell_other_side(order, author, body)
    return msgspec.convert(dict(row), OrderMessage)


async def _tell_other_side(order: Order, author: ActorRef, body: str) -> None:
    from .services import live_staff_id

    tenant = current_tenant()
    title = translate_to(tenant.locale, NOTICE_TITLE) % {"number": order.number}
    preview = body if len(body) <= PREVIEW_CHARS else body[:PREVIEW_CHARS] + "…"
    if author.kind == "staff":
        notice = NotificationCreate(recipient_kind="customer", recipient_id=order.customer_id, title=title, body=preview,
                                    link=f"/orders/{order.number}#messages")
    else:
        staff_id = await live_staff_id(order.id)
        if staff_id is None:
            return
        notice = NotificationCreate(recipient_kind="staff", recipient_id=staff_id, title=title, body=preview,
                                    link=f"/staff/visits/{order.id}#messages")
    await add_notification(notice)


# While a call makes sense: from the worker's acceptance to the end of the visit.
CALL_STATES = frozenset({m.ACCEPTED, m.EN_ROUTE, m.IN_SERVICE})
# A privacy-number binding outlives the visit's end by this much (a call about a forgotten key).
CALL_GRACE = timedelta(hours=2)


async def call_number(order: Order, caller: Literal["customer", "staff"]) -> str:
    """What `caller` dials to reach the other side of the order without either seeing the other's
    number: a plugin's privacy number (select_privacy_number), else the franchise's relay line;
    '' when there is neither, and the two write in the thread instead."""
    if order.state not in CALL_STATES:
        return ""
    from platform_core.accounts.phones import decrypt_phone
    from platform_core.accounts.services import staff_phone_for_sending

    from .services import booking_settings, live_staff_id

    staff_id = await live_staff_id(order.id)
    cipher = await current_connection().fetchval(
        "select address->>'contact_phone_cipher' from core_order where id = $1", order.id
    )
    customer_phone = decrypt_phone(current_runtime().keyring, cipher) if cipher else ""
    staff_phone = await staff_phone_for_sending(staff_id) if staff_id is not None else None
    if customer_phone and staff_phone:
        tenant = current_tenant()
        ours, theirs = (staff_phone, customer_phone) if caller == "staff" else (customer_phone, staff_phone)
        number = await first(current_runtime().hooks(tenant).select_privacy_number, call=CallRequest(
            tenant=tenant, order_id=order.id, order_number=order.number, caller=caller, caller_phone=ours,
            callee_phone=theirs, until=order.scheduled_end + CALL_GRACE,
        ))
        if number:
            return str(number)
    return (await booking_settings()).relay_phone
