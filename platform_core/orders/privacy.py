"""Privacy protection: what a worker sees of a customer whose real name is verified.

Every place the staff app shows an order (the job offers and the job page, the day's visits,
the visit page, their JSON twins) reads it through `for_worker`, so the rule lives here once:

- the contact is called by the surname only (王先生/女士, "Mr/Ms Smith"); the phone on an order
  is masked for every worker already, and calls go through the relay line (orders.thread);
- the full address (house number, building and room, the exact map point) only from the day of
  the visit on the franchise's calendar; before that, the district and the street without its
  number, and the point rounded to about a kilometre.

A customer who is not verified is shown as before: verification is what turns this on.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.accounts.services import realname_verified
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_

from .schemas import Order, OrderAddress

COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "司徒", "夏侯", "轩辕",
    "端木", "独孤", "南宫", "西门", "宇文", "申屠",
})
POLITE_SURNAME = N_("Mr/Ms %(surname)s")
_CJK = re.compile(r"[\u3400-\u9fff]")
# "漕溪北路88号", "88弄 …", "1 Century Avenue", "Century Avenue 1-3": the number goes, the street stays.
_HOUSE_NUMBER = re.compile(r"\s*[0-9０-９]+(?:[-－][0-9０-９]+)?\s*[号號弄].*$|^\s*\d+[A-Za-z]?(?:-\d+)?\s+|\s+\d+[A-Za-z]?(?:-\d+)?\s*$")


def surname_of(name: str) -> str:
    """The family name: a Chinese name's first character (two for a compound surname), else a
    Latin name's last word."""
    name = name.strip()
    if not name:
        return ""
    if _CJK.match(name):
        return name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]
    return name.split()[-1]


def polite_name(name: str) -> str:
    surname = surname_of(name)
    return gettext(POLITE_SURNAME, surname=surname) if surname else ""


def street_without_number(street: str) -> str:
    return _HOUSE_NUMBER.sub("", street).strip()


def _coarse(degrees: float | None) -> float | None:
    # About a kilometre: the offer's distance still means something, the door is not on the map.
    return None if degrees is None else round(degrees, 2)


def protected_address(address: OrderAddress, *, full: bool) -> OrderAddress:
    """The address with the contact's surname only; unless `full`, without the house number and
    the detail, its map point coarse."""
    changes: dict = {"contact_name": polite_name(address.contact_name)}
    if not full:
        changes |= {"street": street_without_number(address.street), "detail": "", "lat": _coarse(address.lat),
                    "lng": _coarse(address.lng)}
    return msgspec.structs.replace(address, **changes)


def _visit_day(order: Order) -> date:
    return order.scheduled_start.astimezone(ZoneInfo(current_tenant().timezone)).date()


async def for_worker(order: Order) -> Order:
    """The order as its worker may see it (see the module's docstring)."""
    if not await realname_verified(order.customer_id):
        return order
    full = clock.today(current_tenant().timezone) >= _visit_day(order)
    return msgspec.structs.replace(order, address=protected_address(order.address, full=full))


async def all_for_worker(orders: list[Order]) -> list[Order]:
    return [await for_worker(order) for order in orders]
