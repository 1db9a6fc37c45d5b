"""Tenants: lookup by host, lifecycle, and which plugins each has on."""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from platform_core.db import current_connection, switch_tenant, tenant_transaction
from platform_core.errors import Conflict, NotFound, ValidationFailed

from .schemas import Branding, ServiceContact, Tenant, TenantContext, TenantCreate

_TENANT_COLUMNS = (
    "t.id, t.slug, t.name, t.status, t.locale, t.timezone, t.currency, t.branding, t.suspended_reason, "
    "t.service_phone, t.service_opens, t.service_closes, t.version"
)


def _branding(raw: object) -> Branding:
    if isinstance(raw, str):
        return msgspec.json.decode(raw or "{}", type=Branding)
    return msgspec.convert(raw or {}, Branding)


def _contact(row) -> ServiceContact:
    return ServiceContact(phone=row["service_phone"], opens=row["service_opens"], closes=row["service_closes"])


def _context(row, enabled: frozenset[str]) -> TenantContext:
    return TenantContext(
        id=row["id"], slug=row["slug"], name=row["name"], status=row["status"], locale=row["locale"],
        timezone=row["timezone"], currency=row["currency"], branding=_branding(row["branding"]),
        contact=_contact(row), enabled_plugins=enabled, version=row["version"],
    )


async def enabled_plugins() -> frozenset[str]:
    """The plugins the current transaction's tenant has on (RLS picks the tenant)."""
    rows = await current_connection().fetch(
        "select plugin_name from core_tenant_plugin where enabled and tenant_id = hearth_current_tenant()"
    )
    return frozenset(r["plugin_name"] for r in rows)


async def resolve_tenant(host: str, *, base_domain: str, header_slug: str | None) -> TenantContext | None:
    """Host → tenant: a custom domain, `{slug}.{base_domain}`, or the X-Tenant header, in one
    query (a custom domain wins). Fails closed. Runs inside the request's transaction, which it
    then sets to the tenant found, to read the tenant's plugins under RLS."""
    conn = current_connection()
    host = host.lower().split(":")[0]
    slug = header_slug
    suffix = "." + base_domain
    if slug is None and host.endswith(suffix):
        slug = host[: -len(suffix)]
    if slug is not None and (not slug or "." in slug):
        slug = None
    row = await conn.fetchrow(
        f"select {_TENANT_COLUMNS} from core_tenant t where t.id = coalesce("
        "(select tenant_id from core_tenant_domain where host = $1), (select id from core_tenant where slug = $2))",
        host, slug.lower() if slug else None,
    )
    if row is None:
        return None
    await switch_tenant(row["id"])
    return _context(row, await enabled_plugins())


async def load_tenant_context(tenant_id: int) -> TenantContext | None:
    row = await current_connection().fetchrow(f"select {_TENANT_COLUMNS} from core_tenant t where t.id = $1", tenant_id)
    if row is None:
        return None
    return _context(row, await enabled_plugins())


async def _hosts(conn, tenant_id: int) -> list[str]:
    rows = await conn.fetch(
        "select host from core_tenant_domain where tenant_id = $1 order by is_primary desc, host", tenant_id
    )
    return [r["host"] for r in rows]


def _tenant(row, hosts: list[str]) -> Tenant:
    return Tenant(
        id=row["id"], slug=row["slug"], name=row["name"], status=row["status"], locale=row["locale"],
        timezone=row["timezone"], currency=row["currency"], branding=_branding(row["branding"]),
        contact=_contact(row), hosts=hosts, suspended_reason=row["suspended_reason"],
    )


async def list_tenants() -> list[Tenant]:
    async with tenant_transaction(None):
        conn = current_connection()
        rows = await conn.fetch(f"select {_TENANT_COLUMNS} from core_tenant t order by t.slug")
        return [_tenant(r, await _hosts(conn, r["id"])) for r in rows]


async def active_tenant_zones(conn, plugin: str | None = None) -> list[tuple[int, str]]:
    """(id, time zone) of every active franchise, or of those that have `plugin` on, read on
    `conn` without a tenant (the job workers' scheduling: hearth_tenants_with_plugin reads the
    plugin rows, which are under row-level security, as the owner)."""
    rows = await conn.fetch(
        "select id, timezone from core_tenant where status = 'active' "
        "and ($1::text is null or id in (select tenant_id from hearth_tenants_with_plugin($1))) order by id",
        plugin,
    )
    return [(r["id"], r["timezone"]) for r in rows]


async def tenant_ids() -> list[int]:
    """Every tenant's id, in slug order."""
    async with tenant_transaction(None):
        rows = await current_connection().fetch("select id from core_tenant order by slug")
    return [r["id"] for r in rows]


async def created_dates() -> dict[int, datetime]:
    """When each tenant was created, by id (the Tenant schema does not carry it yet)."""
    rows = await current_connection().fetch("select id, created_at from core_tenant")
    return {r["id"]: r["created_at"] for r in rows}


async def get_tenant(slug: str) -> Tenant:
    async with tenant_transaction(None):
        conn = current_connection()
        row = await conn.fetchrow(f"select {_TENANT_COLUMNS} from core_tenant t where t.slug = $1", slug)
        if row is None:
            raise NotFound("tenant")
        return _tenant(row, await _hosts(conn, row["id"]))


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed({"timezone": "Unknown time zone."}) from None


async def create_tenant(data: TenantCreate) -> Tenant:
    _check_timezone(data.timezone)
    async with tenant_transaction(None):
        conn = current_connection()
        if await conn.fetchval("select 1 from core_tenant where slug = $1", data.slug):
            raise Conflict("A franchise with this slug already exists.", fields={"slug": "Already taken."})
        for host in data.hosts:
            if await conn.fetchval("select 1 from core_tenant_domain where host = $1", host.lower()):
                raise Conflict("This host name is already in use.", fields={"hosts": "Already in use."})
        row = await conn.fetchrow(
            "insert into core_tenant (slug, name, locale, timezone, currency, branding) "
            f"values ($1, $2, $3, $4, $5, $6) returning {_TENANT_COLUMNS.replace('t.', '')}",
            data.slug, data.name, data.locale, data.timezone, data.currency,
            msgspec.json.encode(data.branding).decode(),
        )
        for index, host in enumerate(data.hosts):
            await conn.execute(
                "insert into core_tenant_domain (tenant_id, host, is_primary) values ($1, $2, $3)",
                row["id"], host.lower(), index == 0,
            )
        return _tenant(row, [h.lower() for h in data.hosts])


async def update_tenant(slug: str, data: TenantCreate) -> bool:
    """Bring an existing tenant in line with `data`; True when anything changed."""
    _check_timezone(data.timezone)
    async with tenant_transaction(None):
        conn = current_connection()
        row = await conn.fetchrow(f"select {_TENANT_COLUMNS} from core_tenant t where t.slug = $1", slug)
        if row is None:
            raise NotFound("tenant")
        current = (row["name"], row["locale"], row["timezone"], row["currency"], _branding(row["branding"]))
        wanted = (data.name, data.locale, data.timezone, data.currency, data.branding)
        changed = current != wanted
        if changed:
            await conn.execute(
                "update core_tenant set name=$2, locale=$3, timezone=$4, currency=$5, branding=$6 where id=$1",
                row["id"], data.name, data.locale, data.timezone, data.currency,
                msgspec.json.encode(data.branding).decode(),
            )
        hosts = await _hosts(conn, row["id"])
        for index, host in enumerate(h.lower() for h in data.hosts):
            if host not in hosts:
                owner = await conn.fetchval("select tenant_id from core_tenant_domain where host = $1", host)
                if owner is not None:
                    raise Conflict("This host name is already in use.", fields={"hosts": "Already in use."})
                await conn.execute(
                    "insert into core_tenant_domain (tenant_id, host, is_primary) values ($1, $2, $3)",
                    row["id"], host, index == 0 and not hosts,
                )
                changed = True
        return changed


SERVICE_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def service_contact_from(phone: str, opens: str, closes: str) -> ServiceContact:
    """The console's contact fields, checked; every field's error at once. Messages are msgids."""
    phone, opens, closes = phone.strip(), opens.strip()[:5], closes.strip()[:5]
    errors: dict[str, str] = {}
    if phone and not SERVICE_PHONE.match(phone):
        errors["service_phone"] = "Enter a phone number (digits, spaces and dashes), or leave it empty."
    for name, value in (("service_opens", opens), ("service_closes", closes)):
        if value and not HHMM.match(value):
            errors[name] = "Pick a time."
    times_ok = "service_opens" not in errors and "service_closes" not in errors
    if times_ok and bool(opens) != bool(closes):
        errors["service_opens" if not opens else "service_closes"] = "Give both the opening and the closing time, or neither."
    elif times_ok and opens and closes <= opens:
        errors["service_closes"] = "The closing time must be after the opening time."
    if errors:
        raise ValidationFailed(errors)
    return ServiceContact(phone=phone, opens=opens, closes=closes)


async def set_service_contact(tenant_id: int, contact: ServiceContact) -> None:
    """The franchise's own word on its service line and hours (the console's settings page);
    `hearth tenants apply` leaves them alone."""
    await current_connection().execute(
        "update core_tenant set service_phone = $2, service_opens = $3, service_closes = $4 where id = $1",
        tenant_id, contact.phone, contact.opens, contact.closes,
    )


async def set_status(slug: str, status: str, reason: str = "") -> Tenant:
    if status not in ("active", "suspended"):
        raise ValidationFailed({"status": "Must be active or suspended."})
    async with tenant_transaction(None):
        conn = current_connection()
        row = await conn.fetchrow(
            f"update core_tenant t set status = $2, suspended_reason = $3 where slug = $1 returning {_TENANT_COLUMNS}",
            slug, status, reason if status == "suspended" else "",
        )
        if row is None:
            raise NotFound("tenant")
        return _tenant(row, await _hosts(conn, row["id"]))


async def tenant_id_for_slug(slug: str) -> int:
    async with tenant_transaction(None):
        tenant_id = await current_connection().fetchval("select id from core_tenant where slug = $1", slug)
    if tenant_id is None:
        raise NotFound("tenant")
    return tenant_id
