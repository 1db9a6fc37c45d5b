"""Dispatch: who does which order. The order's states are driven through
platform_core.orders.services.transition (see machine.py in orders); this module owns the
assignments (core_assignment) and the tenant's dispatch settings."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from msgspec import UNSET

from platform_core import clock
from platform_core.db import current_connection
from platform_core.geo import distance_m
from platform_core.orders.schemas import SYSTEM, ActorRef, Order
from platform_core.orders.services import set_current_worker
from platform_core.scheduling.calendar import HOLDING
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.stamped import Stamped

from .schemas import Assignment, DispatchSettings, DispatchSettingsUpdate, OfferFacts

ASSIGNMENT_COLUMNS = (
    "id, order_id, staff_id, lower(during) as starts, upper(during) as ends, status, source, score, "
    "score_breakdown, offered_at, expires_at, responded_at"
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def assignment_from_row(row) -> Assignment:
    data = dict(row)
    data["score_breakdown"] = _json(data["score_breakdown"])
    return msgspec.convert(data, Assignment)


async def live_assignment(order_id: int) -> Assignment | None:
    """The order's assignment that holds a worker (offered, accepted or completed), if any."""
    row = await current_connection().fetchrow(
        f"select {ASSIGNMENT_COLUMNS} from core_assignment where order_id = $1 and status = any($2::text[])",
        order_id, list(HOLDING),
    )
    return None if row is None else assignment_from_row(row)


async def get_assignment(assignment_id: int) -> Assignment | None:
    row = await current_connection().fetchrow(f"select {ASSIGNMENT_COLUMNS} from core_assignment where id = $1", assignment_id)
    return None if row is None else assignment_from_row(row)


async def assignments_of_order(order_id: int) -> list[Assignment]:
    """Every offer made for the order, oldest first (the console's dispatch history)."""
    rows = await current_connection().fetch(
        f"select {ASSIGNMENT_COLUMNS} from core_assignment where order_id = $1 order by id", order_id
    )
    return [assignment_from_row(r) for r in rows]


# --------------------------------------------------------------------------- settings


# Every placement and every dispatch step reads them; a change renews the franchise's stamp
# (dispatch_0004), so a process keeps them by it.
_kept_settings: Stamped[DispatchSettings] = Stamped("dispatch_settings", limit=10_000)


async def get_settings() -> DispatchSettings:
    """The tenant's dispatch settings; the defaults until the franchise saves its own."""
    return await _kept_settings.get(current_tenant(), (), _read_settings)


async def _read_settings() -> DispatchSettings:
    row = await current_connection().fetchrow(
        "select mode, grab_pool, accept_timeout_s, weights, travel_speed_kmh, arrange_deadline_hours, office_alert_hours "
        "from core_dispatch_settings"
    )
    if row is None:
        return DispatchSettings()
    data = dict(row)
    data["weights"] = _json(data["weights"])
    return msgspec.convert(data, DispatchSettings)


async def update_settings(data: DispatchSettingsUpdate) -> DispatchSettings:
    current = await get_settings()
    changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not UNSET}
    merged = msgspec.structs.replace(current, **changes)
    _kept_settings.written()
    await current_connection().execute(
        "insert into core_dispatch_settings (tenant_id, mode, grab_pool, accept_timeout_s, weights, travel_speed_kmh, "
        "arrange_deadline_hours, office_alert_hours) "
        "values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) on conflict (tenant_id) do update set mode = excluded.mode, "
        "grab_pool = excluded.grab_pool, accept_timeout_s = excluded.accept_timeout_s, weights = excluded.weights, "
        "travel_speed_kmh = excluded.travel_speed_kmh, arrange_deadline_hours = excluded.arrange_deadline_hours, "
        "office_alert_hours = excluded.office_alert_hours, updated_at = now()",
        current_tenant().id, merged.mode, merged.grab_pool, merged.accept_timeout_s,
        json.dumps(merged.weights), merged.travel_speed_kmh, merged.arrange_deadline_hours, merged.office_alert_hours,
    )
    return merged


# --------------------------------------------------------------------------- time held


async def held_assignments(statuses: tuple[str, ...], *, limit: int = 100) -> list[Assignment]:
    """Assignments in `statuses` whose visit has not ended, soonest first (the board)."""
    rows = await current_connection().fetch(
        f"select {ASSIGNMENT_COLUMNS} from core_assignment where status = any($1::text[]) and upper(during) > $3 "
        "order by lower(during), id limit $2",
        list(statuses), limit, clock.now(),
    )
    return [assignment_from_row(r) for r in rows]


async def release_order(order_id: int, actor: ActorRef = SYSTEM) -> None:
    """Whoever holds the order (offered or accepted) no longer does: it was cancelled, moved to
    another worker, or came back to dispatch. Their time is free again."""
    await set_current_worker(order_id, None)
    await current_connection().execute(
        "update core_assignment set status = 'released', responded_at = now(), actor_kind = $2, actor_id = $3 "
        "where order_id = $1 and status in ('offered', 'accepted')",
        order_id, actor.kind, actor.id,
    )


async def complete_order(order_id: int) -> None:
    """The visit is done; the assignment keeps holding its time (it happened)."""
    await current_connection().execute(
        "update core_assignment set status = 'completed' where order_id = $1 and status = 'accepted'", order_id
    )


async def offer_facts(order: Order, staff_id: int) -> OfferFacts:
    """The worker's pay for `order` at the franchise's commission rate, and the straight-line
    distance from their home base to the visit."""
    from platform_core.ledger.services import settings as ledger_settings
    from platform_core.staff.services import get_worker

    rate = (await ledger_settings()).staff_commission_bp
    worker = await get_worker(staff_id)
    distance = None
    if None not in (worker.home_lat, worker.home_lng, order.address.lat, order.address.lng):
        distance = round(distance_m((worker.home_lat, worker.home_lng), (order.address.lat, order.address.lng)))  # type: ignore[arg-type]
    return OfferFacts(pay=order.total * rate // 10000, commission_bp=rate, distance_m=distance)
