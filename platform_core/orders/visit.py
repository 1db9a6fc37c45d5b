"""The worker's record of a visit (the item's steps ticked, photos before and after), the
customer's confirmation that the work is done, and the office reading the customer's full phone.

Every write takes the order's row lock first (the house order: the order before anything else),
so two ticks from two tabs can not lose one another.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.web.i18n import lazy_gettext as N_

from . import machine as m
from .schemas import ActorRef, Order, PhotoStage, VisitRecord

# While the worker holds the job and until it is done they keep the record.
RECORD_STATES = frozenset({m.ACCEPTED, m.EN_ROUTE, m.IN_SERVICE})
PHOTOS_PER_STAGE = 6


def _json(value):
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value


async def visit_record(order_id: int) -> VisitRecord:
    conn = current_connection()
    row = await conn.fetchrow("select checklist_done, work_photos from core_order where id = $1", order_id)
    if row is None:
        raise NotFound("order")
    photos = _json(row["work_photos"]) or {}
    confirmed: datetime | None = await conn.fetchval(
        "select min(created_at) from core_order_event where order_id = $1 and event = 'confirm_completion'", order_id
    )
    return VisitRecord(checklist_done=sorted(_json(row["checklist_done"]) or []), before=photos.get("before", []),
                       after=photos.get("after", []), confirmed_at=confirmed)


async def _locked_record(order: Order) -> VisitRecord:
    from .services import lock_order

    await lock_order(order.id)
    state = await current_connection().fetchval("select state from core_order where id = $1", order.id)
    if state not in RECORD_STATES:
        raise Conflict("This job is no longer open for changes.")
    return await visit_record(order.id)


async def tick_step(order: Order, index: int, done: bool, step_count: int) -> VisitRecord:
    """Tick (or untick) step `index` of the item's `step_count` steps."""
    if not 0 <= index < step_count:
        raise ValidationFailed({"step": N_("That step is not on this job's checklist.")})
    record = await _locked_record(order)
    ticked = set(record.checklist_done)
    if done:
        ticked.add(index)
    else:
        ticked.discard(index)
    await current_connection().execute(
        "update core_order set checklist_done = $2::jsonb, updated_at = now() where id = $1",
        order.id, msgspec.json.encode(sorted(ticked)).decode(),
    )
    return msgspec.structs.replace(record, checklist_done=sorted(ticked))


async def add_photo(order: Order, stage: PhotoStage, url: str) -> VisitRecord:
    """Keep a photo the worker took (already stored by the upload kit) as before or after."""
    record = await _locked_record(order)
    photos = {"before": list(record.before), "after": list(record.after)}
    if len(photos[stage]) >= PHOTOS_PER_STAGE:
        raise ValidationFailed({f"photo_{stage}": N_("At most 6 photos each before and after the service.")})
    photos[stage].append(url)
    await current_connection().execute(
        "update core_order set work_photos = $2::jsonb, updated_at = now() where id = $1",
        order.id, msgspec.json.encode(photos).decode(),
    )
    return msgspec.structs.replace(record, before=photos["before"], after=photos["after"])


async def confirm_completion(order: Order, customer_id: int) -> None:
    """The customer's word that the service was done; once."""
    from .services import lock_order, transition

    await lock_order(order.id)
    if (await visit_record(order.id)).confirmed_at is not None:
        raise Conflict("You have already confirmed this service.")
    await transition(order.id, "confirm_completion", ActorRef(kind="customer", id=customer_id))


async def reveal_customer_phone(order: Order, actor: ActorRef) -> str:
    """The order's contact phone in full, for an office user allowed to see customers; the
    timeline keeps who read it and when."""
    from platform_core.accounts.phones import decrypt_phone

    from .services import transition

    await transition(order.id, "reveal_phone", actor)
    cipher = await current_connection().fetchval(
        "select address->>'contact_phone_cipher' from core_order where id = $1", order.id
    )
    return decrypt_phone(current_runtime().keyring, cipher) if cipher else ""


async def worker_visits(staff_id: int, start: datetime, end: datetime) -> list[Order]:
    """The orders `staff_id` holds and has accepted (or done) that start in [start, end), by
    start time: the worker's day."""
    from .services import ORDER_COLUMNS, WITH_LINES, order_from_row

    rows = await current_connection().fetch(
        f"select {ORDER_COLUMNS}, {WITH_LINES} from core_order where staff_id = $1 and scheduled_start >= $2 and scheduled_start < $3 "
        "and state = any($4::text[]) order by scheduled_start, id",
        staff_id, start, end, [m.ACCEPTED, m.EN_ROUTE, m.IN_SERVICE, m.COMPLETED],
    )
    return [order_from_row(r) for r in rows]
