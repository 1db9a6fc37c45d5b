"""Share links: a customer's link to one service, `/p/loyalty/s/{code}`, which lands on the
service's page. It counts a visit when a NEW visitor opens it (not the sharer; once per browser,
by the plugin's visitor cookie) and a sign-up when that visitor registers: the landing leaves the
core's referrer cookie (`referrer_cookie`, carried into CustomerEvent.attribution["referrer"] by
accounts), which names the link and the visitor. Each completes the sharer's "share_visit" or
"share_signup" tasks."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

import msgspec

from platform_core.plugin_api import (
    CustomerEvent,
    ValidationFailed,
    current_connection,
    current_tenant,
    lazy_gettext,
    service_items,
)

from . import points
from .tasks import complete_tasks

VISITOR_COOKIE = "loyalty_visitor"
VISITOR_DAYS = 365
# No 0/O, 1/l/I: a code may be read aloud or typed.
_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
# The referrer a landing leaves: "loyalty:{code}:{visitor}" (letters, digits, ':' and '-_').
_REFERRER = re.compile(r"^loyalty:([A-Za-z0-9]{1,16}):([A-Za-z0-9_-]{16,32})$")


class ShareLink(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    url: str  # the link to share: /p/loyalty/s/{code} on the franchise's host
    item_id: int
    item_title: str
    visits: int
    signups: int


class ShareCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    item_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class Landing(msgspec.Struct, frozen=True, kw_only=True):
    """Where a share link sends its visitor, and what to remember in their browser."""

    location: str
    visitor: str | None = None  # a new visitor cookie to set
    referrer: str | None = None  # the referrer cookie's value to set


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def new_visitor() -> str:
    return secrets.token_urlsafe(18)


async def share_link(customer_id: int, item_id: int) -> ShareLink:
    """The customer's link to the service (made the first time); a field error for a service the
    franchise's customers can not book."""
    items = {i.id: i for i in await service_items()}
    if item_id not in items:
        raise ValidationFailed({"item_id": lazy_gettext("Choose a service to share.")})
    conn = current_connection()
    for _ in range(5):
        await conn.execute(
            "insert into loyalty_share (tenant_id, customer_id, item_id, code) values ($1, $2, $3, $4) "
            "on conflict do nothing", current_tenant().id, customer_id, item_id, _new_code(),
        )
        row = await conn.fetchrow(
            "select code, item_id, visits, signups from loyalty_share where customer_id = $1 and item_id = $2", customer_id, item_id)
        if row is not None:
            return _link(row, items[item_id].title)
    raise RuntimeError("no free share code")  # 56^10 codes: never in practice


def _link(row, title: str) -> ShareLink:
    return ShareLink(code=row["code"], url=f"/p/loyalty/s/{row['code']}", item_id=row["item_id"], item_title=title,
                     visits=row["visits"], signups=row["signups"])


async def my_links(customer_id: int) -> list[ShareLink]:
    """The customer's share links of services still offered, newest first."""
    rows = await current_connection().fetch(
        "select code, item_id, visits, signups from loyalty_share where customer_id = $1 order by id desc", customer_id)
    if not rows:
        return []
    titles = {i.id: i.title for i in await service_items()}
    return [_link(r, titles[r["item_id"]]) for r in rows if r["item_id"] in titles]


async def land(code: str, visitor: str, signed_in: int | None, *, counts: bool = True) -> Landing:
    """Someone opened a share link: where it goes (the service's page; home for an unknown code or
    a service no longer offered) and, for a visitor who is signed in as nobody (not the sharer,
    not a customer yet) in a browser new to this link, the visit counted (the sharer's
    "share_visit" tasks completed) and the referrer remembered for their sign-up. A crawler or a
    chat app's link preview (`counts=False`, plugin_api.is_bot) only follows the link."""
    if not _CODE.match(code):
        return Landing(location="/")
    conn = current_connection()
    share = await conn.fetchrow("select id, customer_id, item_id from loyalty_share where code = $1", code)
    if share is None:
        return Landing(location="/")
    item = next((i for i in await service_items() if i.id == share["item_id"]), None)
    location = item.url if item else "/"
    if signed_in is not None or not counts:
        # The sharer, someone who is a customer already (not new), or a link preview: not counted.
        return Landing(location=location)
    known = _VISITOR.match(visitor or "") is not None
    visitor = visitor if known else new_visitor()
    await points.lock_member(share["customer_id"])  # the plugin's lock order: the sharer's member row first
    counted = await conn.fetchval(
        "insert into loyalty_share_visit (tenant_id, share_id, visitor) values ($1, $2, $3) "
        "on conflict (tenant_id, share_id, visitor) do nothing returning id",
        current_tenant().id, share["id"], visitor,
    )
    if counted is not None:
        await conn.execute("update loyalty_share set visits = visits + 1 where id = $1", share["id"])
        await complete_tasks(share["customer_id"], "share_visit", f"share:{code}")
    return Landing(location=location, visitor=None if known else visitor, referrer=f"loyalty:{code}:{visitor}")


async def registered(event: CustomerEvent) -> None:
    """on_customer_registered: a visitor of a share link signed up; counted once per visit, and
    the sharer's "share_signup" tasks completed."""
    match = _REFERRER.match(event.attribution.get("referrer", ""))
    if match is None:
        return
    code, visitor = match.groups()
    conn = current_connection()
    share = await conn.fetchrow("select id, customer_id from loyalty_share where code = $1", code)
    if share is None or share["customer_id"] == event.customer_id:
        return
    await points.lock_member(share["customer_id"])
    signed_up = await conn.fetchval(
        "update loyalty_share_visit set customer_id = $3, registered_at = $4 "
        "where share_id = $1 and visitor = $2 and customer_id is null returning id",
        share["id"], visitor, event.customer_id, event.occurred_at,
    )
    if signed_up is None:
        return
    await conn.execute("update loyalty_share set signups = signups + 1 where id = $1", share["id"])
    await complete_tasks(share["customer_id"], "share_signup", f"share:{code}")
