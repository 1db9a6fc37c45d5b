"""The console's Points page: find a customer by their mobile number, see their card, balance,
debt, what expires soon and their points history, and adjust their points by hand with a reason.

An adjustment is a `loyalty_adjustment` row (who made it, why, the form's one-time key) and the
ledger movement it links to ("adjustment:<id>", the reason as the movement's note). The member
row is locked first, as every change of points does (points.py), then the row is written with its
form key, so a double submit of one form adjusts once and the second sees the first's result.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.response import Redirect

from platform_core.plugin_api import (
    Conflict,
    CustomerCard,
    HearthError,
    NotFound,
    Principal,
    ValidationFailed,
    console_user_names,
    current_connection,
    current_tenant,
    customer_cards,
    customer_id_for_phone,
    gettext,
    is_digits,
    lazy_gettext,
    page,
    require_console,
)

from . import points

BASE = "/p/loyalty/console/points"
PAGE_SIZE = 50
MAX_ADJUST = 1_000_000
REASON_MAX = 200
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
INT64_MAX = 2**63 - 1

KIND_LABELS = {
    "earned": lazy_gettext("Earned"),
    "spent": lazy_gettext("Spent"),
    "expired": lazy_gettext("Expired"),
    "reversed": lazy_gettext("Reversed"),
}
KIND_TONES = {"earned": "success", "spent": "brand", "expired": "warning", "reversed": "danger"}
# The notes the ledger itself writes (points.py), said in the reader's language.
LEDGER_NOTES = {
    "debt": lazy_gettext("Spent already: left as debt"),
    "written off": lazy_gettext("Spent already: written off"),
    "debt paid": lazy_gettext("Debt paid"),
}
NOTICES = {"adjusted": lazy_gettext("The points are adjusted.")}


class HistoryRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    points: int
    reason: str  # why, as the console shows it: the adjustment's reason, the movement's note
    link: str
    link_label: str
    link_href: str | None
    by: str  # who adjusted by hand, else ""
    created_at: datetime


class CustomerPoints(msgspec.Struct, frozen=True, kw_only=True):
    card: CustomerCard
    balance: points.Balance
    history: list[HistoryRow]
    before_id: int | None  # the next page's cursor, None on the last page


def link_label(link: str) -> tuple[str, str | None]:
    """A movement's link ("order:<number>", "checkin:<date>", ...) as a reader names it, and
    where it leads in the console (an order's page), if anywhere."""
    what, _, ref = link.partition(":")
    if what == "order" and ref:
        return gettext("Order %(number)s", number=ref), f"/console/orders/{ref}"
    labels = {
        "checkin": lazy_gettext("Check-in %(ref)s"),
        "task": lazy_gettext("Task %(ref)s"),
        "redemption": lazy_gettext("Redemption #%(ref)s"),
        "adjustment": lazy_gettext("Adjustment #%(ref)s"),
        "expiry": lazy_gettext("Expiry %(ref)s"),
    }
    if what in labels and ref:
        return gettext(str(labels[what]), ref=ref), None
    return link, None


async def customer_points(customer_id: int, *, before_id: int | None = None) -> CustomerPoints:
    """What the Points page shows of one customer; NotFound when the franchise has no such
    customer."""
    card = await customer_points_card(customer_id)
    moves = await points.history(customer_id, limit=PAGE_SIZE + 1, before_id=before_id)
    more = len(moves) > PAGE_SIZE
    moves = moves[:PAGE_SIZE]
    adjustments = await _adjustments([m.link for m in moves])
    names = await console_user_names({user for user, _ in adjustments.values()})
    rows = []
    for m in moves:
        label, href = link_label(m.link)
        by = adjustments.get(m.link)
        note = gettext(LEDGER_NOTES[m.note]) if m.note in LEDGER_NOTES else m.note
        rows.append(HistoryRow(
            id=m.id, kind=m.kind, points=m.points, reason=by[1] if by else note, link=m.link, link_label=label,
            link_href=href, by=names.get(by[0], f"#{by[0]}") if by else "", created_at=m.created_at))
    return CustomerPoints(card=card, balance=await points.balance_of(customer_id), history=rows,
                          before_id=moves[-1].id if more else None)


async def _adjustments(links: list[str]) -> dict[str, tuple[int, str]]:
    ids = [int(ref) for what, _, ref in (link.partition(":") for link in links) if what == "adjustment" and is_digits(ref)]
    if not ids:
        return {}
    rows = await current_connection().fetch(
        "select id, console_user_id, reason from loyalty_adjustment where id = any($1::bigint[])", ids)
    return {f"adjustment:{r['id']}": (r["console_user_id"], r["reason"]) for r in rows}


async def adjust_by_hand(customer_id: int, points_delta: int, reason: str, *, form_key: str, console_user_id: int) -> int:
    """Adjust the customer's points by `points_delta` (non-zero) for `reason`, as the console user
    did; returns the adjustment's id. The same `form_key` again adjusts nothing and returns the
    first adjustment's id. A negative adjustment beyond the balance is a Conflict on `points`
    (nothing is written then). A customer not of this franchise is NotFound."""
    await customer_points_card(customer_id)
    await points.lock_member(customer_id)
    conn = current_connection()
    found = await conn.fetchval("select id from loyalty_adjustment where form_key = $1", form_key)
    if found is not None:
        return found
    if points_delta < 0 and (have := await points.balance(customer_id)) < -points_delta:
        message = lazy_gettext("The customer has only %(balance)s points.")
        raise Conflict(message, fields={"points": message}, params={"balance": have})
    adjustment_id = await conn.fetchval(
        "insert into loyalty_adjustment (tenant_id, customer_id, points, reason, console_user_id, form_key) "
        "values ($1, $2, $3, $4, $5, $6) returning id",
        current_tenant().id, customer_id, points_delta, reason, console_user_id, form_key,
    )
    movement_id = await points.adjust(customer_id, points_delta, note=reason, key=f"adjustment:{adjustment_id}")
    await conn.execute("update loyalty_adjustment set movement_id = $2 where id = $1", adjustment_id, movement_id)
    return adjustment_id


def _checked_adjustment(values: dict[str, str]) -> tuple[int, int, str, str]:
    """The posted adjustment (customer, points, reason, key), or ValidationFailed naming every
    wrong field at once."""
    errors: dict[str, str] = {}
    customer = values.get("customer_id", "")
    customer_id = int(customer) if is_digits(customer) and 0 < int(customer) <= INT64_MAX else 0
    if not customer_id:
        errors["customer_id"] = lazy_gettext("Find the customer first.")
    raw = values.get("points", "").replace(" ", "")
    delta = int(raw) if re.fullmatch(r"[+-]?\d{1,8}", raw) else None
    if not raw:
        errors["points"] = lazy_gettext("This field is required.")
    elif delta is None or delta == 0 or abs(delta) > MAX_ADJUST:
        errors["points"] = lazy_gettext("Enter a whole number of points from -1000000 to 1000000, not 0.")
    reason = values.get("reason", "").strip()
    if not reason:
        errors["reason"] = lazy_gettext("Say why the points are adjusted.")
    elif len(reason) > REASON_MAX or "\x00" in reason:
        errors["reason"] = lazy_gettext("Use at most 200 characters, without control characters.")
    key = values.get("key", "")
    if not _KEY.fullmatch(key):
        errors["form"] = lazy_gettext("This form has expired. Open the page again.")
    if errors:
        raise ValidationFailed(errors)
    return customer_id, delta or 0, reason, key


# --------------------------------------------------------------------------- pages

VIEW = require_console("customers.view")
MANAGE = require_console("marketing.manage")
Phone = Annotated[str | None, Parameter(max_length=32, pattern=r"^[^\x00]*$")]
Cursor = Annotated[int | None, Parameter(ge=1, le=INT64_MAX)]
CustomerQuery = Annotated[int | None, Parameter(ge=1, le=INT64_MAX)]


async def _points_page(request: Request, *, phone: str = "", customer_id: int | None = None, before_id: int | None = None,
                       status_code: int = 200, **context: Any) -> Response:
    errors: dict[str, str] = dict(context.pop("errors", {}))
    found = None
    if customer_id is None and phone:
        customer_id = await customer_id_for_phone(current_tenant(), phone)
        if customer_id is None:
            errors["phone"] = gettext("No customer has this mobile number.")
            status_code = 404 if status_code == 200 else status_code
    if customer_id is not None:
        try:
            found = await customer_points(customer_id, before_id=before_id)
        except NotFound:
            errors["phone"] = gettext("No customer has this mobile number.")
            status_code = 404 if status_code == 200 else status_code
    done = request.query_params.get("done")
    flash = [("success", NOTICES[done])] if done in NOTICES else []
    context.setdefault("adjust", {"points": "", "reason": ""})
    return page(request, "loyalty/console_points.html", console=True, status_code=status_code, phone=phone, found=found,
                errors=errors, kinds=KIND_LABELS, tones=KIND_TONES, adjust_key=secrets.token_urlsafe(24),
                max_adjust=MAX_ADJUST, flash=flash, base=BASE, **context)


@get("/console/points", guards=[VIEW], include_in_schema=False, name="loyalty-console-points")
async def points_page(request: Request, phone: Phone = None, customer: CustomerQuery = None, before_id: Cursor = None) -> Response:
    return await _points_page(request, phone=(phone or "").strip(), customer_id=customer, before_id=before_id)


@post("/console/points/adjust", guards=[MANAGE], include_in_schema=False, name="loyalty-console-points-adjust")
async def adjust_points(request: Request, principal: NamedDependency[Principal]) -> Response:
    """A manual adjustment; the form's one-time key makes a double submit adjust once."""
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in ("customer_id", "points", "reason", "key")}
    try:
        customer_id, delta, reason, key = _checked_adjustment(values)
        await adjust_by_hand(customer_id, delta, reason, form_key=key, console_user_id=principal.user_id)
    except HearthError as exc:
        customer = values["customer_id"]
        errors = {name: gettext(text, **exc.params) for name, text in exc.fields.items()}
        return await _points_page(
            request, customer_id=int(customer) if is_digits(customer) and 0 < int(customer) <= INT64_MAX else None,
            status_code=exc.status_code, errors=errors, adjust=values,
            form_error=gettext(exc.message, **exc.params) if not exc.fields else "")
    return Redirect(f"{BASE}?customer={customer_id}&done=adjusted", status_code=303)


# --------------------------------------------------------------------------- the same as JSON

PointsDelta = Annotated[int, msgspec.Meta(ge=-MAX_ADJUST, le=MAX_ADJUST)]


class AdjustmentIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    points: PointsDelta  # non-zero
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=REASON_MAX, pattern=r"^[^\x00]*$")]
    key: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{16,64}$")]  # the client's one-time key


class AdjustmentOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    balance: int


PathCustomer = Annotated[int, Parameter(ge=1, le=INT64_MAX)]


@get("/api/console/points", guards=[VIEW], name="loyalty-api-console-points-find")
async def api_find(phone: Annotated[str, Parameter(min_length=1, max_length=32, pattern=r"^[^\x00]*$")],
                   before_id: Cursor = None) -> CustomerPoints:
    """A customer's points found by their mobile number: card, balance, a page of history."""
    customer_id = await customer_id_for_phone(current_tenant(), phone)
    if customer_id is None:
        raise NotFound("customer")
    return await customer_points(customer_id, before_id=before_id)


@get("/api/console/points/{customer_id:int}", guards=[VIEW], name="loyalty-api-console-points")
async def api_points(customer_id: PathCustomer, before_id: Cursor = None) -> CustomerPoints:
    return await customer_points(customer_id, before_id=before_id)


@post("/api/console/points/{customer_id:int}/adjustments", guards=[MANAGE], name="loyalty-api-console-adjust", status_code=201)
async def api_adjust(customer_id: PathCustomer, data: JSONBody[AdjustmentIn], principal: NamedDependency[Principal]) -> AdjustmentOut:
    """Adjust a customer's points (the same key again adjusts once); 409 with a field error on
    `points` when a negative adjustment exceeds the balance."""
    if data.points == 0:
        raise ValidationFailed({"points": lazy_gettext("Enter a whole number of points from -1000000 to 1000000, not 0.")})
    adjustment_id = await adjust_by_hand(customer_id, data.points, data.reason.strip() or data.reason, form_key=data.key,
                                         console_user_id=principal.user_id)
    return AdjustmentOut(id=adjustment_id, balance=await points.balance(customer_id))


async def customer_points_card(customer_id: int) -> CustomerCard:
    card = (await customer_cards([customer_id])).get(customer_id)
    if card is None:
        raise NotFound("customer")
    return card


ROUTES = [points_page, adjust_points, api_find, api_points, api_adjust]
