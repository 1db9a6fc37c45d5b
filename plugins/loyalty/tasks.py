"""Tasks: what a franchise rewards a customer for doing once (complete the profile, the first
completed order, reviewing an order, a share link that brings a new visitor or a sign-up, inviting
a friend), and the rewards: points, a coupon, and priority booking for chosen services.

A task is completed once per customer (`loyalty_task_completion`'s unique key), whoever tells it
first: `complete_tasks(customer_id, kind, ref)` is the one way in, for this plugin's hooks and for
other code that learns of a kind's fact (the referral plugin completes "invite" through it).

Priority booking (a task's reward with `priority_days`): for that many days the customer may book
the task's services (items or categories) `priority_extra_days` beyond the franchise's horizon,
and everyone else finds `priority_held_back` workers kept free for holders. The slot engine asks
through compute_booking_window (`booking_window` here), at the slot list and at placement."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Literal

import asyncpg
import msgspec

from platform_core.plugin_api import (
    BookingWindow,
    BookingWindowQuery,
    CustomerProfileEvent,
    NotFound,
    ValidationFailed,
    clock,
    coupon_templates,
    current_connection,
    current_tenant,
    lazy_gettext,
    service_categories,
    service_items,
)

from . import points
from .checkin import _coupon
from .privileges import priority_booking

log = logging.getLogger("hearth.plugins.loyalty")

Kind = Literal["profile", "first_order", "review", "share_visit", "share_signup", "invite"]
KINDS: dict[str, str] = {
    "profile": lazy_gettext("Complete your profile"),
    "first_order": lazy_gettext("Complete your first order"),
    "review": lazy_gettext("Review an order"),
    "share_visit": lazy_gettext("Share a service: a new visitor opens it"),
    "share_signup": lazy_gettext("Share a service: a new visitor signs up"),
    "invite": lazy_gettext("Invite a friend"),
}
# A profile is complete with a name and an address (accounts' CustomerProfileEvent.filled).
PROFILE_PARTS = frozenset({"display_name", "address"})

_NO_NUL = r"^[^\x00]*$"
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=_NO_NUL)]
Description = Annotated[str, msgspec.Meta(max_length=300, pattern=_NO_NUL)]
PositiveId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
CategoryCode = Annotated[str, msgspec.Meta(min_length=1, max_length=63, pattern=_NO_NUL)]


class TaskInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A task as the console writes it."""

    code: Code
    kind: Kind
    title: Title
    description: Description = ""
    reward_points: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    reward_coupon_template_id: PositiveId | None = None
    priority_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 0
    priority_item_ids: Annotated[list[PositiveId], msgspec.Meta(max_length=200)] = []
    priority_categories: Annotated[list[CategoryCode], msgspec.Meta(max_length=100)] = []
    priority_extra_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 0
    priority_held_back: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    active: bool = True
    sort_order: Annotated[int, msgspec.Meta(ge=-1000, le=1000)] = 0


class TaskView(TaskInput, frozen=True, kw_only=True):
    id: int


class TaskState(msgspec.Struct, frozen=True, kw_only=True):
    """One task as the customer sees it."""

    code: str
    kind: str
    title: str
    description: str
    reward_points: int
    reward_coupon: bool
    priority_days: int
    priority_extra_days: int
    done: bool
    completed_at: datetime | None = None


class PriorityGrant(msgspec.Struct, frozen=True, kw_only=True):
    item_ids: list[int]
    categories: list[str]
    extra_days: int
    ends_at: datetime


_TASK_COLUMNS = (
    "id, code, kind, title, description, reward_points, reward_coupon_template_id, priority_days, priority_item_ids, "
    "priority_categories, priority_extra_days, priority_held_back, active, sort_order"
)


def _task(row) -> TaskView:
    return TaskView(**{name: row[name] for name in TaskView.__struct_fields__})


# --------------------------------------------------------------------------- the console


async def list_tasks(*, active_only: bool = False) -> list[TaskView]:
    rows = await current_connection().fetch(
        f"select {_TASK_COLUMNS} from loyalty_task where active or not $1 order by sort_order, id", active_only)
    return [_task(r) for r in rows]


async def get_task(task_id: int) -> TaskView:
    row = await current_connection().fetchrow(f"select {_TASK_COLUMNS} from loyalty_task where id = $1", task_id)
    if row is None:
        raise NotFound("task")
    return _task(row)


async def _check(data: TaskInput) -> None:
    """What the Struct's bounds can't say: the coupon template, the services, priority's parts."""
    errors: dict[str, str] = {}
    if data.reward_coupon_template_id is not None and data.reward_coupon_template_id not in {
        t.id for t in await coupon_templates("active")
    }:
        errors["reward_coupon_template_id"] = lazy_gettext("Choose an active coupon template.")
    if data.priority_item_ids and not set(data.priority_item_ids) <= {i.id for i in await service_items()}:
        errors["priority_item_ids"] = lazy_gettext("Choose services your customers can book.")
    if data.priority_categories and not set(data.priority_categories) <= {c.code for c in await service_categories()}:
        errors["priority_categories"] = lazy_gettext("Choose categories your customers can see.")
    if data.priority_days and not (data.priority_item_ids or data.priority_categories):
        errors["priority_item_ids"] = lazy_gettext("Choose the services priority booking is for.")
    if data.priority_days and not (data.priority_extra_days or data.priority_held_back):
        errors["priority_extra_days"] = lazy_gettext("Give holders extra days, workers held back, or both.")
    if not (data.reward_points or data.reward_coupon_template_id or data.priority_days):
        errors["reward_points"] = lazy_gettext("Give the task a reward: points, a coupon or priority booking.")
    if errors:
        raise ValidationFailed(errors)


_WRITTEN = (
    "code", "kind", "title", "description", "reward_points", "reward_coupon_template_id", "priority_days", "priority_item_ids",
    "priority_categories", "priority_extra_days", "priority_held_back", "active", "sort_order",
)


async def save_task(data: TaskInput, task_id: int | None = None) -> TaskView:
    """Create a task, or change one (`task_id`). ValidationFailed on every bad field; a code
    already used by another task is one."""
    await _check(data)
    values = [getattr(data, name) for name in _WRITTEN]
    conn = current_connection()
    taken = await conn.fetchval("select 1 from loyalty_task where code = $1 and id <> coalesce($2, 0)", data.code, task_id)
    if taken:
        raise ValidationFailed({"code": lazy_gettext("Another task has this code.")})
    if task_id is None:
        placeholders = ", ".join(f"${i}" for i in range(2, len(_WRITTEN) + 2))
        row = await conn.fetchrow(
            f"insert into loyalty_task (tenant_id, {', '.join(_WRITTEN)}) values ($1, {placeholders}) "
            f"on conflict (tenant_id, code) do nothing returning {_TASK_COLUMNS}",
            current_tenant().id, *values,
        )
    else:
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(_WRITTEN, start=2))
        try:
            async with conn.transaction():  # a savepoint: the form is shown again with its error
                row = await conn.fetchrow(
                    f"update loyalty_task set {sets}, updated_at = now() where id = $1 returning {_TASK_COLUMNS}", task_id, *values)
        except asyncpg.UniqueViolationError:  # another task took the code a moment ago
            raise ValidationFailed({"code": lazy_gettext("Another task has this code.")}) from None
        if row is None:
            raise NotFound("task")
    if row is None:  # another console user saved the same code a moment ago
        raise ValidationFailed({"code": lazy_gettext("Another task has this code.")})
    return _task(row)


async def set_active(task_id: int, active: bool) -> TaskView:
    row = await current_connection().fetchrow(
        f"update loyalty_task set active = $2, updated_at = now() where id = $1 returning {_TASK_COLUMNS}", task_id, active)
    if row is None:
        raise NotFound("task")
    return _task(row)


async def completion_counts() -> dict[int, int]:
    rows = await current_connection().fetch("select task_id, count(*) as n from loyalty_task_completion group by task_id")
    return {r["task_id"]: r["n"] for r in rows}


# --------------------------------------------------------------------------- completing


async def complete_tasks(customer_id: int, kind: str, ref: str = "") -> list[str]:
    """Complete the franchise's active tasks of `kind` that the customer has not done, and give
    their rewards; returns the codes completed now (none when all were done: a replay is a no-op).
    The public way in for every kind (the referral plugin completes "invite" here)."""
    if kind not in KINDS:
        raise ValueError(f"unknown task kind {kind!r}")
    conn = current_connection()
    open_tasks = await conn.fetch(
        f"select {_TASK_COLUMNS} from loyalty_task t where kind = $1 and active and not exists "
        "(select 1 from loyalty_task_completion c where c.task_id = t.id and c.customer_id = $2) order by sort_order, id",
        kind, customer_id,
    )
    if not open_tasks:
        return []
    await points.lock_member(customer_id)  # the plugin's lock order: the member first
    done: list[str] = []
    for task in map(_task, open_tasks):
        completion_id = await conn.fetchval(
            "insert into loyalty_task_completion (tenant_id, task_id, customer_id, ref, points) values ($1, $2, $3, $4, $5) "
            "on conflict (tenant_id, task_id, customer_id) do nothing returning id",
            current_tenant().id, task.id, customer_id, ref[:100], task.reward_points,
        )
        if completion_id is None:
            continue
        await _reward(task, customer_id, completion_id)
        done.append(task.code)
    return done


async def _reward(task: TaskView, customer_id: int, completion_id: int) -> None:
    key = f"task:{task.id}:{customer_id}"
    if task.reward_points:
        await points.award(customer_id, task.reward_points, reason="task", link=f"task:{task.code}", key=key)
    if task.reward_coupon_template_id:
        coupon_id = await _coupon(task.reward_coupon_template_id, customer_id, f"task:{task.code}", key)
        if coupon_id is not None:
            await current_connection().execute(
                "update loyalty_task_completion set coupon_id = $2 where id = $1", completion_id, coupon_id)
    if task.priority_days:
        now = clock.now()
        await current_connection().execute(
            "insert into loyalty_priority_grant (tenant_id, customer_id, task_id, item_ids, categories, extra_days, starts_at, ends_at) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (tenant_id, task_id, customer_id) do nothing",
            current_tenant().id, customer_id, task.id, task.priority_item_ids, task.priority_categories,
            task.priority_extra_days, now, now + timedelta(days=task.priority_days),
        )


async def profile_updated(event: CustomerProfileEvent) -> None:
    """on_customer_profile_updated: a name and an address complete the profile."""
    if PROFILE_PARTS <= event.filled:
        await complete_tasks(event.customer_id, "profile", "profile")


# --------------------------------------------------------------------------- the customer


async def task_states(customer_id: int) -> list[TaskState]:
    """The franchise's active tasks with the customer's progress, and the tasks they completed
    that the franchise has since turned off (their reward stays theirs)."""
    rows = await current_connection().fetch(
        f"select {', '.join('t.' + c for c in _TASK_COLUMNS.split(', '))}, c.completed_at from loyalty_task t "
        "left join loyalty_task_completion c on c.task_id = t.id and c.customer_id = $1 "
        "where t.active or c.id is not null order by c.completed_at is not null, t.sort_order, t.id",
        customer_id,
    )
    return [
        TaskState(
            code=r["code"], kind=r["kind"], title=r["title"], description=r["description"], reward_points=r["reward_points"],
            reward_coupon=r["reward_coupon_template_id"] is not None, priority_days=r["priority_days"],
            priority_extra_days=r["priority_extra_days"], done=r["completed_at"] is not None, completed_at=r["completed_at"],
        )
        for r in rows
    ]


async def priority_grants(customer_id: int) -> list[PriorityGrant]:
    rows = await current_connection().fetch(
        "select item_ids, categories, extra_days, ends_at from loyalty_priority_grant where customer_id = $1 and ends_at > $2 "
        "order by ends_at", customer_id, clock.now(),
    )
    return [PriorityGrant(item_ids=list(r["item_ids"]), categories=list(r["categories"]), extra_days=r["extra_days"],
                          ends_at=r["ends_at"]) for r in rows]


# --------------------------------------------------------------------------- priority booking


async def _tier_priority_days(query: BookingWindowQuery) -> int | None:
    """The extra booking days the member's tier gives for this item, None when the tier gives no
    priority for it (a tier that names no services gives it for all)."""
    if query.customer_id is None:
        return None
    items, categories, extra_days = await priority_booking(query.customer_id)
    if not (items or categories or extra_days):
        return None
    if (items or categories) and query.item_id not in items and query.category not in categories:
        return None
    return extra_days


async def booking_window(query: BookingWindowQuery) -> BookingWindow | None:
    """compute_booking_window, in one statement: a holder of priority for this item (or its
    category) gets their grant's extra days and takes from the held-back workers; anyone else
    finds the most workers any active priority task holds back for this item."""
    row = await current_connection().fetchrow(
        "select (select max(extra_days) from loyalty_priority_grant where $1::bigint is not null and customer_id = $1 "
        "          and starts_at <= $4 and ends_at > $4 and ($2 = any(item_ids) or $3 = any(categories))) as extra, "
        "       (select max(priority_held_back) from loyalty_task where active and priority_days > 0 "
        "          and ($2 = any(priority_item_ids) or $3 = any(priority_categories))) as held",
        query.customer_id, query.item_id, query.category, clock.now(),
    )
    tier_days = await _tier_priority_days(query)
    if row["extra"] is not None or tier_days is not None:
        return BookingWindow(extra_horizon_days=max(row["extra"] or 0, tier_days or 0), held_back_workers=0)
    if row["held"]:
        return BookingWindow(held_back_workers=row["held"])
    return None
