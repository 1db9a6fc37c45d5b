"""Orders: reading them, and moving them through the state machine (machine.py).

Every state change goes through `transition()`: it checks the machine and the guards, moves the
row only if it is still in the state it was read in (so of two concurrent transitions exactly one
succeeds), writes the timeline row and then tells the plugins.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Iterable

import msgspec

from platform_core import clock
from platform_core.accounts.services import customer_id_for_phone
from platform_core.catalog.quotes import booking_fields_for, quantity_error
from platform_core.catalog.services import get_item, item_titles
from platform_core.db import current_connection
from platform_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from platform_core.jobs.schemas import JobContext, JobRequest
from platform_core.jobs.services import batched, enqueue_many
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import JobHandler
from platform_core.pluginsys.contexts import OrderEvent as OrderHookEvent
from platform_core.runtime import current_runtime
from platform_core.scheduling.schemas import Demand
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.stamped import Stamped
from platform_core.web.i18n import lazy_gettext as N_

from . import machine as m
from .messages import order_moved
from .schemas import (
    ActorRef,
    BookingSettings,
    CancellationTerms,
    Order,
    OrderAddress,
    OrderCharge,
    OrderCounts,
    OrderEvent,
    OrderFilter,
    OrderLine,
    OrderPage,
    OrderSummary,
    WorkerMonthFacts,
)

ORDER_COLUMNS = (
    "id, number, customer_id, item_id, category_code, state, state_changed_at, address, district, requirements, "
    "fields, photos, asap, scheduled_start, scheduled_end, requested_staff_id, quantity, currency, subtotal, "
    "adjustments, total, payment_method, paid_at, cancellation_fee, cancel_reason, created_at"
)
# The order's lines as a JSON array in the order's own row: one statement reads (or returns)
# both. For queries over `core_order` itself, unaliased.
WITH_LINES = (
    "(select coalesce(json_agg(json_build_object('kind', l.kind, 'label', l.label, 'amount', l.amount, "
    "'quantity', l.quantity, 'unit_amount', l.unit_amount, 'code', l.code, 'source', l.source, 'funded_by', l.funded_by) "
    "order by l.position), '[]') "
    "from core_order_line l where l.order_id = core_order.id) as lines"
)
_LINES = msgspec.json.Decoder(list[OrderLine])
_LOCKED_ORDER = msgspec.json.Decoder(dict[str, Any])
# Events after which plugins hear about the order (besides on_order_ready_for_dispatch).
PAID_EVENTS = frozenset({"pay", "mark_paid"})
FEE_LABEL = N_("Cancellation fee")
# Where no worker can be attached yet: no need to ask dispatch.
_UNASSIGNED = frozenset({m.PENDING_PAYMENT, m.PAID, m.DISPATCH_FAILED})
# Where a worker holds the order (an assignment offered or accepted): dispatch may give it back.
_HELD = frozenset({m.ASSIGNED, m.ACCEPTED, m.EN_ROUTE, m.IN_SERVICE})
# A transition's reactions, told after commit (`transition(..., later=True)`).
REACTIONS_JOB = "orders.reactions"


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value


def order_from_row(row, lines: list[OrderLine] | None = None) -> Order:
    """An Order from a row of ORDER_COLUMNS, with `lines` or the row's own (WITH_LINES)."""
    from platform_core.accounts.phones import masked_cipher

    data = dict(row)
    inline = data.pop("lines", None)
    if lines is None and inline is not None:
        lines = _LINES.decode(inline)
    address = _json(data.pop("address"))
    phone_cipher = address.pop("contact_phone_cipher", None)
    address["contact_phone"] = masked_cipher(current_runtime().keyring, phone_cipher) if phone_cipher else ""
    data["address"] = msgspec.convert(address, OrderAddress)
    data["fields"] = _json(data["fields"])
    data["photos"] = _json(data["photos"])
    return msgspec.convert({**data, "lines": lines or []}, Order)


async def get_order(order_id: int) -> Order:
    """An order of the current tenant with its lines (RLS keeps other tenants' orders out)."""
    row = await current_connection().fetchrow(f"select {ORDER_COLUMNS}, {WITH_LINES} from core_order where id = $1", order_id)
    if row is None:
        raise NotFound("order")
    return order_from_row(row)


async def get_order_by_number(number: str, *, customer_id: int | None = None) -> Order:
    """By its human number; with `customer_id`, only that customer's order (another's is not found)."""
    row = await current_connection().fetchrow(
        f"select {ORDER_COLUMNS}, {WITH_LINES} from core_order where number = $1 and ($2::bigint is null or customer_id = $2)",
        number, customer_id,
    )
    if row is None:
        raise NotFound("order")
    return order_from_row(row)


_SUMMARY = (
    "select o.id, o.number, o.item_id, o.category_code, o.state, o.scheduled_start, "
    "o.asap, o.total, o.currency, o.district, o.created_at from core_order o"
)


async def _summaries(rows) -> list[OrderSummary]:
    """Rows of _SUMMARY with their items' titles, from the catalog."""
    titles = await item_titles(r["item_id"] for r in rows)
    return [msgspec.convert({**dict(r), "item_title": titles.get(r["item_id"], "")}, OrderSummary) for r in rows]


async def customer_orders(customer_id: int, *, limit: int = 100) -> list[OrderSummary]:
    """The customer's orders, newest first."""
    rows = await current_connection().fetch(
        f"{_SUMMARY} where o.customer_id = $1 order by o.created_at desc, o.id desc limit $2", customer_id, limit
    )
    return await _summaries(rows)


async def order_summaries(order_ids: Iterable[int]) -> dict[int, OrderSummary]:
    """Orders' list rows (number, item title, total) by id, for other domains' reports."""
    rows = await current_connection().fetch(f"{_SUMMARY} where o.id = any($1::bigint[])", sorted(set(order_ids)))
    return {s.id: s for s in await _summaries(rows)}


async def has_ordered(customer_id: int) -> bool:
    """Whether the customer has an order that was not cancelled (a first-order offer's test)."""
    return bool(await current_connection().fetchval(
        "select exists (select 1 from core_order where customer_id = $1 and state <> 'cancelled')", customer_id))


async def order_discounts(order_id: int) -> dict[str, int]:
    """The order's discount lines (negative adjustments) by who funds them, as positive amounts:
    what the ledger's settlement debits to the franchise's expense or the platform."""
    rows = await current_connection().fetch(
        "select coalesce(funded_by, 'franchise') as funder, -sum(amount) as off from core_order_line "
        "where order_id = $1 and kind = 'adjustment' and amount < 0 group by 1", order_id)
    return {r["funder"]: int(r["off"]) for r in rows}


async def order_numbers(order_ids: Iterable[int]) -> dict[int, str]:
    """Orders' numbers by id, for the pages of other domains that name an order."""
    rows = await current_connection().fetch("select id, number from core_order where id = any($1::bigint[])", sorted(set(order_ids)))
    return {r["id"]: r["number"] for r in rows}


async def order_id_for_number(number: str) -> int | None:
    return await current_connection().fetchval("select id from core_order where number = $1", number)


async def lock_order(order_id: int) -> None:
    """Lock the order's row until the transaction ends (SELECT ... FOR UPDATE): payment starts,
    wallet payments, notifications, offer answers and timeouts of one order take turns, each
    checking the order under the lock. The house order: taken before the order's assignments
    and payments, as a transition (which updates the row) takes it before its hooks' writes."""
    await current_connection().execute("select id from core_order where id = $1 for update", order_id)


def lock_order_sql(order_id: str, condition: str) -> str:
    """`lock_order` as a subquery for another service's statement (a lateral join), so a service
    that first reads what names the order locks it in the same round trip (a payment's
    notification). `order_id` and `condition` are SQL over the caller's columns; the lock is
    taken only where `condition` holds. Its one column, `locked_order`, is the order as read
    under the lock (JSON): `locked_order(value)` makes it an Order for `transition(read=...)`."""
    return (
        f"select (select row_to_json(r) from (select {ORDER_COLUMNS}, {WITH_LINES}) r) as locked_order "
        f"from core_order where core_order.id = {order_id} and {condition} for update"
    )


def locked_order(value: str | None) -> Order | None:
    """The order of a `lock_order_sql` subquery, None where it took no lock."""
    if value is None:
        return None
    row = _LOCKED_ORDER.decode(value)
    return order_from_row(row, msgspec.convert(row.pop("lines"), list[OrderLine]))


async def order_charge(order_id: int) -> OrderCharge:
    """Who owes what for the order, and its state (no address: nothing to decrypt)."""
    row = await current_connection().fetchrow("select customer_id, total, currency, state from core_order where id = $1", order_id)
    if row is None:
        raise NotFound("order")
    return OrderCharge(**dict(row))


async def timeline(order_id: int) -> list[OrderEvent]:
    rows = await current_connection().fetch(
        "select id, event, from_state, to_state, actor_kind, actor_id, note, data, created_at "
        "from core_order_event where order_id = $1 order by id",
        order_id,
    )
    return [msgspec.convert({**dict(r), "data": _json(r["data"])}, OrderEvent) for r in rows]


# Every placement, quote and page of times reads the booking rules; a change to them renews the
# franchise's stamp (orders_0011), so a process keeps them by it.
_kept_settings: Stamped[BookingSettings] = Stamped("booking_settings", limit=10_000)


async def booking_settings() -> BookingSettings:
    """The tenant's booking rules; the defaults of the table until the franchise changes them."""
    return await _kept_settings.get(current_tenant(), (), _read_booking_settings)


async def _read_booking_settings() -> BookingSettings:
    row = await current_connection().fetchrow(
        "select slot_minutes, lead_minutes, horizon_days, free_cancel_hours, late_cancel_fee_percent, reminder_hours, relay_phone "
        "from core_booking_settings"
    )
    return BookingSettings() if row is None else msgspec.convert(dict(row), BookingSettings)


async def pending_demand(start: datetime, end: datetime) -> list[Demand]:
    """Orders whose visit overlaps [start, end) that wait for a worker (for payment, for dispatch,
    or back from a failed dispatch, which the office retries) or that a worker holds (dispatch may
    give one back at any moment), with the skills their items ask for now. The slot engine keeps
    a worker for each one the calendar's held time does not show (scheduling/slots.py)."""
    rows = await current_connection().fetch(
        "select o.id, o.scheduled_start, o.scheduled_end, o.requested_staff_id, i.required_skills from core_order o "
        "left join core_service_item i on i.id = o.item_id "
        "where o.state = any($1::text[]) and o.scheduled_start < $3 and o.scheduled_end > $2 order by o.id",
        sorted(_UNASSIGNED | _HELD), start, end,
    )
    return [
        Demand(r["id"], r["scheduled_start"], r["scheduled_end"], frozenset(r["required_skills"] or ()), r["requested_staff_id"])
        for r in rows
    ]


async def order_ids_without_worker(states: Iterable[str], *, limit: int, even_with: Iterable[str] = ()) -> list[int]:
    """Orders in `states` that no worker holds (staff_id, as dispatch keeps it with each
    assignment), soonest first; those in `even_with` are listed whether a worker holds them or not."""
    rows = await current_connection().fetch(
        "select id from core_order where state = any($1::text[]) and (state = any($2::text[]) or staff_id is null) "
        "order by scheduled_start, id limit $3",
        list(states), list(even_with), limit,
    )
    return [r["id"] for r in rows]


RELAY_PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,30}$")


async def save_booking_settings(tenant, values: dict[str, str], limits: dict[str, tuple[int, int]]) -> BookingSettings:
    """The franchise's booking rules from the console form, every field checked at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, (low, high) in limits.items():
        try:
            number = int(values.get(name, ""))
        except ValueError:
            errors[name] = N_("Enter a whole number.")
            continue
        if not low <= number <= high:
            errors[name] = N_("This number is out of range.")
        clean[name] = number
    if "slot_minutes" in clean and clean["slot_minutes"] not in (15, 30, 60):
        errors["slot_minutes"] = N_("Choose 15, 30 or 60 minutes.")
    relay = values.get("relay_phone", "").strip()
    if relay and not RELAY_PHONE.match(relay):
        errors["relay_phone"] = N_("Enter a phone number, or leave it empty.")
    clean["relay_phone"] = relay
    if errors:
        raise ValidationFailed(errors)
    columns = list(clean)
    _kept_settings.written()
    await current_connection().execute(
        f"insert into core_booking_settings (tenant_id, {', '.join(columns)}) "
        f"values ($1, {', '.join(f'${i}' for i in range(2, len(columns) + 2))}) on conflict (tenant_id) do update set "
        + ", ".join(f"{c} = excluded.{c}" for c in columns) + ", updated_at = now()",
        tenant.id, *clean.values(),
    )
    return await booking_settings()


async def cancellation_terms(order: Order, now: datetime | None = None) -> CancellationTerms:
    """Free until `free_cancel_hours` before the slot; later, the fee percent of the total."""
    rules = await booking_settings()
    now = now or clock.now()
    free_until = order.scheduled_start - timedelta(hours=rules.free_cancel_hours)
    late = now > free_until and not order.asap
    fee = order.total * rules.late_cancel_fee_percent // 100 if late else 0
    return CancellationTerms(fee=fee, currency=order.currency, free_until=free_until, percent=rules.late_cancel_fee_percent)


def _state_specs() -> list:
    """The extra states plugins declare (collected once per process by the relay)."""
    return [spec for _, spec in current_runtime().relay.registered("register_order_states")]


def machine_for_order(category: str) -> m.StateMachine:
    """The core machine plus the states a category plugin declares (collected once per process)."""
    return m.machine_for(category, _state_specs())


def order_states() -> dict[str, m.State]:
    """Every state with its label and badge tone, plugins' included: what pages show."""
    return m.all_states(_state_specs())


def order_state(name: str) -> m.State:
    """How a page shows an order in state `name` (the template global `order_state`). A state
    no installed plugin declares any more shows its bare name."""
    return order_states().get(name) or m.State(name=name, label=name)


async def live_staff_id(order_id: int) -> int | None:
    """The worker who holds the order now (offered, accepted or done), as dispatch last set it."""
    return await current_connection().fetchval("select staff_id from core_order where id = $1", order_id)


async def live_staff_ids(order_ids: Iterable[int]) -> dict[int, int | None]:
    """live_staff_id of several orders at once (order id -> worker or None)."""
    rows = await current_connection().fetch("select id, staff_id from core_order where id = any($1::bigint[])", list(order_ids))
    return {r["id"]: r["staff_id"] for r in rows}


async def set_current_worker(order_id: int, staff_id: int | None) -> None:
    """Dispatch's word on who holds the order: set with each offer, cleared when the offer is
    declined, lapses or is released. Called in the transaction that changes the assignment."""
    await current_connection().execute("update core_order set staff_id = $2 where id = $1", order_id, staff_id)


async def worker_upcoming_orders(staff_id: int, after: datetime) -> list[Order]:
    """The orders a worker holds now (assigned to them, not yet begun) that start after `after`:
    what an office must look at again when the worker loses a credential."""
    rows = await current_connection().fetch(
        f"select {ORDER_COLUMNS}, {WITH_LINES} from core_order where staff_id = $1 and scheduled_start > $2 "
        "and state = any($3::text[]) order by scheduled_start",
        staff_id, after, [m.ASSIGNED, m.ACCEPTED],
    )
    return [order_from_row(r) for r in rows]


async def flag_for_office(order_id: int) -> bool:
    """Dispatch's alert: the order, still without a worker near its deadline, joins the office's
    exceptions queue. False when it already had."""
    flagged = await current_connection().fetchval(
        "update core_order set office_alert_at = now() where id = $1 and office_alert_at is null returning id", order_id
    )
    return flagged is not None


async def reschedule_order(order_id: int, starts: datetime, ends: datetime, actor: ActorRef) -> Order:
    """Nobody was found for the order's time: it moves to `starts`..`ends` and goes back to
    dispatch (the `reschedule` transition), with a clean slate for the office. The caller has
    checked that the new time is one the franchise offers."""
    await lock_order(order_id)
    await current_connection().execute(
        "update core_order set scheduled_start = $2, scheduled_end = $3, office_alert_at = null where id = $1 and state = $4",
        order_id, starts, ends, m.DISPATCH_FAILED,
    )
    return await transition(order_id, "reschedule", actor, data={"starts": starts.isoformat(), "ends": ends.isoformat()})


async def _check_guard(guard: str, order: Order, actor: ActorRef) -> None:
    """Raise Forbidden (who) or Conflict (when) if `guard` does not hold."""
    if guard in m.PERMISSION_GUARDS:
        if actor.kind == "console" and m.PERMISSION_GUARDS[guard] not in actor.permissions:
            raise Forbidden()
    elif guard == "is_order_customer":
        if actor.kind == "customer" and actor.id != order.customer_id:
            raise NotFound("order")
    elif guard == "is_assigned_staff":
        if await live_staff_id(order.id) != actor.id:
            raise Forbidden()
    elif guard == "has_live_assignment":
        if await live_staff_id(order.id) is None:
            raise Conflict("The order has no worker yet.")
    elif guard == "not_paid":
        if order.paid_at is not None:
            raise Conflict("The order is already paid.")
    elif guard == "within_item_limits":
        # Placement refuses such a quantity; an order from before the limits existed is not
        # taken as paid either.
        if quantity_error(await get_item(order.item_id), order.quantity) is not None:
            raise Conflict("The quantity of this order is outside the service's limits. Cancel it and book again.")
    elif guard == "within_cancellation_rules":
        # Every state the cancel event leaves from is within the rules; the rules set the fee.
        pass
    else:
        raise RuntimeError(f"unknown guard {guard!r}")


async def transition(
    order_id: int, event: str, actor: ActorRef, *, note: str = "", data: dict[str, Any] | None = None, later: bool = False,
    read: Order | None = None,
) -> Order:
    """Fire `event` on the order as `actor`. Raises Conflict when the order is not in a state the
    event leaves from (or another transition won the race), Forbidden when the actor may not
    fire it. Returns the order as it now is.

    `later`: the move's reactions (the plugins' and core domains' `on_*` hooks, the customer's
    message and their jobs) run in one outbox job instead of in this transaction, for a caller
    that must answer quickly and holds nothing they change (a provider's notification: dispatch
    and messages follow the payment, nothing about the money waits for them). The job is written
    with the move, so they happen exactly when it commits.

    `read`: the order as this transaction read it under its lock (`lock_order_sql`), which the
    first try uses instead of reading it again.

    When another transition moved the order to a different state between our read and our write,
    the request is tried once more against that state: a customer cancelling just as dispatch
    assigns the order still cancels it, while two identical requests still can't both succeed."""
    seen_state: str | None = None
    while True:
        moved = await _attempt_transition(order_id, event, actor, note=note, data=data, not_from=seen_state, later=later, read=read)
        if isinstance(moved, str):
            if seen_state is not None:
                raise Conflict("The order changed in the meantime. Please reload it.")
            seen_state, read = moved, None
            continue
        return moved


async def _attempt_transition(
    order_id: int, event: str, actor: ActorRef, *, note: str, data: dict[str, Any] | None, not_from: str | None, later: bool,
    read: Order | None,
) -> Order | str:
    """One try: the order as moved, or the state it was read in when a concurrent change won."""
    order = read if read is not None and read.id == order_id else await get_order(order_id)
    if order.state == not_from:
        raise Conflict("The order changed in the meantime. Please reload it.")
    spec = machine_for_order(order.category_code).get(event)
    if spec is None or event == "place":
        raise Conflict("This order can not do that now.")
    if actor.kind not in spec.actors:
        raise Forbidden()
    if order.state not in spec.sources:
        raise Conflict("This order can not do that now.")
    for guard in spec.guards:
        await _check_guard(guard, order, actor)

    target = spec.target or order.state
    sets = ["state = $3", "updated_at = now()"]
    args: list[Any] = [order_id, order.state, target]
    if target != order.state:
        sets.append("state_changed_at = now()")
    if event in PAID_EVENTS:
        sets.append("paid_at = now()")
    event_data = dict(data or {})
    conn = current_connection()
    fee = 0
    if target == m.CANCELLED:
        # No fee for giving up a visit nobody could be found for.
        fee = (await cancellation_terms(order)).fee if event == "cancel" and order.state != m.DISPATCH_FAILED else 0
        args += [fee, note[:500]]
        sets += [f"cancellation_fee = ${len(args) - 1}", f"cancel_reason = ${len(args)}"]
        event_data["cancellation_fee"] = fee
    # Only from the state we read: of two concurrent transitions, the second finds no row. The
    # timeline row is written by the same statement, and only when the row moved.
    args += [current_tenant().id, event, actor.kind, actor.id, note[:500], msgspec.json.encode(event_data).decode()]
    at = len(args) - 6
    row = await conn.fetchrow(
        f"with moved as (update core_order set {', '.join(sets)} where id = $1 and state = $2"
        f"{' and paid_at is null' if event in PAID_EVENTS else ''} returning {ORDER_COLUMNS}, staff_id), "
        "logged as (insert into core_order_event (tenant_id, order_id, event, from_state, to_state, actor_kind, actor_id, note, data) "
        f"select ${at + 1}, id, ${at + 2}, $2, $3, ${at + 3}, ${at + 4}, ${at + 5}, ${at + 6}::jsonb from moved) "
        "select * from moved",
        *args,
    )
    if row is None:
        return order.state
    lines = list(order.lines)
    if fee:
        await conn.execute(
            "insert into core_order_line (tenant_id, order_id, position, kind, code, label, quantity, unit_amount, amount) "
            "values ($1, $2, (select coalesce(max(position), 0) + 1 from core_order_line where order_id = $2), "
            "'fee', 'cancellation', $4, 1, $3, $3)",
            current_tenant().id, order_id, fee, FEE_LABEL,
        )
        lines.append(OrderLine(kind="fee", code="cancellation", label=FEE_LABEL, quantity=1, unit_amount=fee, amount=fee))
    data = dict(row)
    holder = data.pop("staff_id")
    moved = order_from_row(data, lines)
    if later:
        # Held by a caller's `batched()` block (a notification writes it with its own last statement).
        await enqueue_many([JobRequest(kind=REACTIONS_JOB, payload={
            "order_id": order_id, "event": event, "from_state": order.state, "to_state": moved.state, "holder": holder,
            "occurred_at": clock.now().isoformat()})])
        return moved
    async with batched():
        await tell_plugins(moved, event, order.state, holder)
    return moved


async def _react(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The reactions of a move made with `later=True`, told of the order as that move left it
    (it may have moved on since: each reaction checks what it needs under its own lock, as it
    would for a move told in the request)."""
    order = msgspec.structs.replace(await get_order(payload["order_id"]), state=payload["to_state"])
    async with batched():
        await tell_plugins(order, payload["event"], payload["from_state"], payload["holder"],
                           occurred_at=datetime.fromisoformat(payload["occurred_at"]))


JOB_HANDLERS = [JobHandler(kind=REACTIONS_JOB, handler=_react)]


async def tell_plugins(order: Order, event: str, from_state: str, holder: int | None, *, occurred_at: datetime | None = None) -> None:
    """Who reacts to the order's move hears of it: plugins (on_order_paid, ..._ready_for_dispatch,
    ..._completed, ..._cancelled) and the customer's messages. `holder`: the order's staff_id as
    the move left it; `occurred_at`: when it moved, if not now."""
    tenant = current_tenant()
    staff_id = None if from_state in _UNASSIGNED and order.state in _UNASSIGNED | {m.CANCELLED} else holder
    context = OrderHookEvent(
        tenant=tenant, order_id=order.id, customer_id=order.customer_id, category=order.category_code,
        amount=order.total, currency=order.currency, occurred_at=occurred_at or clock.now(), staff_id=staff_id,
        scheduled_start=order.scheduled_start, asap=order.asap,
    )
    hooks = current_runtime().hooks(tenant)
    if event in PAID_EVENTS:
        await tell(hooks.on_order_paid, event=context)
    if order.state == m.PAID and from_state != m.PAID:
        await tell(hooks.on_order_ready_for_dispatch, event=context)
    if order.state == m.COMPLETED and from_state != m.COMPLETED:
        await tell(hooks.on_order_completed, event=context)
    if order.state == m.CANCELLED:
        await tell(hooks.on_order_cancelled, event=context)
    await order_moved(order, event, staff_id)


async def search_orders(f: OrderFilter) -> OrderPage:
    """The console's order list: every filter narrows, `q` is an order number (or its start) or
    a customer's phone."""
    tenant = current_tenant()
    where, args = ["true"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.exceptions:
        # And the orders dispatch alerted the office about: still waiting for a worker near their deadline.
        where.append(f"(o.state = any({arg(sorted(m.EXCEPTION_STATES))}::text[]) or "
                     f"(o.office_alert_at is not null and o.state = any({arg([m.PAID, m.ASSIGNED])}::text[])))")
    elif f.state:
        where.append(f"o.state = {arg(f.state)}")
    tz = tenant.timezone
    for bound, op in ((f.date_from, ">="), (f.date_to, "<")):
        if bound:
            try:
                day = date.fromisoformat(bound) + timedelta(days=1 if op == "<" else 0)
            except ValueError:
                raise ValidationFailed({"date_from" if op == ">=" else "date_to": N_("Enter a date as YYYY-MM-DD.")}) from None
            where.append(f"o.scheduled_start {op} ({arg(day)}::date::timestamp at time zone {arg(tz)})")
    if f.category:
        where.append(f"o.category_code = {arg(f.category)}")
    if f.district:
        where.append(f"o.district = {arg(f.district)}")
    if f.staff_id is not None:
        # The worker asked for, or the one holding the order now.
        where.append(f"(o.requested_staff_id = {arg(f.staff_id)} or o.staff_id = ${len(args)})")
    q = f.q.strip()
    if q:
        where.append(
            f"(o.number like {arg(q.replace('%', '').replace('_', '') + '%')} "
            f"or o.customer_id = {arg(await customer_id_for_phone(tenant, q))})"
        )
    clause = " and ".join(where)
    conn = current_connection()
    total = await conn.fetchval(f"select count(*) from core_order o where {clause}", *args)
    rows = await conn.fetch(
        f"{_SUMMARY} where {clause} order by o.scheduled_start desc, o.id desc limit {arg(f.per_page)} offset {arg((f.page - 1) * f.per_page)}",
        *args,
    )
    return OrderPage(items=await _summaries(rows), total=total, page=f.page, per_page=f.per_page)


async def order_counts(day: date) -> OrderCounts:
    """The dashboard's counts in one query; `day` is on the franchise's calendar."""
    row = await current_connection().fetchrow(
        """
        select count(*) filter (where scheduled_start >= $1::date::timestamp at time zone $2
                                  and scheduled_start < ($1::date + 1)::timestamp at time zone $2) as visits,
               count(*) filter (where state = $3) as waiting,
               count(*) filter (where state = any($4::text[])) as exceptions
        from core_order where state <> 'cancelled'
        """,
        day, current_tenant().timezone, m.PAID, sorted(m.EXCEPTION_STATES),
    )
    return OrderCounts(visits=row["visits"], waiting=row["waiting"], exceptions=row["exceptions"])


async def order_districts() -> list[str]:
    """The districts orders were placed in, for the console's filter."""
    rows = await current_connection().fetch("select distinct district from core_order where district <> '' order by district")
    return [r["district"] for r in rows]


async def booking_answers(order: Order) -> list[tuple[str, Any, str]]:
    """The booking form's answers as people read them, (question, answer, field type), in the
    order of the item's form as it is now: by the question, never the field's name; a question
    removed since keeps its answer under its name, at the end."""
    try:
        form = booking_fields_for(current_tenant(), await get_item(order.item_id))
    except NotFound:
        form = []
    answers = []
    for field in form:
        if field.name in order.fields:
            value = order.fields[field.name]
            if field.type == "checkbox":
                value = N_("Yes") if value else N_("No")
            answers.append((field.label, value, field.type))
    known = {f.name for f in form}
    answers += [(name, value, "text") for name, value in order.fields.items() if name not in known]
    return answers


async def worker_month_facts(starts: datetime, ends: datetime, *, grace_minutes: int) -> dict[int, WorkerMonthFacts]:
    """Per worker, what their orders say about `starts` .. `ends` (excluded). A visit is on time
    when its first arrival ("arrive", by the worker) is at most `grace_minutes` after the scheduled
    start; a no-show counts against the worker whose acceptance came last before the report."""
    conn = current_connection()
    done = await conn.fetch(
        "select o.staff_id, count(*) as completed, count(a.at) as known, "
        "count(*) filter (where a.at <= o.scheduled_start + make_interval(mins => $3)) as on_time, "
        "count(distinct o.customer_id) as customers, "
        "count(distinct o.customer_id) filter (where exists (select 1 from core_order p where p.staff_id = o.staff_id "
        "  and p.customer_id = o.customer_id and p.state = 'completed' and p.scheduled_start < $1)) as repeat "
        "from core_order o left join lateral (select min(e.created_at) as at from core_order_event e "
        "  where e.order_id = o.id and e.event = 'arrive') a on true "
        "where o.state = 'completed' and o.staff_id is not null and o.scheduled_start >= $1 and o.scheduled_start < $2 "
        "group by o.staff_id", starts, ends, grace_minutes)
    declined = await conn.fetch(
        "select actor_id as staff_id, count(*) as n from core_order_event where event = 'decline' and actor_kind = 'staff' "
        "and actor_id is not null and created_at >= $1 and created_at < $2 group by actor_id", starts, ends)
    no_shows = await conn.fetch(
        "select w.staff_id, count(*) as n from core_order_event r cross join lateral (select a.actor_id as staff_id "
        "  from core_order_event a where a.order_id = r.order_id and a.event = 'accept' and a.actor_kind = 'staff' and a.id < r.id "
        "  order by a.id desc limit 1) w "
        "where r.event = 'report_no_show' and r.created_at >= $1 and r.created_at < $2 group by w.staff_id", starts, ends)
    facts: dict[int, dict[str, int]] = {}
    for r in done:
        facts.setdefault(r["staff_id"], {}).update(completed=r["completed"], arrivals_known=r["known"], on_time=r["on_time"],
                                                   customers=r["customers"], repeat_customers=r["repeat"])
    for r in declined:
        facts.setdefault(r["staff_id"], {})["declined"] = r["n"]
    for r in no_shows:
        facts.setdefault(r["staff_id"], {})["no_shows"] = r["n"]
    return {staff_id: WorkerMonthFacts(staff_id=staff_id, **values) for staff_id, values in facts.items()}


async def completed_count(starts: datetime, ends: datetime) -> int:
    """Completed orders whose visit was scheduled in the span (the complaint rate's denominator)."""
    return await current_connection().fetchval(
        "select count(*) from core_order where state = 'completed' and scheduled_start >= $1 and scheduled_start < $2", starts, ends)
