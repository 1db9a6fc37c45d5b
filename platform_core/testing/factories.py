"""Factories for tests of the core and of plugins: customers, catalog items, workers, orders in any
state, signed-in clients, console users and form posts.

Rows go through the owning domain's service where one exists (workers, hours, ratings, console
users, addresses); customers, items and orders are written straight into the tables inside
`tenant_scope`, so a test starts where it needs to (an order already paid, a customer who never
signed in). Times come from `platform_core.clock`, so a suite run with HEARTH_TEST_CLOCK moves them.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import struct
import time as wall
import zlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pyotp
from asyncpg import Range

from platform_core import clock
from platform_core.accounts.console_schemas import ConsoleUserCreate, OperatorCreate
from platform_core.accounts.console_services import create_console_user, create_operator
from platform_core.accounts.phones import encrypt_phone, phone_index
from platform_core.accounts.schemas import AddressCreate
from platform_core.accounts.services import create_address
from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.catalog.schemas import default_max_quantity
from platform_core.db import current_connection, tenant_transaction
from platform_core.dispatch import services as dispatch
from platform_core.dispatch.schemas import DispatchSettingsUpdate
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import NotificationChannel, OutboundMessage
from platform_core.runtime import current_runtime
from platform_core.staff import services as staff
from platform_core.staff.schemas import HoursRange, WorkerCreate, WorkerUpdate
from platform_core.tenancy.context import tenant_scope

PASSWORD = "correct-horse-battery"
CSRF = "test-csrf-token"

# Lujiazui, Shanghai, and points some kilometres away: a worker's home base and where orders are.
HOME = (31.2397, 121.4998)
NEAR = (31.2450, 121.5050)  # ~0.8 km
FAR = (31.3000, 121.5500)  # ~8 km


def random_phone() -> str:
    return f"+86139{secrets.randbelow(10**8):08d}"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


def png_image(width: int = 4, height: int = 3, pixel=lambda x, y: b"\x4f\x46\xe5") -> bytes:
    """A real PNG (a browser draws it), made without an imaging library: `pixel(x, y)` gives
    each pixel's three RGB bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def local_time(tenant, days_ahead: int = 2, hour: int = 10, minute: int = 0) -> datetime:
    """`hour:minute` on the franchise's clock, `days_ahead` days from its today. By default the day
    after tomorrow: more than the 24 hours of free cancellation away at any hour of today, where
    tomorrow 10:00 is less once today's 10:00 has passed."""
    day = clock.today(tenant.timezone) + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tenant.timezone))


# --- customers, catalog, workers -------------------------------------------------------------------


async def make_customer(tenant, phone: str | None = None, *, name: str = "Chen") -> int:
    """A customer with a phone, as if signed up earlier (no registration hooks run)."""
    e164 = phone or random_phone()
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(
            "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index) values ($1, $2, $3, $4) returning id",
            tenant.id, name, encrypt_phone(current_runtime().keyring, e164), phone_index(current_runtime().keyring, e164),
        )


def new_address(**overrides) -> dict:
    """An address as the booking API and forms take it."""
    return {"contact_name": "Chen Jing", "contact_phone": "13800138000", "city": "Shanghai", "district": "Pudong",
            "street": "1 Century Avenue", **overrides}


async def make_address(tenant, customer_id: int, **overrides) -> int:
    """The customer's saved default address (its phone in E.164: valid in any franchise's region)."""
    fields = {**new_address(contact_phone=random_phone()), "label": "Home", "is_default": True, **overrides}
    async with tenant_scope(tenant.id) as context:
        return (await create_address(context, customer_id, msgspec.convert(fields, AddressCreate))).id


async def make_item(
    tenant, *, price: int = 12000, pricing_model: str = "fixed", duration: int = 120, skills=(), booking_fields=(),
    slug: str | None = None, category: str | None = None, title: str = "Daily cleaning", min_quantity: int = 1,
    max_quantity: int | None = None,
) -> int:
    """A bookable service item in `category` (a new one of its own unless given); `max_quantity`
    defaults to the pricing model's (catalog.schemas.default_max_quantity)."""
    async with tenant_scope(tenant.id):
        conn = current_connection()
        category_id = await conn.fetchval(
            "insert into core_service_category (tenant_id, code, title) values ($1, $2, 'Home cleaning') "
            "on conflict (tenant_id, code) do update set title = excluded.title returning id",
            tenant.id, category or f"cleaning-{secrets.token_hex(3)}",
        )
        return await conn.fetchval(
            "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, "
            "min_quantity, max_quantity, currency, required_skills, booking_fields) "
            "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb) returning id",
            tenant.id, category_id, slug or f"daily-{secrets.token_hex(3)}", title, duration, pricing_model, price,
            min_quantity, max_quantity or default_max_quantity(pricing_model, min_quantity), tenant.currency, list(skills),
            msgspec.json.encode(list(booking_fields)).decode(),
        )


async def make_worker(
    tenant, name: str = "Wang", *, phone: str | None = None, skills=("cleaning",),
    hours: str | list[HoursRange] = "mon-sun 08:00-20:00", home: tuple[float, float] | None = None, radius_km: int = 10,
    status: str = "active", rating: float = 0, rating_count: int = 0, **profile,
) -> int:
    """An active worker with a profile and weekly hours ('mon-fri 09:00-12:00; sat 10:00-14:00')."""
    async with tenant_scope(tenant.id):
        worker = await staff.create_worker(WorkerCreate(name=name, phone=phone or random_phone()))
        await staff.update_worker(worker.id, WorkerUpdate(
            skills=list(skills), home_lat=home[0] if home else None, home_lng=home[1] if home else None,
            service_radius_km=radius_km, **profile,
        ))
        await staff.set_hours(worker.id, staff.parse_week_text(hours) if isinstance(hours, str) else hours)
        if rating_count:
            await staff.record_rating(worker.id, Decimal(str(rating)), rating_count)
        if status != "active":
            await staff.set_worker_status(worker.id, status)
    return worker.id


# --- orders ----------------------------------------------------------------------------------------


async def qualify_worker(tenant, staff_id: int, *, credentials=(), courses=(), expires_on=None) -> None:
    """The worker holds approved credentials of these kinds (as if uploaded and reviewed) and has
    passed these courses (as training reports a pass): what a category's requirement asks for."""
    from platform_core.pluginsys.calls import tell
    from platform_core.pluginsys.contexts import CourseEvent
    from platform_core.qualifications import credentials as documents
    from platform_core.qualifications.schemas import DocumentCreate

    async with tenant_scope(tenant.id) as context:
        for kind in credentials:
            doc = await documents.add_document(
                DocumentCreate(kind=kind, number=f"{kind[:8].upper()}-{staff_id}", issuer="Test issuer", expires_on=expires_on),
                png_image(), staff_id=staff_id)
            await documents.review_document(doc.id, approve=True, reason="", by=0)
        for code in courses:
            await tell(current_runtime().hooks(context).on_course_passed, event=CourseEvent(
                tenant=context, staff_id=staff_id, course_code=code, certificate_no=f"TC-{staff_id}-{code}", passed_at=clock.now()))


async def make_order(
    tenant, *, customer_id: int | None = None, item_id: int | None = None, state: str = "pending_payment",
    starts: datetime | None = None, starts_in: timedelta = timedelta(days=3), ends: datetime | None = None, hours: float = 2,
    total: int = 12000, asap: bool = False, at: tuple[float, float] | None = None, requested_staff_id: int | None = None,
    staff_id: int | None = None, assignment: str = "accepted", number: str | None = None,
) -> int:
    """An order already in `state`, with its base line (as if it had got there), starting at
    `starts` (else `starts_in` from now) for `hours` (or until `ends`), at the place `at`. With
    `staff_id`, the worker holds it through an assignment in status `assignment`. The customer
    and the item are made when not given."""
    customer_id = customer_id or await make_customer(tenant)
    item_id = item_id or await make_item(tenant, price=total)
    start = starts or clock.now() + starts_in
    end = ends or start + timedelta(hours=hours)
    address = {"contact_name": "Chen", "contact_phone_cipher": encrypt_phone(current_runtime().keyring, random_phone()),
               "city": "Shanghai", "street": "1 Century Avenue", "district": "Pudong",
               "lat": at and at[0], "lng": at and at[1]}
    async with tenant_scope(tenant.id):
        conn = current_connection()
        category_code = await conn.fetchval(
            "select c.code from core_service_item i join core_service_category c on c.id = i.category_id where i.id = $1", item_id
        )
        order_id = await conn.fetchval(
            "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, lat, lng, district, "
            "asap, scheduled_start, scheduled_end, requested_staff_id, staff_id, currency, subtotal, total, idempotency_key, created_at) "
            "values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, 'Pudong', $10, $11, $12, $13, $14, $15, $16, $16, $17, $18) returning id",
            tenant.id, number or f"T-{secrets.token_hex(4)}", customer_id, item_id, category_code, state,
            msgspec.json.encode(address).decode(), at and at[0], at and at[1], asap, start, end, requested_staff_id, staff_id,
            tenant.currency, total, secrets.token_hex(8), clock.now(),
        )
        await conn.execute(
            "insert into core_order_line (tenant_id, order_id, position, kind, label, unit_amount, amount) "
            "values ($1, $2, 1, 'base', 'Daily cleaning', $3, $3)",
            tenant.id, order_id, total,
        )
        if staff_id is not None:
            await conn.execute(
                "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
                "values ($1, $2, $3, $4, $5, 'manual')",
                tenant.id, order_id, staff_id, Range(start, end, upper_inc=False), assignment,
            )
    return order_id


class Booking(msgspec.Struct, kw_only=True):
    tenant_id: int
    host: str
    order_id: int
    number: str
    customer_id: int
    staff_id: int
    item_id: int


async def make_booking(
    tenant, *, state: str = "completed", customer_id: int | None = None, staff_id: int | None = None,
    item_id: int | None = None, lat: float | None = 31.2304, lng: float | None = 121.4737, hours_ago: int = 1,
) -> Booking:
    """An order of `tenant` in `state` that started `hours_ago` and lasts 3 hours, held by a
    worker (offered while the order is assigned, completed once it is, else accepted). Give one
    worker's orders different `hours_ago`: their assignments may not overlap."""
    customer_id = customer_id or await make_customer(tenant, name="李华")
    staff_id = staff_id or await make_worker(tenant, "王阿姨")
    start = clock.now().replace(microsecond=0) - timedelta(hours=hours_ago)
    number = f"{start:%Y%m%d}-{secrets.randbelow(10**6):06d}"
    order_id = await make_order(
        tenant, customer_id=customer_id, item_id=item_id, state=state, starts=start, hours=3, total=15900,
        at=(lat, lng) if lat is not None else None, staff_id=staff_id, number=number,
        assignment={"completed": "completed", "assigned": "offered"}.get(state, "accepted"))
    async with tenant_scope(tenant.id):
        item_id = await current_connection().fetchval("select item_id from core_order where id = $1", order_id)
    return Booking(
        tenant_id=tenant.id, host=f"{tenant.slug}.localhost", order_id=order_id, number=number, customer_id=customer_id,
        staff_id=staff_id, item_id=item_id,
    )


async def order_state(tenant, order_id: int) -> str:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select state from core_order where id = $1", order_id)


async def set_order_state(tenant, order_id: int, state: str) -> None:
    """Move an order straight to `state` (no transition rules, no hooks)."""
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set state = $2 where id = $1", order_id, state)


async def set_dispatch(tenant, **changes) -> None:
    """Change the franchise's dispatch settings (mode, offer timeout ...)."""
    async with tenant_scope(tenant.id):
        await dispatch.update_settings(DispatchSettingsUpdate(**changes))


async def eventually(check, *, timeout: float = 10.0):
    """Wait for the in-process job worker: `check()` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


# --- signed-in clients -----------------------------------------------------------------------------


def with_csrf(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Browsers echo the CSRF cookie in every form; so does this client. English, so the
    assertions can read the messages."""
    client.cookies.set("hearth_csrf", CSRF)
    client.cookies.set("hearth_locale", "en")
    return client


async def post_form(client: httpx.AsyncClient, path: str, data: dict | None = None, **kwargs) -> httpx.Response:
    """A form post with the CSRF token a page's form carries (use a client `with_csrf`)."""
    return await client.post(path, data={"csrf_token": CSRF, **(data or {})}, **kwargs)


async def with_session(client: httpx.AsyncClient, tenant, kind: str, user_id: int) -> httpx.AsyncClient:
    """`client` signed in as the customer, worker ("staff") or console user `user_id`, `with_csrf`."""
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
    client.cookies.set(SESSION_COOKIE, token)
    return with_csrf(client)


async def signed_in(app, tenant, kind: str, user_id: int) -> httpx.AsyncClient:
    """A new client of `tenant`, `with_session`. Use as `async with await signed_in(...) as client:`."""
    from platform_core.testing.pytest_plugin import client_for

    return await with_session(client_for(app, f"{tenant.slug}.localhost"), tenant, kind, user_id)


async def console_client(client: httpx.AsyncClient, tenant, role: str = "dispatcher") -> httpx.AsyncClient:
    """`client` signed in as a new console user of `tenant` with `role`."""
    user = await make_console_user(tenant, role)
    return await with_session(client, tenant, "console", user.id)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def bearer_for(tenant, kind: str, user_id: int) -> dict[str, str]:
    """Headers with a bearer token for the customer or worker, as the sign-in API would give."""
    return bearer(await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id, via="bearer"))  # type: ignore[arg-type]


# --- console users ---------------------------------------------------------------------------------


async def make_console_user(tenant, role: str = "owner", *, email: str | None = None, password: str = PASSWORD):
    async with tenant_scope(tenant.id):
        return await create_console_user(ConsoleUserCreate(
            email=email or unique_email(role), display_name=f"{role.title()} Person", role=role, password=password,
        ))


async def make_operator(*, email: str | None = None, password: str = PASSWORD):
    """A platform operator (the platform console's user)."""
    async with tenant_transaction(None):
        return await create_operator(OperatorCreate(email=email or unique_email("operator"), display_name="Olivia Operator", password=password))


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, *, path: str = "/console/sign-in") -> httpx.Response:
    """Sign in through the console's form (the platform console's with its `path`)."""
    return await post_form(client, path, {"email": email, "password": password})


async def totp_secret(tenant, user_id: int) -> str:
    async with tenant_scope(tenant.id):
        cipher = await current_connection().fetchval("select totp_secret_cipher from core_console_user where id = $1", user_id)
    return current_runtime().keyring.decrypt(cipher, context="totp")


def totp_code(secret: str, *, steps: int = 0) -> str:
    """The TOTP code of now, or `steps` 30-second steps away (an authenticator app's clock)."""
    return pyotp.TOTP(secret).at(wall.time() + steps * 30)


# --- text messages ---------------------------------------------------------------------------------


class SmsGateway:
    """A notification channel that delivers into a list, tried before the dev outbox (the `sms`
    fixture registers one)."""

    def __init__(self) -> None:
        self.messages: list[OutboundMessage] = []

    @hookimpl
    def provide_notification_channels(self):
        return [NotificationChannel(name="test-sms", channel="sms", send=self.send, priority=1)]

    async def send(self, message: OutboundMessage) -> None:
        self.messages.append(message)

    def sent_to(self, e164: str) -> list[OutboundMessage]:
        return [m for m in self.messages if m.to == e164]

    def code_for(self, e164: str) -> str:
        return re.search(r"\b(\d{6})\b", self.sent_to(e164)[-1].body).group(1)


async def api_sign_in(client: httpx.AsyncClient, sms: SmsGateway, phone: str, e164: str, **extra) -> dict:
    """Code + token through the customer API, as the app does; returns the token response."""
    sent = await client.post("/api/v1/auth/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    response = await client.post("/api/v1/auth/token", json={"phone": phone, "code": sms.code_for(e164), **extra})
    assert response.status_code == 200, response.text
    return response.json()
