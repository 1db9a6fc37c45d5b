"""The customer's address book pages (/account/addresses): the 省/市/区 picker, the street with
suggestions as it is typed, and no coordinates to type (addresses.py places each address).
The pages work without JavaScript: the picker's three selects are then plain text fields."""

from __future__ import annotations

import math
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from platform_core.errors import HearthError
from platform_core.geo import PlaceTip
from platform_core.tenancy.context import current_tenant
from platform_core.web.bounds import PathId
from platform_core.web.forms import done_notice, error_page, form_data
from platform_core.web.i18n import lazy_gettext
from platform_core.web.maps import REGIONS_URL, region_data, suggest
from platform_core.web.pages import page

from . import addresses, services
from .guards import require_customer
from .schemas import Address, AddressCreate, AddressUpdate
from .sessions import Principal

HOME = "/account/addresses"
FORM = "accounts/address_form.html"
NOTICES = {
    "address-added": lazy_gettext("The address has been added."),
    "address-saved": lazy_gettext("The address has been saved."),
    "address-deleted": lazy_gettext("The address has been deleted."),
    "default": lazy_gettext("This is now your default address."),
}


def _fields(values: dict[str, str], *, editing: bool) -> dict[str, Any]:
    """Form strings → AddressCreate/Update fields; a blank phone on edit keeps the stored one.
    lat/lng are hidden, filled when the customer picks a suggestion: unreadable ones are
    dropped and the address is placed on the server instead."""
    fields: dict[str, Any] = {
        name: values.get(name, "")
        for name in ("label", "contact_name", "region", "city", "district", "street", "detail", "area_code")
    }
    if values.get("contact_phone") or not editing:
        fields["contact_phone"] = values.get("contact_phone", "")
    try:
        point: tuple[float, float] | None = (float(values.get("lat", "")), float(values.get("lng", "")))
    except ValueError:
        point = None
    fields["lat"], fields["lng"] = point if point and all(map(math.isfinite, point)) else (None, None)
    fields["is_default"] = values.get("is_default") == "on"
    if editing and not fields["is_default"]:
        fields.pop("is_default")
    return fields


def _context(address: Address | None, values: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "values": values, "regions_url": REGIONS_URL if region_data() is not None else ""}


class AddressController(Controller):
    path = HOME
    guards = [require_customer]
    include_in_schema = False

    @get("", name="addresses")
    async def addresses(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        return page(request, "accounts/addresses.html", addresses=await addresses.list_addresses(customer.id),
                    flash=done_notice(request, NOTICES))

    @get("/new", name="address-new")
    async def new_address(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        await services.active_customer(principal)
        return page(request, FORM, errors={}, **_context(None, {}))

    @get("/tips", name="address-tips")
    async def tips(self, principal: NamedDependency[Principal], q: FromQuery[str] = "", city: FromQuery[str] = "") -> list[PlaceTip]:
        """Suggestions while the street is typed: the map provider's input tips, none without one."""
        await services.active_customer(principal)
        return await suggest(current_tenant(), q, city)

    @post("", name="address-create")
    async def create_address(self, request: Request, principal: NamedDependency[Principal]) -> Response:
        customer = await services.active_customer(principal)
        values = await form_data(request)
        try:
            data = AddressCreate(**_fields(values, editing=False))
            await addresses.create_address(current_tenant(), customer.id, data)
        except HearthError as exc:
            return error_page(request, FORM, exc, **_context(None, values))
        return Redirect(f"{HOME}?done=address-added", status_code=303)

    @get("/{address_id:int}/edit", name="address-edit")
    async def edit_address(self, request: Request, principal: NamedDependency[Principal], address_id: PathId) -> Response:
        customer = await services.active_customer(principal)
        address = await addresses.get_address(customer.id, address_id)
        # The stored place stays unless the address moves or another suggestion is picked.
        values = {**msgspec.structs.asdict(address), "contact_phone": "", "lat": "", "lng": ""}
        return page(request, FORM, errors={}, **_context(address, values))

    @post("/{address_id:int}", name="address-update")
    async def update_address(self, request: Request, principal: NamedDependency[Principal], address_id: PathId) -> Response:
        customer = await services.active_customer(principal)
        address = await addresses.get_address(customer.id, address_id)
        values = await form_data(request)
        try:
            data = AddressUpdate(**_fields(values, editing=True))
            await addresses.update_address(current_tenant(), customer.id, address_id, data)
        except HearthError as exc:
            return error_page(request, FORM, exc, **_context(address, values))
        return Redirect(f"{HOME}?done=address-saved", status_code=303)

    @post("/{address_id:int}/delete", name="address-delete")
    async def delete_address(self, principal: NamedDependency[Principal], address_id: PathId) -> Response:
        customer = await services.active_customer(principal)
        await addresses.delete_address(customer.id, address_id)
        return Redirect(f"{HOME}?done=address-deleted", status_code=303)

    @post("/{address_id:int}/default", name="address-default")
    async def make_default(self, principal: NamedDependency[Principal], address_id: PathId) -> Response:
        customer = await services.active_customer(principal)
        await addresses.set_default_address(current_tenant(), customer.id, address_id)
        return Redirect(f"{HOME}?done=default", status_code=303)
