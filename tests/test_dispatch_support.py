"""Shared helpers of the dispatch tests (no tests here): an item needing skills, workers with a
home base, hours and a rating, paid orders at a place and time, and signed-in clients."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import msgspec

from platform_core.accounts.phones import encrypt_phone, phone_index
from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.db import current_connection
from platform_core.dispatch import services
from platform_core.dispatch.schemas import DispatchSettingsUpdate
from platform_core.tenancy.context import tenant_scope
from tests.test_console_support import make_console_user, with_csrf

# Lujiazui, Shanghai, and points some kilometres away.
HOME = (31.2397, 121.4998)
NEAR = (31.2450, 121.5050)  # ~0.8 km
FAR = (31.3000, 121.5500)  # ~8 km


def random_phone() -> str:
    return "+86139" + "".join(secrets.choice("0123456789") for _ in range(8))


async def make_item(tenant, *, skills: tuple[str, ...] = ("cleaning",), code: str | None = None, duration: int = 120) -> tuple[int, str]:
    code = code or f"cleaning-{secrets.token_hex(3)}"
    async with tenant_scope(tenant.id):
        conn = current_connection()
        category_id = await conn.fetchval(
            "insert into core_service_category (tenant_id, code, title) values ($1, $2, 'Home cleaning') returning id",
            tenant.id, code,
        )
        item_id = await conn.fetchval(
            "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, "
            "currency, required_skills) values ($1, $2, $3, 'Deep cleaning', $4, 'fixed', 30000, $5, $6) returning id",
            tenant.id, category_id, f"deep-{secrets.token_hex(3)}", duration, tenant.currency, list(skills),
        )
    return item_id, code


async def make_worker(
    runtime, tenant, *, name: str = "Wang", skills: tuple[str, ...] = ("cleaning",), home: tuple[float, float] | None = HOME,
    radius_km: int = 10, rating: float = 0, rating_count: int = 0, starts: str = "08:00", ends: str = "20:00",
    status: str = "active", phone: str | None = None,
) -> int:
    """A worker with a profile who works every day from `starts` to `ends` (tenant time)."""
    e164 = phone or random_phone()
    async with tenant_scope(tenant.id):
        conn = current_connection()
        staff_id = await conn.fetchval(
            "insert into core_staff (tenant_id, name, phone_cipher, phone_index, status) values ($1, $2, $3, $4, $5) returning id",
            tenant.id, name, encrypt_phone(runtime.keyring, e164), phone_index(runtime.keyring, e164), status,
        )
        await conn.execute(
            "insert into core_staff_profile (tenant_id, staff_id, skills, home_lat, home_lng, service_radius_km, rating_avg, rating_count) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8)",
            tenant.id, staff_id, list(skills), home and home[0], home and home[1], radius_km, rating, rating_count,
        )
        await conn.executemany(
            "insert into core_staff_hours (tenant_id, staff_id, weekday, starts, ends) values ($1, $2, $3, $4, $5)",
            [(tenant.id, staff_id, day, time.fromisoformat(starts), time.fromisoformat(ends)) for day in range(7)],
        )
    return staff_id


async def make_customer(runtime, tenant) -> int:
    e164 = random_phone()
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(
            "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index) values ($1, 'Chen', $2, $3) returning id",
            tenant.id, encrypt_phone(runtime.keyring, e164), phone_index(runtime.keyring, e164),
        )


def local_time(tenant, days_ahead: int = 1, hour: int = 10, minute: int = 0) -> datetime:
    tz = ZoneInfo(tenant.timezone)
    day = datetime.now(timezone.utc).astimezone(tz).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


async def make_order(
    runtime, tenant, *, item: tuple[int, str], customer_id: int, starts: datetime, hours: float = 2,
    at: tuple[float, float] | None = NEAR, state: str = "paid", requested_staff_id: int | None = None, asap: bool = False,
) -> int:
    """An order already in `state` (written straight into the table, as if it had got there)."""
    address = {"contact_name": "Chen", "contact_phone_cipher": encrypt_phone(runtime.keyring, random_phone()),
               "city": "Shanghai", "street": "1 Century Avenue", "district": "Pudong",
               "lat": at and at[0], "lng": at and at[1]}
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(
            "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, lat, lng, district, "
            "asap, scheduled_start, scheduled_end, requested_staff_id, currency, subtotal, total, idempotency_key) "
            "values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, 'Pudong', $10, $11, $12, $13, $14, 30000, 30000, $15) returning id",
            tenant.id, f"D-{secrets.token_hex(4)}", customer_id, item[0], item[1], state, msgspec.json.encode(address).decode(),
            at and at[0], at and at[1], asap, starts, starts + timedelta(hours=hours), requested_staff_id, tenant.currency,
            secrets.token_hex(8),
        )


async def set_mode(tenant, **changes) -> None:
    async with tenant_scope(tenant.id):
        await services.update_settings(DispatchSettingsUpdate(**changes))


async def order_state(tenant, order_id: int) -> str:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select state from core_order where id = $1", order_id)


async def eventually(check, *, timeout: float = 10.0):
    """Wait for the in-process job worker: `check()` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def staff_client(client, runtime, tenant, staff_id: int):
    token = await create_session(runtime, kind="staff", user_id=staff_id, tenant_id=tenant.id)
    client.cookies.set(SESSION_COOKIE, token)
    return with_csrf(client)


async def console_client(client, runtime, tenant, role: str = "dispatcher"):
    user = await make_console_user(tenant, role)
    token = await create_session(runtime, kind="console", user_id=user.id, tenant_id=tenant.id)
    client.cookies.set(SESSION_COOKIE, token)
    return with_csrf(client)
