"""The rewards shop: goods and coupons a customer buys with points, and the console's fulfilment
of the goods (to_ship → shipped → delivered, or cancelled with the points and the stock back).

Locks, in the plugin's one order: the customer's loyalty_member row (points.lock_member) first,
then the reward's row (its stock), then the ledger's lots (points.spend). Two customers racing
for the last item queue on the reward's row and the second finds none left; one customer's two
redemptions racing for the last points queue on the member row and the second finds the balance
short. Either loser gets a Conflict (409) naming the field. No HTTP here: shop_views.py and
shop_console.py are the pages and the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from platform_core.plugin_api import (
    Conflict,
    NotFound,
    ValidationFailed,
    address_copy,
    clock,
    coupon_templates,
    current_connection,
    current_tenant,
    get_coupon_template,
    issue_coupon,
    lazy_gettext,
    text,
)

from . import points

Kind = Literal["goods", "coupon"]
State = Literal["to_ship", "shipped", "delivered", "cancelled", "issued"]
PointsPrice = Annotated[int, msgspec.Meta(ge=1, le=100_000_000)]
Stock = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
RewardId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]

# The states a customer and the console see, as English msgids.
STATE_LABELS: dict[str, str] = {
    "to_ship": lazy_gettext("To ship"), "shipped": lazy_gettext("Shipped"), "delivered": lazy_gettext("Delivered"),
    "cancelled": lazy_gettext("Cancelled"), "issued": lazy_gettext("Coupon issued"),
}
STATE_TONES: dict[str, str | None] = {"to_ship": "warning", "shipped": "info", "delivered": "success", "cancelled": None, "issued": "success"}
HIGHLIGHTS = 3  # rewards shown on the member centre's panel


# --- the shapes --------------------------------------------------------------------------------


class Reward(msgspec.Struct, frozen=True, kw_only=True):
    """A reward of the shop, as the customer and the console see it."""

    id: int
    kind: Kind
    name: str
    description: str
    picture: str
    points: int
    stock: int | None  # None: no stock of its own (a coupon; its template's limits still apply)
    coupon_template_id: int | None
    active: bool


class RewardInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The console's reward form (and its API). Goods need a stock; a coupon names an active
    coupon template of the franchise."""

    kind: Kind
    name: text(80, min_length=1)  # type: ignore[valid-type]
    points: PointsPrice
    description: text(1000) = ""  # type: ignore[valid-type]
    stock: Stock | None = None
    coupon_template_id: RewardId | None = None
    active: bool = False


RequestKey = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class RedeemRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Buy a reward with points; goods name one of the customer's own addresses. A client that
    may send twice (a double tap, a retry) sends a `request_key` of its own: the same key
    answers the first redemption again and spends nothing more."""

    reward_id: RewardId
    address_id: RewardId | None = None
    request_key: RequestKey | None = None


class ShippingAddress(msgspec.Struct, frozen=True, kw_only=True):
    """The address a parcel goes to, as it was when it was redeemed (phone masked)."""

    contact_name: str
    contact_phone: str
    area: str
    street: str
    detail: str = ""


class RedemptionView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    customer_id: int
    goods_id: int
    kind: Kind
    name: str
    points: int
    state: State
    coupon_id: int | None
    address: ShippingAddress | None
    carrier: str
    tracking_number: str
    cancel_reason: str
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None


class ShipRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    carrier: text(40, min_length=1)  # type: ignore[valid-type]
    tracking_number: text(60, min_length=1)  # type: ignore[valid-type]


class CancelRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: text(300, min_length=1)  # type: ignore[valid-type]


class RewardCard(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    points: int
    picture: str
    affordable: bool


class ShopPanel(msgspec.Struct, frozen=True, kw_only=True):
    """The member centre's shop panel: the balance, what it buys, the parcels on their way."""

    balance: int
    highlights: list[RewardCard]
    on_the_way: int  # goods redemptions to ship or shipped
    shop_href: str = "/p/loyalty/shop"


# --- rewards (the console's catalogue) --------------------------------------------------------

_REWARD_COLUMNS = "id, kind, name, description, picture, points, stock, coupon_template_id, active"
_REDEMPTION_COLUMNS = (
    "id, customer_id, goods_id, kind, name, points, state, coupon_id, address, carrier, tracking_number, cancel_reason, "
    "created_at, shipped_at, delivered_at, cancelled_at"
)


def _reward(row: Any) -> Reward:
    return Reward(**dict(row))


def _redemption(row: Any) -> RedemptionView:
    data = dict(row)
    address = data.pop("address")
    if isinstance(address, str):
        address = msgspec.json.decode(address)
    shipping = None
    if address is not None:
        shipping = ShippingAddress(contact_name=address.get("contact_name", ""), contact_phone=address.get("contact_phone", ""),
                                   area=address.get("area", ""), street=address.get("street", ""), detail=address.get("detail", ""))
    return RedemptionView(address=shipping, **data)


async def list_rewards(*, active_only: bool = False) -> list[Reward]:
    rows = await current_connection().fetch(
        f"select {_REWARD_COLUMNS} from loyalty_goods where ($1 = false or active) order by active desc, points, id", active_only)
    return [_reward(r) for r in rows]


async def get_reward(reward_id: int, *, active_only: bool = False) -> Reward:
    row = await current_connection().fetchrow(f"select {_REWARD_COLUMNS} from loyalty_goods where id = $1", reward_id)
    if row is None or (active_only and not row["active"]):
        raise NotFound("reward")
    return _reward(row)


async def _check_reward(data: RewardInput) -> None:
    """Every problem of the form at once, each at its field."""
    errors: dict[str, str] = {}
    if data.kind == "goods" and data.stock is None:
        errors["stock"] = lazy_gettext("Say how many you have in stock.")
    if data.kind == "coupon":
        if data.coupon_template_id is None:
            errors["coupon_template_id"] = lazy_gettext("Choose the coupon it gives.")
        else:
            try:
                template = await get_coupon_template(data.coupon_template_id)
            except NotFound:
                template = None
            if template is None or template.status != "active":
                errors["coupon_template_id"] = lazy_gettext("Choose an active coupon template.")
    if errors:
        raise ValidationFailed(errors)


def _reward_args(data: RewardInput, picture: str) -> list[Any]:
    template_id = data.coupon_template_id if data.kind == "coupon" else None
    return [data.kind, data.name.strip(), data.description.strip(), picture, data.points, data.stock, template_id, data.active]


async def create_reward(data: RewardInput, picture: str = "") -> Reward:
    await _check_reward(data)
    row = await current_connection().fetchrow(
        "insert into loyalty_goods (tenant_id, kind, name, description, picture, points, stock, coupon_template_id, active) "
        f"values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {_REWARD_COLUMNS}",
        current_tenant().id, *_reward_args(data, picture))
    return _reward(row)


async def update_reward(reward_id: int, data: RewardInput, picture: str | None = None, *, stock_seen: int | None = None) -> Reward:
    """Change a reward; `picture` None keeps the current one. What was redeemed keeps its own
    name and points (copied into each redemption). `stock_seen`: the stock the form showed; the
    stock then moves by what the office changed, so redemptions made while the form was open
    are not put back on the shelf (none is sold twice)."""
    await _check_reward(data)
    current = await get_reward(reward_id)
    row = await current_connection().fetchrow(
        "update loyalty_goods set kind = $2, name = $3, description = $4, picture = $5, points = $6, "
        "stock = case when $10::bigint is null or $7::bigint is null or stock is null then $7 "
        "else greatest(stock + $7::bigint - $10::bigint, 0) end, "
        f"coupon_template_id = $8, active = $9, updated_at = now() where id = $1 returning {_REWARD_COLUMNS}",
        reward_id, *_reward_args(data, current.picture if picture is None else picture), stock_seen)
    return _reward(row)


async def coupon_choices() -> list[tuple[int, str]]:
    """The franchise's active coupon templates, for the reward form."""
    return [(t.id, t.name) for t in await coupon_templates("active")]


# --- redeeming ---------------------------------------------------------------------------------


async def _shipping_address(customer_id: int, address_id: int | None) -> dict[str, Any]:
    """A copy of the customer's own address (the phone encrypted as the address book keeps it,
    and masked for showing), so a later edit of the address book never moves a parcel."""
    if address_id is None:
        raise ValidationFailed({"address_id": "Choose the address to send it to."})
    copy = await address_copy(customer_id, address_id)
    if copy is None:
        raise ValidationFailed({"address_id": "Choose one of your addresses."})
    return copy


async def redeem(customer_id: int, data: RedeemRequest) -> RedemptionView:
    """Buy a reward with points, in the caller's transaction: the member row, then the reward's
    row, then the points; goods take one from the stock and wait to be shipped, a coupon is
    issued at once (its template's limits apply: a refusal undoes the whole redemption).
    Conflict on `reward_id` when none is left, on `points` when the balance is short."""
    await points.lock_member(customer_id)
    conn = current_connection()
    if data.request_key is not None:
        again = await conn.fetchrow(f"select {_REDEMPTION_COLUMNS} from loyalty_redemption where customer_id = $1 and request_key = $2",
                                    customer_id, data.request_key)
        if again is not None:  # the same request again: after the member lock, so a racing twin waits and finds it
            return _redemption(again)
    row = await conn.fetchrow(f"select {_REWARD_COLUMNS} from loyalty_goods where id = $1 for update", data.reward_id)
    if row is None or not row["active"]:
        raise NotFound("reward")
    reward = _reward(row)
    if reward.stock is not None and reward.stock < 1:
        raise Conflict("This reward has just run out.", fields={"reward_id": "None left: this reward has just run out."})
    address = await _shipping_address(customer_id, data.address_id) if reward.kind == "goods" else None
    row = await conn.fetchrow(
        "insert into loyalty_redemption (tenant_id, customer_id, goods_id, kind, name, points, state, address, request_key) "
        f"values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) returning {_REDEMPTION_COLUMNS}",
        current_tenant().id, customer_id, reward.id, reward.kind, reward.name, reward.points,
        "to_ship" if reward.kind == "goods" else "issued",
        None if address is None else msgspec.json.encode(address).decode(), data.request_key)
    link = f"redemption:{row['id']}"
    await points.spend(customer_id, reward.points, reason="redemption", link=link, key=link)
    if reward.stock is not None:
        await conn.execute("update loyalty_goods set stock = stock - 1, updated_at = now() where id = $1", reward.id)
    if reward.kind == "coupon":
        try:
            coupon = await issue_coupon(reward.coupon_template_id, customer_id, "loyalty", link, link)  # type: ignore[arg-type]
        except ValidationFailed as exc:
            raise Conflict("This reward can not be redeemed now.", fields={"reward_id": next(iter(exc.fields.values()))}) from None
        row = await conn.fetchrow(f"update loyalty_redemption set coupon_id = $2 where id = $1 returning {_REDEMPTION_COLUMNS}",
                                  row["id"], coupon.id)
    return _redemption(row)


async def get_redemption(redemption_id: int, *, customer_id: int | None = None) -> RedemptionView:
    row = await current_connection().fetchrow(
        f"select {_REDEMPTION_COLUMNS} from loyalty_redemption where id = $1 and ($2::bigint is null or customer_id = $2)",
        redemption_id, customer_id)
    if row is None:
        raise NotFound("redemption")
    return _redemption(row)


async def customer_redemptions(customer_id: int, limit: int = 50) -> list[RedemptionView]:
    rows = await current_connection().fetch(
        f"select {_REDEMPTION_COLUMNS} from loyalty_redemption where customer_id = $1 order by created_at desc, id desc limit $2",
        customer_id, limit)
    return [_redemption(r) for r in rows]


# --- fulfilment (the console) ------------------------------------------------------------------

QUEUE_STATES: tuple[str, ...] = ("to_ship", "shipped", "delivered", "cancelled")


async def fulfilment_queue(state: str, limit: int = 200) -> list[RedemptionView]:
    """Goods redemptions in one state, oldest first (the order they are shipped in)."""
    rows = await current_connection().fetch(
        f"select {_REDEMPTION_COLUMNS} from loyalty_redemption where kind = 'goods' and state = $1 "
        "order by created_at, id limit $2", state, limit)
    return [_redemption(r) for r in rows]


async def queue_counts() -> dict[str, int]:
    rows = await current_connection().fetch(
        "select state, count(*) as n from loyalty_redemption where kind = 'goods' group by state")
    return {r["state"]: r["n"] for r in rows}


async def _move(redemption_id: int, sources: tuple[str, ...], sets: str, *args: Any) -> RedemptionView:
    """One step of a parcel: from one of `sources`, or a Conflict naming where it is now (two
    console users clicking at once: one wins)."""
    row = await current_connection().fetchrow(
        f"update loyalty_redemption set {sets} where id = $1 and kind = 'goods' and state = any($2::text[]) "
        f"returning {_REDEMPTION_COLUMNS}", redemption_id, list(sources), *args)
    if row is None:
        current = await get_redemption(redemption_id)
        raise Conflict("This redemption has moved on.", fields={"state": _moved(current.state)})
    return _redemption(row)


def _moved(state: str) -> str:
    return {
        "shipped": lazy_gettext("It has been shipped already."),
        "delivered": lazy_gettext("It has been delivered already."),
        "cancelled": lazy_gettext("It has been cancelled already."),
        "to_ship": lazy_gettext("It has not been shipped yet."),
    }.get(state, lazy_gettext("It is not a parcel."))


async def ship(redemption_id: int, data: ShipRequest) -> RedemptionView:
    return await _move(redemption_id, ("to_ship",), "state = 'shipped', carrier = $3, tracking_number = $4, shipped_at = $5",
                       data.carrier.strip(), data.tracking_number.strip(), clock.now())


async def deliver(redemption_id: int) -> RedemptionView:
    return await _move(redemption_id, ("shipped",), "state = 'delivered', delivered_at = $3", clock.now())


async def cancel(redemption_id: int, data: CancelRequest) -> RedemptionView:
    """Cancel goods not shipped yet: the points come back (a reversal of the spend) and so does
    the item. Locks the member row first (the plugin's order), then the redemption, then the
    reward's row."""
    found = await get_redemption(redemption_id)
    await points.lock_member(found.customer_id)
    moved = await _move(redemption_id, ("to_ship",), "state = 'cancelled', cancel_reason = $3, cancelled_at = $4",
                        data.reason.strip(), clock.now())
    link = f"redemption:{redemption_id}"
    await points.give_back(link, reason="redemption", link=link, key=f"{link}:cancelled")
    await current_connection().execute(
        "update loyalty_goods set stock = stock + 1, updated_at = now() where id = $1 and stock is not null", moved.goods_id)
    return moved


# --- the member centre's panel -----------------------------------------------------------------


async def shop_panel(customer_id: int, balance: int | None = None) -> ShopPanel:
    balance = int(await points.balance(customer_id)) if balance is None else balance
    rewards = [r for r in await list_rewards(active_only=True) if r.stock is None or r.stock > 0]
    on_the_way = await current_connection().fetchval(
        "select count(*) from loyalty_redemption where customer_id = $1 and kind = 'goods' and state in ('to_ship', 'shipped')",
        customer_id)
    cards = [RewardCard(id=r.id, name=r.name, points=r.points, picture=r.picture, affordable=r.points <= balance)
             for r in rewards[:HIGHLIGHTS]]
    return ShopPanel(balance=balance, highlights=cards, on_the_way=on_the_way)



class PointsLine(msgspec.Struct, frozen=True, kw_only=True):
    points: int  # + earned or given back, - spent, expired or taken back
    kind: str  # earned, spent, expired, reversed
    reason: str  # the ledger's reason: order, checkin, task, redemption, ...
    day: date  # in the franchise's time zone


class PointsPanel(msgspec.Struct, frozen=True, kw_only=True):
    """The member centre's points panel: the balance, what expires soon, the latest movements."""

    balance: int
    debt: int
    expiring_points: int
    expiring_on: date | None  # the franchise's day the first of them expires
    expiring_days: int
    recent: list[PointsLine]


RECENT = 5


async def points_panel(customer_id: int) -> PointsPanel:
    tz = ZoneInfo(current_tenant().timezone)
    held = await points.balance_of(customer_id)
    recent = [PointsLine(points=int(m.points), kind=m.kind, reason=m.reason, day=m.created_at.astimezone(tz).date())
              for m in await points.history(customer_id, limit=RECENT)]
    return PointsPanel(balance=int(held.points), debt=int(held.debt), expiring_points=int(held.expiring_points),
                       expiring_on=held.expiring_on.astimezone(tz).date() if held.expiring_on else None,
                       expiring_days=held.expiring_days, recent=recent)
