"""Helpers for the workers and availability tests (no tests here): workers with hours, catalog
items, orders with assignments and reviews written straight into the tables."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta, timezone

from asyncpg import Range

from platform_core.db import current_connection
from platform_core.staff import services
from platform_core.staff.schemas import HoursRange, WorkerCreate, WorkerUpdate
from platform_core.tenancy.context import tenant_scope

ALL_WEEK = "mon-sun 09:00-18:00"
PAST = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)


def unique_phone() -> str:
    return f"+86139{secrets.randbelow(10**8):08d}"


async def make_worker(runtime, tenant, name: str = "张阿姨", *, skills=("cleaning",), hours: str | list[HoursRange] = ALL_WEEK,
                      home: tuple[float, float] | None = None, radius_km: int = 10, **profile) -> int:
    """A worker with a profile and weekly hours ('mon-fri 09:00-12:00; sat 10:00-14:00')."""
    async with tenant_scope(tenant.id):
        worker = await services.create_worker(runtime, WorkerCreate(name=name, phone=unique_phone()))
        await services.update_worker(runtime, worker.id, WorkerUpdate(
            skills=list(skills), home_lat=home[0] if home else None, home_lng=home[1] if home else None,
            service_radius_km=radius_km, **profile,
        ))
        await services.set_hours(worker.id, services.parse_week_text(hours) if isinstance(hours, str) else hours)
    return worker.id


async def make_item(tenant, *, slug: str = "daily-cleaning", duration: int = 120, skills=("cleaning",),
                    pricing_model: str = "fixed", min_quantity: int = 1) -> int:
    async with tenant_scope(tenant.id):
        conn = current_connection()
        category = await conn.fetchval(
            "insert into core_service_category (tenant_id, code, title) values ($1, $2, '保洁') "
            "on conflict (tenant_id, code) do update set title = excluded.title returning id",
            tenant.id, "cleaning",
        )
        return await conn.fetchval(
            "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, "
            "min_quantity, currency, required_skills) values ($1, $2, $3, '日常保洁', $4, $5, 19900, $6, 'CNY', $7) returning id",
            tenant.id, category, slug, duration, pricing_model, min_quantity, list(skills),
        )


async def make_order(tenant, start: datetime, end: datetime, *, staff_id: int | None = None, status: str = "accepted",
                     item_id: int | None = None) -> int:
    """An order (and its customer) and, with `staff_id`, the assignment that holds the worker."""
    item_id = item_id or await make_item(tenant, slug=f"item-{secrets.token_hex(3)}")
    async with tenant_scope(tenant.id):
        conn = current_connection()
        customer = await conn.fetchval("insert into core_customer (tenant_id, display_name) values ($1, '王小姐') returning id", tenant.id)
        order = await conn.fetchval(
            "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, scheduled_start, "
            "scheduled_end, currency, subtotal, total, idempotency_key) "
            "values ($1, $2, $3, $4, 'cleaning', 'assigned', '{}', $5, $6, 'CNY', 19900, 19900, $2) returning id",
            tenant.id, secrets.token_hex(6), customer, item_id, start, end,
        )
        if staff_id is not None:
            await conn.execute(
                "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
                "values ($1, $2, $3, $4, $5, 'manual')",
                tenant.id, order, staff_id, Range(start, end, upper_inc=False), status,
            )
            await conn.execute("update core_order set staff_id = $2 where id = $1", order, staff_id)
    return order


async def add_review(tenant, staff_id: int, scores: tuple[int, int, int], *, text: str = "", hidden_reason: str = "",
                     reply: str = "") -> int:
    order = await make_order(tenant, PAST, PAST + timedelta(hours=2))
    async with tenant_scope(tenant.id):
        conn = current_connection()
        row = await conn.fetchrow("select customer_id, item_id from core_order where id = $1", order)
        return await conn.fetchval(
            "insert into core_review (tenant_id, order_id, customer_id, staff_id, item_id, quality, attitude, skill, text, reply, "
            "hidden_at, hidden_reason) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "case when $11 = '' then null else now() end, $11) returning id",
            tenant.id, order, row["customer_id"], staff_id, row["item_id"], *scores, text, reply, hidden_reason,
        )


def hours(weekday: int, starts: str, ends: str) -> HoursRange:
    return HoursRange(weekday=weekday, starts=time.fromisoformat(starts), ends=time.fromisoformat(ends))
