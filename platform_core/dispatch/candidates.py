"""Who could do an order, and how well: eligibility (active, skills, the credentials and courses
the work needs, free for the visit, within reach) and the weighted score with its breakdown ("why this worker").

Kept apart from services.py because it reads availability from the staff domain, which itself
reads the calendar's busy_ranges."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from platform_core.catalog.services import get_item
from platform_core.db import current_connection
from platform_core.geo import distance_m
from platform_core.orders.schemas import Order
from platform_core.pluginsys.calls import collect
from platform_core.pluginsys.contexts import DispatchCandidate, DispatchScore
from platform_core.qualifications.eligibility import eligible_among, missing_for, needs
from platform_core.qualifications.schemas import Needs
from platform_core.runtime import current_runtime
from platform_core.scheduling.slots import free_among, unblocked_among
from platform_core.staff.schemas import Worker
from platform_core.staff.services import list_workers
from platform_core.tenancy.context import current_tenant

from . import scoring
from .schemas import Candidate, DispatchSettings
from .services import HOLDING, get_settings


def _order_point(order: Order) -> tuple[float, float] | None:
    if order.address.lat is None or order.address.lng is None:
        return None
    return float(order.address.lat), float(order.address.lng)


def distance_to(worker: Worker, order: Order) -> int | None:
    """Metres from the worker's home base to the visit, when both are known."""
    point = _order_point(order)
    if point is None or worker.home_lat is None or worker.home_lng is None:
        return None
    return round(distance_m((worker.home_lat, worker.home_lng), point))


def spans_days(order: Order) -> bool:
    """A visit that runs over several local days: live-in care (a month with a new mother)."""
    tz = ZoneInfo(current_tenant().timezone)
    return order.scheduled_start.astimezone(tz).date() != (order.scheduled_end - timedelta(microseconds=1)).astimezone(tz).date()


async def free_for(staff_ids: list[int], order: Order) -> set[int]:
    """Which of the workers can take the visit's whole time, read for all of them at once. A
    visit within one day must lie in their weekly hours; a stay over several days is not bound to
    them, but days off and the jobs they hold still are."""
    start, end = order.scheduled_start, order.scheduled_end
    if not spans_days(order):
        return set(await free_among(staff_ids, start, end))
    return set(await unblocked_among(staff_ids, start, end))


async def _workloads(staff_ids: list[int], starts: datetime) -> dict[int, tuple[int, int]]:
    """Jobs each worker already holds on the visit's local day and in its week (Monday first)."""
    tz = ZoneInfo(current_tenant().timezone)
    local = starts.astimezone(tz)
    day_start = datetime.combine(local.date(), time(0), tzinfo=tz)
    week_start = day_start - timedelta(days=local.weekday())
    rows = await current_connection().fetch(
        "select staff_id, count(*) filter (where during && tstzrange($3, $4)) as day, count(*) as week "
        "from core_assignment where staff_id = any($1::bigint[]) and status = any($2::text[]) "
        "and during && tstzrange($5, $6) group by staff_id",
        staff_ids, list(HOLDING), day_start, day_start + timedelta(days=1), week_start, week_start + timedelta(days=7),
    )
    return {r["staff_id"]: (r["day"], r["week"]) for r in rows}


async def rank_candidates(
    order: Order, *, only: set[int] | None = None, exclude: set[int] | frozenset[int] = frozenset(),
    settings: DispatchSettings | None = None, workers: list[Worker] | None = None,
) -> list[Candidate]:
    """The workers who may do `order`, best first. `only` limits the search (the worker the
    customer picked, a claim from the pool), `exclude` leaves out those already asked. Pages and
    batches that rank many orders pass the settings and the active workers, read once."""
    settings = settings or await get_settings()
    item = await get_item(order.item_id)
    required = list(item.required_skills)
    workers = [
        w for w in (workers if workers is not None else await list_workers(status="active"))
        if (only is None or w.id in only) and w.id not in exclude and set(required) <= set(w.skills)
    ]
    # Credentials and courses the work needs (the franchise's rules and the plugins'), valid on
    # the visit's local day: a lapsed or revoked one takes the worker out at once.
    qualified = await eligible_among([w.id for w in workers], await order_needs(order), visit_day(order))
    workers = [w for w in workers if w.id in qualified]
    in_reach = []
    for worker in workers:
        distance = distance_to(worker, order)
        if distance is None or distance <= worker.service_radius_km * 1000:
            in_reach.append((worker, distance))
    free = await free_for([w.id for w, _ in in_reach], order)
    reachable = [(worker, distance) for worker, distance in in_reach if worker.id in free]
    if not reachable:
        return []
    loads = await _workloads([w.id for w, _ in reachable], order.scheduled_start)
    tenant = current_tenant()
    hooks = current_runtime().hooks(tenant)
    ranked: list[Candidate] = []
    for worker, distance in reachable:
        day, week = loads.get(worker.id, (0, 0))
        raw: dict[str, tuple[float, str, str]] = {
            "distance": (scoring.distance_score(distance, worker.service_radius_km), "core",
                         "" if distance is None else f"{distance / 1000:.1f} km"),
            "rating": (scoring.rating_score(worker.rating_avg, worker.rating_count), "core",
                       f"{worker.rating_avg:.2f} ({worker.rating_count})"),
            "workload": (scoring.workload_score(day, week), "core", f"{day}/{week}"),
            "skills": (scoring.skills_score(required, worker.skills), "core", ", ".join(worker.skills)),
        }
        context = DispatchCandidate(
            tenant=tenant, order_id=order.id, staff_id=worker.id, category=order.category_code,
            distance_m=distance, customer_id=order.customer_id,
        )
        eligible, priority, labels = True, 0, {}
        for plugin, contributed in await plugin_scores(hooks, context):
            eligible = eligible and contributed.eligible
            priority = max(priority, contributed.priority)
            raw[contributed.name] = (contributed.score, plugin, contributed.reason)
            if contributed.label:
                labels[contributed.name] = contributed.label
        if not eligible:
            continue
        total, parts = scoring.combine(raw, settings.weights)
        if labels:
            parts = [msgspec.structs.replace(p, label=labels[p.name]) if p.name in labels else p for p in parts]
        ranked.append(Candidate(staff_id=worker.id, name=worker.name, score=total, parts=parts, distance_m=distance,
                                priority=priority))
    ranked.sort(key=lambda c: (-c.score, c.staff_id))
    return ranked


def visit_day(order: Order) -> date:
    return order.scheduled_start.astimezone(ZoneInfo(current_tenant().timezone)).date()


async def order_needs(order: Order) -> Needs:
    return await needs(category=order.category_code, item_id=order.item_id, customer_id=order.customer_id, order_id=order.id)


async def unqualified(order: Order, staff_ids: list[int]) -> dict[int, list[str]]:
    """Of `staff_ids`, those who lack a credential or course the order needs, with what they lack
    (translated): the office's "why not this worker"."""
    missing = await missing_for(staff_ids, await order_needs(order), visit_day(order))
    return {sid: lacking for sid, lacking in missing.items() if lacking}


async def plugin_scores(hooks, context: DispatchCandidate) -> list[tuple[str, DispatchScore]]:
    """Each score with the plugin it came from (a plugin that fails is left out: pluginsys.calls)."""
    return [(plugin, score) for plugin, score in await collect(hooks.compute_dispatch_scores, candidate=context)]
