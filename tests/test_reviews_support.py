"""Shared helpers of the reviews, feedback and tracking tests (no tests here): a booked order in
any state with its customer, worker and assignment, written straight into the tables, and
signed-in clients for its people."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta, timezone

import msgspec

from platform_core.accounts.phones import encrypt_phone, phone_index
from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.pytest_plugin import client_for

CSRF = "test-csrf-token"


class Booking(msgspec.Struct, kw_only=True):
    tenant_id: int
    host: str
    order_id: int
    number: str
    customer_id: int
    staff_id: int
    item_id: int


def _phone() -> str:
    return "+86138" + "".join(secrets.choice("0123456789") for _ in range(8))


async def make_customer(runtime, tenant, name: str = "李华") -> int:
    async with tenant_scope(tenant.id):
        e164 = _phone()
        return await current_connection().fetchval(
            "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index) values ($1, $2, $3, $4) returning id",
            tenant.id, name, encrypt_phone(runtime.keyring, e164), phone_index(runtime.keyring, e164),
        )


async def make_staff(runtime, tenant, name: str = "王阿姨") -> int:
    async with tenant_scope(tenant.id):
        e164 = _phone()
        return await current_connection().fetchval(
            "insert into core_staff (tenant_id, name, phone_cipher, phone_index) values ($1, $2, $3, $4) returning id",
            tenant.id, name, encrypt_phone(runtime.keyring, e164), phone_index(runtime.keyring, e164),
        )


async def make_booking(
    runtime, tenant, *, state: str = "completed", customer_id: int | None = None, staff_id: int | None = None,
    item_id: int | None = None, lat: float | None = 31.2304, lng: float | None = 121.4737, hours_ago: int = 1,
) -> Booking:
    """An order of `tenant` in `state`, started `hours_ago`, with a live assignment to a worker
    (offered while the order is assigned, completed once it is, else accepted). Give one worker's orders different `hours_ago`:
    their assignments may not overlap."""
    customer_id = customer_id or await make_customer(runtime, tenant)
    staff_id = staff_id or await make_staff(runtime, tenant)
    async with tenant_scope(tenant.id):
        conn = current_connection()
        if item_id is None:
            category_id = await conn.fetchval(
                "insert into core_service_category (tenant_id, code, title) values ($1, $2, '日常保洁') returning id",
                tenant.id, f"cleaning-{secrets.token_hex(3)}",
            )
            item_id = await conn.fetchval(
                "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, currency) "
                "values ($1, $2, $3, '日常保洁 3小时', 180, 'fixed', 15900, 'CNY') returning id",
                tenant.id, category_id, f"daily-{secrets.token_hex(3)}",
            )
        start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours_ago)
        number = f"{start:%Y%m%d}-{secrets.randbelow(10**6):06d}"
        order_id = await conn.fetchval(
            "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, lat, lng, "
            "scheduled_start, scheduled_end, currency, subtotal, total, idempotency_key) "
            "values ($1, $2, $3, $4, 'cleaning', $5, $6::jsonb, $7, $8, $9, $10, 'CNY', 15900, 15900, $11) returning id",
            tenant.id, number, customer_id, item_id, state,
            json.dumps({"contact_name": "李华", "contact_phone_cipher": encrypt_phone(runtime.keyring, _phone()), "city": "上海",
                        "district": "静安区", "street": "南京西路 1266 号", "detail": "3 楼", "lat": lat, "lng": lng}),
            lat, lng, start, start + timedelta(hours=3), secrets.token_hex(8),
        )
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "values ($1, $2, $3, tstzrange($4, $5), $6, 'manual')",
            tenant.id, order_id, staff_id, start, start + timedelta(hours=3),
            {"completed": "completed", "assigned": "offered"}.get(state, "accepted"),
        )
        await conn.execute("update core_order set staff_id = $2 where id = $1", order_id, staff_id)
    return Booking(
        tenant_id=tenant.id, host=f"{tenant.slug}.localhost", order_id=order_id, number=number, customer_id=customer_id,
        staff_id=staff_id, item_id=item_id,
    )


async def set_state(tenant, order_id: int, state: str) -> None:
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set state = $2 where id = $1", order_id, state)


def signed_in(app, runtime, tenant, kind: str, user_id: int):
    """An English-speaking browser of `tenant` signed in as the customer or worker `user_id`.
    Use as `async with await signed_in(...) as client:`."""

    async def opened():
        token = await create_session(runtime, kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
        client = client_for(app, f"{tenant.slug}.localhost")
        client.cookies.set(SESSION_COOKIE, token)
        client.cookies.set("hearth_csrf", CSRF)
        client.cookies.set("hearth_locale", "en")
        return client

    return opened()


async def bearer_for(runtime, tenant, kind: str, user_id: int) -> dict[str, str]:
    token = await create_session(runtime, kind=kind, user_id=user_id, tenant_id=tenant.id, via="bearer")  # type: ignore[arg-type]
    return {"authorization": f"Bearer {token}"}
