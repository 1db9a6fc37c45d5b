"""The customer's address book: 省/市/区 from the bundled data, the street with the map
provider's suggestions, and where the address is without anyone typing coordinates.

An address is placed, best first: where the suggestion the customer picked is; where the map
provider (select_map_provider) geocodes it; at its district's centre. Every query runs in the
caller's tenant transaction and names the customer, so one customer never reaches another's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from msgspec import UNSET

from platform_core.db import current_connection
from platform_core.errors import NotFound, ValidationFailed
from platform_core.geo import place_line
from platform_core.runtime import current_runtime
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext
from platform_core.web.maps import find_region, locate

from .phones import encrypt_phone, masked_cipher, normalize_phone
from .profile_events import profile_updated
from .schemas import Address, AddressCreate, AddressUpdate

_ADDRESS_COLUMNS = (
    "id, label, contact_name, contact_phone_cipher, region, city, district, street, detail, lat, lng, is_default"
)
_TEXT_LIMITS = {"label": 20, "contact_name": 40, "region": 40, "city": 40, "district": 40, "street": 200, "detail": 200}
_REQUIRED = {
    "contact_name": lazy_gettext("Enter the contact's name."),
    "city": lazy_gettext("Enter the city."),
    "street": lazy_gettext("Enter the street and number."),
}
# Fields that move the address: a change to one of them places it again.
_PLACE_FIELDS = ("area_code", "region", "city", "district", "street")


def _address(row) -> Address:
    return Address(
        id=row["id"], label=row["label"], contact_name=row["contact_name"],
        contact_phone=masked_cipher(current_runtime().keyring, row["contact_phone_cipher"]), region=row["region"], city=row["city"],
        district=row["district"], street=row["street"], detail=row["detail"],
        lat=float(row["lat"]) if row["lat"] is not None else None,
        lng=float(row["lng"]) if row["lng"] is not None else None, is_default=row["is_default"],
        area=place_line(row["region"], row["city"], row["district"]),
    )


def _clean_address(
    tenant: TenantContext, fields: dict[str, object], current: tuple[object, object] = (None, None)
) -> dict[str, object]:
    """Validate the given fields (all of them at once, so the form marks every problem) and
    turn them into column values. `current` is the stored (lat, lng) of an edited address."""
    errors: dict[str, str] = {}
    lat, lng = fields.get("lat", current[0]), fields.get("lng", current[1])
    if (lat is None) != (lng is None):
        errors["lat" if lat is None else "lng"] = lazy_gettext("Give both latitude and longitude, or neither.")
    clean: dict[str, object] = {}
    for name, limit in _TEXT_LIMITS.items():
        if name in fields:
            value = str(fields[name] or "").strip()
            if name in _REQUIRED and not value:
                errors[name] = _REQUIRED[name]
            elif len(value) > limit:
                errors[name] = lazy_gettext("This is too long.")
            clean[name] = value
    if "contact_phone" in fields:
        try:
            e164 = normalize_phone(str(fields["contact_phone"] or ""), tenant, field="contact_phone")
            clean["contact_phone_cipher"] = encrypt_phone(current_runtime().keyring, e164)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    for name, bound in (("lat", 90), ("lng", 180)):
        if name in fields:
            value = fields[name]
            if value is not None and not -bound <= float(value) <= bound:  # type: ignore[arg-type]
                errors[name] = (
                    lazy_gettext("Latitude must be between -90 and 90.") if name == "lat"
                    else lazy_gettext("Longitude must be between -180 and 180.")
                )
            clean[name] = None if value is None else _degrees(value)
    if "is_default" in fields:
        clean["is_default"] = bool(fields["is_default"])
    code = str(fields.get("area_code") or "").strip()
    if code and find_region(code) is None:
        errors["district"] = lazy_gettext("Choose the district from the list.")
    if errors:
        raise ValidationFailed(errors)
    return clean


def _degrees(value: object) -> Decimal:
    return Decimal(str(round(float(value), 6)))  # type: ignore[arg-type]


async def _place(tenant: TenantContext, fields: dict[str, object], clean: dict[str, object], current: Address | None) -> None:
    """Names from the bundled data for the chosen district, and coordinates when the address
    moved and none came with it (see the module docstring for the order)."""
    if not any(name in fields for name in _PLACE_FIELDS):
        return
    def now(name: str) -> str:
        return str(clean.get(name, getattr(current, name, "") if current else ""))
    region = find_region(str(fields.get("area_code") or "").strip(), now("region"), now("city"), now("district"))
    if region is not None:
        clean.update(region=region.province, city=region.city, district=region.district)
    if fields.get("lat") is not None:
        return
    located = await locate(tenant, region, now("street"), now("city"))
    clean["lat"] = None if located is None else _degrees(located.lat)
    clean["lng"] = None if located is None else _degrees(located.lng)


async def list_addresses(customer_id: int) -> list[Address]:
    rows = await current_connection().fetch(
        f"select {_ADDRESS_COLUMNS} from core_customer_address where customer_id = $1 order by is_default desc, id desc",
        customer_id,
    )
    return [_address(r) for r in rows]


async def get_address(customer_id: int, address_id: int) -> Address:
    """The customer's own address; another customer's id is simply not found."""
    row = await current_connection().fetchrow(
        f"select {_ADDRESS_COLUMNS} from core_customer_address where id = $1 and customer_id = $2", address_id, customer_id
    )
    if row is None:
        raise NotFound("address")
    return _address(row)


async def address_snapshot(customer_id: int, address_id: int) -> dict[str, Any] | None:
    """The customer's address as it is now, for an order to keep; None when it is not theirs.
    The contact phone stays encrypted: the snapshot never holds it in clear."""
    row = await current_connection().fetchrow(
        "select contact_name, contact_phone_cipher, region, city, district, street, detail, lat, lng "
        "from core_customer_address where id = $1 and customer_id = $2",
        address_id, customer_id,
    )
    if row is None:
        return None
    snapshot = dict(row)
    for name in ("lat", "lng"):
        snapshot[name] = None if snapshot[name] is None else float(snapshot[name])
    return snapshot


async def address_copy(customer_id: int, address_id: int) -> dict[str, Any] | None:
    """`address_snapshot` with what a page shows of it too (the phone masked, the area line, the
    label), in one read: a copy a plugin keeps (a parcel's address) and shows without asking
    again. None when the address is not the customer's."""
    row = await current_connection().fetchrow(
        f"select {_ADDRESS_COLUMNS} from core_customer_address where id = $1 and customer_id = $2", address_id, customer_id
    )
    if row is None:
        return None
    shown = _address(row)
    return {"contact_name": shown.contact_name, "contact_phone_cipher": row["contact_phone_cipher"], "region": shown.region,
            "city": shown.city, "district": shown.district, "street": shown.street, "detail": shown.detail, "lat": shown.lat,
            "lng": shown.lng, "contact_phone": shown.contact_phone, "area": shown.area, "label": shown.label}


async def _clear_default(customer_id: int) -> None:
    await current_connection().execute(
        "update core_customer_address set is_default = false where customer_id = $1 and is_default", customer_id
    )


async def create_address(tenant: TenantContext, customer_id: int, data: AddressCreate) -> Address:
    fields = msgspec.structs.asdict(data)
    clean = _clean_address(tenant, fields)
    await _place(tenant, fields, clean, None)
    conn = current_connection()
    first = not await conn.fetchval("select 1 from core_customer_address where customer_id = $1 limit 1", customer_id)
    clean["is_default"] = bool(clean["is_default"]) or first
    if clean["is_default"]:
        await _clear_default(customer_id)
    columns = ["tenant_id", "customer_id", *clean]
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    address_id = await conn.fetchval(
        f"insert into core_customer_address ({', '.join(columns)}) values ({placeholders}) returning id",
        tenant.id, customer_id, *clean.values(),
    )
    await profile_updated(tenant, customer_id)
    return await get_address(customer_id, address_id)


async def update_address(tenant: TenantContext, customer_id: int, address_id: int, data: AddressUpdate) -> Address:
    current = await get_address(customer_id, address_id)
    fields = {f: v for f, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    clean = _clean_address(tenant, fields, (current.lat, current.lng))
    await _place(tenant, fields, clean, current)
    if clean.get("is_default") is False and current.is_default:
        clean.pop("is_default")  # the default moves by choosing another address, never to none
    if clean.get("is_default"):
        await _clear_default(customer_id)
    if clean:
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(clean, start=3))
        await current_connection().execute(
            f"update core_customer_address set {sets}, updated_at = now() where id = $1 and customer_id = $2",
            address_id, customer_id, *clean.values(),
        )
        await profile_updated(tenant, customer_id)
    return await get_address(customer_id, address_id)


async def delete_address(customer_id: int, address_id: int) -> None:
    conn = current_connection()
    was_default = await conn.fetchval(
        "delete from core_customer_address where id = $1 and customer_id = $2 returning is_default", address_id, customer_id
    )
    if was_default is None:
        raise NotFound("address")
    if was_default:
        await conn.execute(
            "update core_customer_address set is_default = true where id = "
            "(select id from core_customer_address where customer_id = $1 order by id desc limit 1)",
            customer_id,
        )


async def set_default_address(tenant: TenantContext, customer_id: int, address_id: int) -> Address:
    return await update_address(tenant, customer_id, address_id, AddressUpdate(is_default=True))
