"""Payments: starting a payment at a provider, applying what providers tell us (at most once),
refunds, reconciliation, and the queries the console and pages read.

Everything runs in the caller's tenant transaction (a request, or a job's `tenant_scope`), so a
payment's state, its ledger posting and the order's move to `paid` commit together or not at all.
A payment row is locked (`FOR UPDATE`) before its state changes, which serialises concurrent
notifications, queries and refunds of one payment.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, timedelta
from typing import Any, Mapping

from platform_core import clock
from platform_core.db import current_connection
from platform_core.db.engine import side_connection
from platform_core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from platform_core.jobs.services import batched, enqueue, write_with_jobs
from platform_core.ledger import services as ledger
from platform_core.metrics import PAYMENT_NOTIFICATIONS
from platform_core.orders import machine as m
from platform_core.orders.schemas import ActorRef, Order
from platform_core.orders.services import (
    get_order,
    lock_order,
    lock_order_sql,
    locked_order,
    order_charge,
    order_id_for_number,
    order_numbers,
    transition,
)
from platform_core.pluginsys.calls import collect_now, tell
from platform_core.pluginsys.contexts import RefundEvent
from platform_core.pluginsys.services import get_plugin_config
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from .provider import (
    CheckoutAction,
    CheckoutRequest,
    Device,
    NotificationRefused,
    PaymentProvider,
    PaymentUnavailable,
    ProviderError,
    ProviderReply,
    RefundRequest,
    RefundResult,
)
from .schemas import (
    CASH,
    WALLET,
    CheckoutOption,
    DailyTotal,
    Payment,
    PaymentFilter,
    PaymentRow,
    Refund,
    Refusal,
)

log = logging.getLogger("hearth.payments")

PAYMENT_TTL = timedelta(minutes=30)
RECONCILE_AFTER = timedelta(minutes=2)
RECONCILE_EVERY = timedelta(minutes=5)
REFUND_RETRY_AFTER = timedelta(minutes=2)
PAGE_SIZE = 50
# Kept refusals per tenant and sender a minute: a flood of forged posts is logged, not stored.
REFUSALS_KEPT_PER_MINUTE = 60

RECONCILE_JOB = "payments.reconcile"
REFUND_JOB = "payments.refund_payment"
CANCELLED_JOB = "payments.refund_cancelled_order"
RETRY_REFUND_JOB = "payments.retry_refund"

_COLUMNS = (
    "p.id, p.payment_no, p.provider, p.method, p.device, p.purpose, p.order_id, p.customer_id, p.amount, p.currency, "
    "p.status, p.provider_ref, p.action, p.created_at, p.expires_at, p.paid_at, p.closed_at, "
    "coalesce((select sum(r.amount) from core_refund r where r.payment_id = p.id and r.status = 'succeeded'), 0)::bigint as refunded, "
    "coalesce((select sum(r.amount) from core_refund r where r.payment_id = p.id and r.status = 'pending'), 0)::bigint as refunding"
)
# What the payment paths read of a payment before they change it.
_LOCKED = "id, payment_no, provider, purpose, order_id, customer_id, amount, currency, status, provider_ref, expires_at"
_REFUND_COLUMNS = "id, payment_id, refund_no, amount, reason, status, provider_ref, message, requested_by, created_at, finished_at"


def _payment(row) -> Payment:
    data = dict(row)
    action = data.pop("action")
    if isinstance(action, str):
        action = json.loads(action)
    return Payment(**data, action=CheckoutAction(**action) if action else None)


def _refund(row) -> Refund:
    return Refund(**dict(row))


# --------------------------------------------------------------------------- providers


def installed_providers() -> dict[str, PaymentProvider]:
    """Every provider of every installed plugin. Notifications, queries and refunds use these:
    money that moved is applied even after a tenant turned the plugin off."""
    found: dict[str, PaymentProvider] = {}
    # The same objects for as long as the same plugins are registered: asked once, not per notification.
    for _, provider in current_runtime().relay.registered("provide_payment_providers"):
        if provider.name in found or provider.name == WALLET:
            raise RuntimeError(f"payment provider {provider.name!r} is registered twice")
        found[provider.name] = provider
    return found


def tenant_providers() -> dict[str, PaymentProvider]:
    """The providers of the plugins the current tenant has on (what checkout may offer)."""
    return {provider.name: provider for _, provider in collect_now(current_runtime().hooks(current_tenant()).provide_payment_providers)}


async def provider_config(provider: PaymentProvider) -> Any:
    return await get_plugin_config(current_tenant(), provider.plugin)


async def checkout_options(device: Device, currency: str) -> list[CheckoutOption]:
    """The methods checkout shows on this device: providers the tenant has on and configured."""
    options = []
    for provider in tenant_providers().values():
        config = await provider_config(provider)
        if provider.configured(config) and provider.supports(config, device, currency):
            options.append(CheckoutOption(provider=provider.name, label=provider.label, icon=provider.icon))
    return options


def notify_url(base_url: str, provider: str) -> str:
    return f"{base_url.rstrip('/')}/payments/notify/{provider}/{current_tenant().slug}"


# --------------------------------------------------------------------------- reading


async def get_payment(payment_id: int) -> Payment:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_payment p where p.id = $1", payment_id)
    if row is None:
        raise NotFound("payment")
    return _payment(row)


async def get_payment_by_no(payment_no: str) -> Payment:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_payment p where p.payment_no = $1", payment_no)
    if row is None:
        raise NotFound("payment")
    return _payment(row)


async def latest_topup(customer_id: int) -> Payment | None:
    """The customer's latest top-up, whatever became of it."""
    row = await current_connection().fetchrow(
        f"select {_COLUMNS} from core_payment p where p.customer_id = $1 and p.purpose = 'wallet_topup' "
        "order by p.created_at desc, p.id desc limit 1",
        customer_id,
    )
    return _payment(row) if row is not None else None


def still_pending(payment: Payment) -> bool:
    """Still waiting for the provider's word, and not past its time."""
    return payment.status == "pending" and (payment.expires_at is None or payment.expires_at > clock.now())


def money_is_in(order: Order, payments: list[Payment]) -> bool:
    """Whether the customer has paid the order: a payment succeeded, perhaps a moment before the
    order's reactions mark it paid (the pages that tell a customer back from a provider)."""
    return order.paid_at is not None or any(p.status == "succeeded" for p in payments)


async def order_payments(order_id: int) -> list[Payment]:
    rows = await current_connection().fetch(f"select {_COLUMNS} from core_payment p where p.order_id = $1 order by p.id", order_id)
    return [_payment(r) for r in rows]


async def payment_refunds(payment_id: int) -> list[Refund]:
    rows = await current_connection().fetch(f"select {_REFUND_COLUMNS} from core_refund where payment_id = $1 order by id", payment_id)
    return [_refund(r) for r in rows]


async def order_refunds(order_id: int) -> list[Refund]:
    rows = await current_connection().fetch(
        f"select {', '.join('r.' + c.strip() for c in _REFUND_COLUMNS.split(','))} from core_refund r "
        "join core_payment p on p.id = r.payment_id where p.order_id = $1 order by r.id", order_id)
    return [_refund(r) for r in rows]


async def search_payments(f: PaymentFilter) -> tuple[list[PaymentRow], int]:
    """The console's list, newest first, with the total count for paging."""
    where, args = ["true"], []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.status:
        where.append(f"p.status = {arg(f.status)}")
    if f.provider:
        where.append(f"p.provider = {arg(f.provider)}")
    tz = current_tenant().timezone
    if f.day_from:
        where.append(f"(p.created_at at time zone {arg(tz)})::date >= {arg(f.day_from)}")
    if f.day_to:
        where.append(f"(p.created_at at time zone {arg(tz)})::date <= {arg(f.day_to)}")
    if f.q:
        needle = arg(f.q.strip())
        order_id = arg(await order_id_for_number(f.q.strip()))
        where.append(f"(p.payment_no = {needle} or p.order_id = {order_id} or p.provider_ref = {needle})")
    clause = " and ".join(where)
    conn = current_connection()
    total = await conn.fetchval(f"select count(*) from core_payment p where {clause}", *args)
    rows = await conn.fetch(
        f"select {_COLUMNS} from core_payment p "
        f"where {clause} order by p.created_at desc, p.id desc limit {PAGE_SIZE} offset {PAGE_SIZE * (max(f.page, 1) - 1)}",
        *args,
    )
    numbers = await order_numbers(r["order_id"] for r in rows if r["order_id"] is not None)
    return [PaymentRow(payment=_payment(r), order_number=numbers.get(r["order_id"])) for r in rows], int(total)


async def daily_totals(days: int = 14) -> list[DailyTotal]:
    """Per day (in the tenant's zone), provider and currency: what was collected and refunded."""
    tz = current_tenant().timezone
    rows = await current_connection().fetch(
        """
        with collected as (
          select (paid_at at time zone $1)::date as day, provider, currency, count(*) as n, sum(amount) as amount
          from core_payment where status = 'succeeded' and paid_at >= now() - make_interval(days => $2)
          group by 1, 2, 3
        ), returned as (
          select (r.finished_at at time zone $1)::date as day, p.provider, p.currency, sum(r.amount) as amount
          from core_refund r join core_payment p on p.id = r.payment_id
          where r.status = 'succeeded' and r.finished_at >= now() - make_interval(days => $2)
          group by 1, 2, 3
        )
        select coalesce(c.day, r.day) as day, coalesce(c.provider, r.provider) as provider,
               coalesce(c.currency, r.currency) as currency, coalesce(c.n, 0) as count,
               coalesce(c.amount, 0) as amount, coalesce(r.amount, 0) as refunded
        from collected c full join returned r on r.day = c.day and r.provider = c.provider and r.currency = c.currency
        order by 1 desc, 2
        """,
        tz, days,
    )
    return [DailyTotal(day=r["day"], provider=r["provider"], currency=r["currency"], count=r["count"],
                       amount=int(r["amount"]), refunded=int(r["refunded"])) for r in rows]


async def revenue_by_day(first_day: date) -> dict[date, int]:
    """Net takings for orders per day (the tenant's calendar) from `first_day` on, in the tenant's
    currency: payments that succeeded less the refunds that did, each on its own day. Wallet
    top-ups are not takings (the money is the customer's until an order spends it)."""
    tenant = current_tenant()
    rows = await current_connection().fetch(
        """
        select day, sum(amount) as amount from (
          select (paid_at at time zone $1)::date as day, amount from core_payment
          where status = 'succeeded' and purpose = 'order' and currency = $3 and paid_at >= $2::date::timestamp at time zone $1
          union all
          select (r.finished_at at time zone $1)::date, -r.amount from core_refund r join core_payment p on p.id = r.payment_id
          where r.status = 'succeeded' and p.purpose = 'order' and p.currency = $3
            and r.finished_at >= $2::date::timestamp at time zone $1
        ) moves group by day
        """,
        tenant.timezone, first_day, tenant.currency,
    )
    return {r["day"]: int(r["amount"]) for r in rows}


async def refusals(limit: int = 100) -> list[Refusal]:
    rows = await current_connection().fetch(
        "select id, provider, reason, detail, payment_no, remote_addr, received_at from core_payment_refusal "
        "order by received_at desc, id desc limit $1", limit)
    return [Refusal(**dict(r)) for r in rows]


async def paid_amount(order_id: int) -> int:
    """What the customer has paid for the order and not had back (refunds pending count as back)."""
    value = await current_connection().fetchval(
        "select coalesce(sum(p.amount), 0) - coalesce((select sum(r.amount) from core_refund r join core_payment q on q.id = r.payment_id "
        "where q.order_id = $1 and r.status in ('pending', 'succeeded')), 0) "
        "from core_payment p where p.order_id = $1 and p.status = 'succeeded'", order_id)
    return int(value)


# --------------------------------------------------------------------------- starting a payment


def _new_payment_no() -> str:
    # Letters and digits only, at most 32 characters: what every provider accepts as out_trade_no.
    return f"H{clock.now():%y%m%d}{secrets.token_hex(8).upper()}"


async def _lock(payment_id: int):
    """The payment's row, locked; its order's row is locked first (the house order: the order,
    then its assignments and payments), so a notification and a cancel of one order take turns
    instead of deadlocking."""
    conn = current_connection()
    order_id = await conn.fetchval("select order_id from core_payment where id = $1", payment_id)
    if order_id is not None:
        await lock_order(order_id)
    return await conn.fetchrow(f"select {_LOCKED} from core_payment where id = $1 for update", payment_id)


async def start_payment(
    *, provider_name: str, customer_id: int, amount: int, currency: str, subject: str, device: Device,
    client_ip: str, base_url: str, return_url: str, order_id: int | None = None, openid: str | None = None,
) -> Payment:
    """Create a payment at the provider and return it with what the page must do next. An unpaid
    payment of the same order, provider, device and amount that has time left is reused, so a
    reload or a second tap never opens a second payment."""
    provider = tenant_providers().get(provider_name)
    config = await provider_config(provider) if provider else None
    if provider is None or not provider.configured(config) or not provider.supports(config, device, currency):
        raise ValidationFailed({"provider": N_("Choose one of the payment methods offered.")})
    conn = current_connection()
    if order_id is not None:
        # One payment start per order at a time: a double tap waits here and then reuses.
        await lock_order(order_id)
        await _payable(order_id, customer_id, amount)
        row = await conn.fetchrow(
            f"select {_COLUMNS} from core_payment p where p.order_id = $1 and p.provider = $2 and p.device = $3 and p.amount = $4 "
            "and p.status = 'pending' and p.action is not null and p.expires_at > $5::timestamptz + interval '5 minutes' "
            "order by p.id desc limit 1",
            order_id, provider.name, device, amount, clock.now(),
        )
        if row is not None:
            return _payment(row)
    payment_no = _new_payment_no()
    expires_at = clock.now() + PAYMENT_TTL
    payment_id = await conn.fetchval(
        "insert into core_payment (tenant_id, payment_no, provider, device, purpose, order_id, customer_id, amount, currency, expires_at) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id",
        current_tenant().id, payment_no, provider.name, device, "order" if order_id else "wallet_topup", order_id,
        customer_id, amount, currency, expires_at,
    )
    request = CheckoutRequest(
        payment_no=payment_no, amount=amount, currency=currency, subject=subject[:120], device=device, client_ip=client_ip,
        notify_url=notify_url(current_runtime().settings.notify_base_url or base_url, provider.name), return_url=return_url,
        expires_at=expires_at, openid=openid, customer_id=customer_id,
    )
    try:
        action = await provider.create(config, request)
    except PaymentUnavailable as exc:
        if exc.redirect:
            # The attempt never reached the provider; the redirect commits the request, so its row goes now.
            await conn.execute("delete from core_payment where id = $1", payment_id)
            raise Unauthorized(exc.message, sign_in_path=exc.redirect) from None
        raise ValidationFailed({"provider": exc.message}) from None
    except ProviderError as exc:
        log.warning("payment create failed", extra={"provider": provider.name, "payment_no": payment_no, "error": exc.message})
        raise ValidationFailed({"provider": N_("The payment service did not answer. Please try again or choose another method.")}) from None
    await conn.execute(
        "update core_payment set action = $2::jsonb, method = $3, provider_ref = $4, updated_at = now() where id = $1",
        payment_id, json.dumps({"kind": action.kind, "method": action.method, "url": action.url, "params": action.params,
                                "provider_ref": action.provider_ref}),
        action.method[:16], action.provider_ref[:128],
    )
    await enqueue(RECONCILE_JOB, {"payment_id": payment_id}, run_at=clock.now() + RECONCILE_AFTER, key=f"{payment_no}:0")
    return await get_payment(payment_id)


def awaits_payment(order: Order) -> bool:
    """Whether the order is still waiting for its money (checkout offers to pay only then)."""
    return order.state == m.PENDING_PAYMENT and order.paid_at is None


async def _payable(order_id: int, customer_id: int, amount: int | None) -> Order:
    """The order (locked by the caller) is the customer's, waits for payment, and costs `amount`."""
    order = await get_order(order_id)
    if order.customer_id != customer_id:
        raise NotFound("order")
    if not awaits_payment(order):
        raise ValidationFailed({"provider": N_("This order is not waiting for a payment.")})
    if amount is not None and amount != order.total:
        raise ValidationFailed({"amount": N_("The amount to pay is not the order's total.")})
    return order


async def pay_with_wallet(order_id: int, customer_id: int) -> Payment:
    """Pay the whole order from the customer's wallet; refused (field `provider`) when it is short
    or the order is not waiting for a payment."""
    await lock_order(order_id)
    conn = current_connection()
    # Checked under the lock: a second wallet payment of a paid order would find the ledger's
    # posting for the order already made (same key), debit nothing and then be refunded.
    order = await _payable(order_id, customer_id, None)
    try:
        async with conn.transaction():  # a savepoint: a short wallet leaves no payment row behind
            payment_id = await conn.fetchval(
                "insert into core_payment (tenant_id, payment_no, provider, method, device, purpose, order_id, customer_id, amount, "
                "currency, status, paid_at, expires_at) values ($1, $2, $3, 'balance', '', 'order', $4, $5, $6, $7, 'succeeded', now(), now()) "
                "returning id",
                current_tenant().id, _new_payment_no(), WALLET, order_id, customer_id, order.total, order.currency,
            )
            await ledger.pay_from_wallet(order_id, customer_id, order.currency, order.total)
    except ValidationFailed:
        raise ValidationFailed({"provider": N_("Your balance is not enough for this order.")}) from None
    payment = await get_payment(payment_id)
    await _order_paid(order_id, payment_id, payment.payment_no, WALLET, payment.amount)
    return payment


async def record_offline_payment(order_id: int, total: int, staff_id: int | None) -> Payment | None:
    """The office marked an order paid (cash, a transfer): what was not paid through Hearth is
    recorded as a cash payment, so the ledger knows the money; it is settled on completion, or
    now when the order is already done. `total` is the order's, as the paid event carries it: an
    order paid through a provider owes nothing, found in one query."""
    owed = total - await paid_amount(order_id)
    if owed <= 0:
        return None
    order = await order_charge(order_id)
    payment_no = _new_payment_no()
    payment_id = await current_connection().fetchval(
        "insert into core_payment (tenant_id, payment_no, provider, method, purpose, order_id, customer_id, amount, currency, "
        "status, paid_at, expires_at) values ($1, $2, $3, 'offline', 'order', $4, $5, $6, $7, 'succeeded', now(), now()) returning id",
        current_tenant().id, payment_no, CASH, order_id, order.customer_id, owed, order.currency,
    )
    await ledger.record_payment(order_id, order.currency, CASH, owed, payment_ref=payment_no)
    if order.state == m.COMPLETED:
        await ledger.settle_completed_order(order_id, order.currency, await paid_amount(order_id), staff_id)
    return await get_payment(payment_id)


# --------------------------------------------------------------------------- what providers tell us


async def _refuse(provider: str, reason: str, detail: str, payment_no: str | None, remote_addr: str) -> None:
    """Keep the refusal for the console. Written on its own connection: the refused request's
    transaction rolls back."""
    log.warning("payment notification refused", extra={"provider": provider, "reason": reason, "payment_no": payment_no})
    tenant_id = current_tenant().id
    count, _ = await current_runtime().kv.incr(f"payments:refusals:{tenant_id}:{remote_addr}", 60)
    if count > REFUSALS_KEPT_PER_MINUTE:
        return
    async with side_connection() as conn, conn.transaction():
        await conn.execute("select set_config('app.tenant_id', $1, true)", str(tenant_id))
        await conn.execute(
            "insert into core_payment_refusal (tenant_id, provider, reason, detail, payment_no, remote_addr) values ($1, $2, $3, $4, $5, $6)",
            tenant_id, provider[:32], reason, detail[:300], payment_no and payment_no[:40], remote_addr[:64],
        )


async def record_refusal(provider: str, reason: str, detail: str, reference: str | None, remote_addr: str) -> None:
    """Keep a refused provider notification for the console's list of refusals (payouts'
    transfer notifications are refused and kept the same way)."""
    await _refuse(provider, reason, detail, reference, remote_addr)


class _Refused(Exception):
    """A notification that changes nothing: why, and what to keep of it."""

    def __init__(self, reason: str, detail: str = "", payment_no: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.payment_no = reason, detail, payment_no


async def handle_notification(provider_name: str, headers: Mapping[str, str], body: bytes, remote_addr: str) -> ProviderReply:
    """Apply one notification at most once and return the answer the provider expects.

    Checked in order: a known provider; its signature and format (the plugin); the merchant; a
    payment of ours with this number at this provider; the exact amount and currency. Then the
    provider's event id is recorded once (a duplicate is answered as accepted and changes
    nothing) and the payment moves only forward (pending → succeeded/closed; a late "closed"
    never undoes a success)."""
    provider = installed_providers().get(provider_name)
    if provider is None:
        PAYMENT_NOTIFICATIONS.labels("unknown", "refused").inc()
        await _refuse(provider_name, "unknown_provider", "", None, remote_addr)
        raise NotFound("payment provider")
    config = await provider_config(provider)
    try:
        outcome = await _apply_notification(provider, config, headers, body)
    except _Refused as refused:
        PAYMENT_NOTIFICATIONS.labels(provider.name, "refused").inc()
        await _refuse(provider.name, refused.reason, refused.detail, refused.payment_no, remote_addr)
        return provider.reply(config, False)
    PAYMENT_NOTIFICATIONS.labels(provider.name, outcome).inc()
    return provider.reply(config, True)


# The payment a notification names, whether its event was recorded before (a retry), and its order
# locked when there may be something to apply: one round trip for what used to be three. The lock
# is in a lateral subquery so a payment already paid, an event already seen or a top-up (no order)
# takes none. The status is read before the lock, as it was before the merge: the update after it
# is conditional, so a delivery that waited for the lock applies nothing twice.
_NOTICE_LOOKUP = f"""
select {', '.join('p.' + c.strip() for c in _LOCKED.split(','))}, s.seen, house_order.locked_order
from (select exists(select 1 from core_payment_notification where provider = $2 and event_id = $3) as seen) s
cross join core_payment p
left join lateral ({lock_order_sql("p.order_id", "p.status <> 'succeeded' and not s.seen")}) house_order on true
where p.payment_no = $1 and p.provider = $2
"""
_RECORD_NOTICE = (
    "insert into core_payment_notification (tenant_id, provider, event_id, payment_id, status, outcome) "
    "values ($1, $2, $3, $4, $5, $6) on conflict (tenant_id, provider, event_id) do nothing returning id"
)


async def _apply_notification(provider: PaymentProvider, config: Any, headers: Mapping[str, str], body: bytes) -> str:
    """applied, duplicate or ignored (genuine, but nothing to change); raises _Refused.

    Only what the fact needs runs here: one lookup (the payment, whether the event was seen, its
    order locked), the payment's one conditional update, the ledger's posting, the order's `pay`
    (read and move), and the event id recorded in one statement with the order's reactions job.
    A repeat of an event is answered after the signature and the lookup."""
    if config is None or not provider.configured(config):
        raise _Refused("not_configured")
    try:
        notice = await provider.parse_notification(config, headers, body)
    except NotificationRefused as exc:
        raise _Refused(exc.reason, exc.detail) from None
    if notice.merchant_id != provider.merchant_id(config):
        raise _Refused("merchant", f"for {notice.merchant_id}", notice.payment_no)
    event_id = notice.event_id[:128]
    # Amount, currency, order and customer never change once a payment exists. A refusal below
    # rolls back and so lets the order's lock go.
    row = await current_connection().fetchrow(_NOTICE_LOOKUP, notice.payment_no, provider.name, event_id)
    if row is None:
        raise _Refused("unknown_payment", "", notice.payment_no)
    if notice.currency != row["currency"]:
        raise _Refused("currency", f"{notice.currency} for {row['currency']}", notice.payment_no)
    if notice.amount != row["amount"]:
        raise _Refused("amount", f"{notice.amount} for {row['amount']}", notice.payment_no)
    if row["seen"]:
        return "duplicate"
    # A success is final, so a payment read as succeeded can only ignore this notice: a retry of
    # a delivery that was applied needs neither the order's lock nor the update.
    async with batched():
        applied = row["status"] != "succeeded" and await _apply_status(row, notice.status, notice.provider_ref,
                                                                        order=locked_order(row["locked_order"]))
        # After the update: an event recorded meanwhile was recorded by a delivery that applied it
        # and committed before this one got the order's lock, so a conflict here means nothing
        # changed above. The `pay` transition's reactions job rides with this statement.
        recorded = await write_with_jobs(_RECORD_NOTICE, (current_tenant().id, provider.name, event_id, row["id"], notice.status,
                                                          "applied" if applied else "ignored"))
    if recorded is None:
        return "duplicate"
    return "applied" if applied else "ignored"


async def _apply_status(row, status: str, provider_ref: str, *, order: Order | None = None) -> bool:
    """Move a payment forward (pending → succeeded/closed/failed; a late success after a close
    still counts; nothing moves a success back); True when something changed. The update is
    conditional, so of two concurrent callers only the first changes anything, whatever they read
    before. The caller holds the payment's order, if it has one; `order`: as read under that lock."""
    conn = current_connection()
    if status == "succeeded":
        moved = await conn.fetchval(
            "update core_payment set status = 'succeeded', paid_at = now(), closed_at = null, updated_at = now(), "
            "provider_ref = coalesce(nullif($2, ''), provider_ref) where id = $1 and status <> 'succeeded' returning id",
            row["id"], provider_ref[:128])
        if moved is None:
            return False
        if row["purpose"] == "order":
            await ledger.record_payment(row["order_id"], row["currency"], row["provider"], row["amount"], payment_ref=row["payment_no"])
            await _order_paid(row["order_id"], row["id"], row["payment_no"], row["provider"], row["amount"], read=order)
        else:
            await ledger.wallet_topup(row["customer_id"], row["currency"], row["provider"], row["amount"], payment_ref=row["payment_no"])
        return True
    if status in ("closed", "failed"):
        moved = await conn.fetchval(
            "update core_payment set status = $2, closed_at = now(), updated_at = now() where id = $1 and status = 'pending' returning id",
            row["id"], status)
        return moved is not None
    return False


async def _order_paid(order_id: int, payment_id: int, payment_no: str, provider: str, amount: int, *, read: Order | None = None) -> None:
    """The order moves to paid; money that arrives for an order the machine will not move to
    paid (already paid, or cancelled) goes straight back. Its reactions (dispatch, the customer's
    message, plugins) follow in one job: the money and the order's state are the fact. `read`:
    the order as read under its lock in this transaction, if it was."""
    try:
        await transition(order_id, "pay", ActorRef(kind="system"), data={"payment_no": payment_no, "provider": provider, "amount": amount},
                         later=True, read=read)
        return
    except Conflict:
        pass  # the transition refuses before it writes anything
    reason = "cancelled" if (await order_charge(order_id)).state == m.CANCELLED else "duplicate"
    log.info("payment for a settled order is refunded", extra={"payment_no": payment_no, "reason": reason})
    await enqueue(REFUND_JOB, {"payment_id": payment_id, "reason": reason}, key=f"auto:{payment_no}")


# --------------------------------------------------------------------------- refunds

REFUND_REASONS = {
    "cancelled": N_("The order was cancelled."),
    "duplicate": N_("The order was already paid."),
}


async def refund_payment(payment_id: int, amount: int, reason: str, requested_by: str) -> Refund:
    """Refund part or all of a paid payment through its provider (or back to the wallet). The
    refund's state follows the provider's answer; a pending one is asked again later."""
    row = await _lock(payment_id)
    if row is None:
        raise NotFound("payment")
    if row["status"] != "succeeded" or row["purpose"] != "order":
        raise ValidationFailed({"amount": N_("Only a paid order payment can be refunded.")})
    conn = current_connection()
    taken, count = await conn.fetchrow(
        "select coalesce(sum(amount) filter (where status in ('pending', 'succeeded')), 0), count(*) from core_refund where payment_id = $1",
        payment_id)
    left = row["amount"] - int(taken)
    if not 1 <= amount <= left:
        raise ValidationFailed({"amount": N_("Enter an amount between 0.01 and what is left to refund.")})
    refund_no = f"{row['payment_no']}R{count + 1:02d}"
    refund_id = await conn.fetchval(
        "insert into core_refund (tenant_id, payment_id, refund_no, amount, reason, requested_by) values ($1, $2, $3, $4, $5, $6) returning id",
        current_tenant().id, payment_id, refund_no, amount, reason[:300], requested_by[:40],
    )
    return await _send_refund(row, refund_id)


async def _send_refund(payment_row, refund_id: int) -> Refund:
    conn = current_connection()
    refund = _refund(await conn.fetchrow(f"select {_REFUND_COLUMNS} from core_refund where id = $1", refund_id))
    if payment_row["provider"] in (WALLET, CASH):
        # Back to the wallet; or cash the office hands back, recorded as done.
        result = RefundResult(status="succeeded")
    else:
        provider = installed_providers().get(payment_row["provider"])
        if provider is None:
            result = RefundResult(status="failed", message="The payment provider is no longer installed.")
        else:
            try:
                result = await provider.refund(await provider_config(provider), RefundRequest(
                    payment_no=payment_row["payment_no"], refund_no=refund.refund_no, amount=refund.amount,
                    payment_amount=payment_row["amount"], currency=payment_row["currency"], reason=refund.reason,
                    provider_ref=payment_row["provider_ref"],
                ))
            except ProviderError as exc:
                # Not an answer: the refund may or may not exist there. Asking again with the same
                # refund number is safe (providers deduplicate by it).
                log.warning("refund request failed", extra={"refund_no": refund.refund_no, "error": exc.message})
                result = RefundResult(status="pending", message=exc.message)
    return await _finish_refund(payment_row, refund, result)


async def _finish_refund(payment_row, refund: Refund, result: RefundResult) -> Refund:
    conn = current_connection()
    if result.status == "pending":
        await conn.execute("update core_refund set message = $2 where id = $1", refund.id, result.message[:300])
        await enqueue(RETRY_REFUND_JOB, {"refund_id": refund.id}, run_at=clock.now() + REFUND_RETRY_AFTER,
                      key=f"{refund.refund_no}:{secrets.token_hex(4)}")
    else:
        await conn.execute(
            "update core_refund set status = $2, provider_ref = $3, message = $4, finished_at = now() where id = $1 and status = 'pending'",
            refund.id, result.status, result.provider_ref[:128], result.message[:300])
    if result.status == "succeeded":
        order_id, currency = payment_row["order_id"], payment_row["currency"]
        if payment_row["provider"] == WALLET:
            await ledger.refund_to_wallet(order_id, payment_row["customer_id"], currency, refund.amount, refund_ref=refund.refund_no)
        else:
            await ledger.record_refund(order_id, currency, payment_row["provider"], refund.amount, refund_ref=refund.refund_no)
        tenant = current_tenant()
        await tell(current_runtime().hooks(tenant).on_refund_succeeded, event=RefundEvent(
            tenant=tenant, order_id=order_id, refund_id=refund.id, amount=refund.amount, currency=currency,
            occurred_at=clock.now()))
    return _refund(await conn.fetchrow(f"select {_REFUND_COLUMNS} from core_refund where id = $1", refund.id))


async def refund_cancelled_order(order_id: int) -> list[Refund]:
    """A cancelled order's money goes back, less its cancellation fee, newest payment first; the
    fee is then earned."""
    order = await get_order(order_id)
    if order.state != m.CANCELLED:
        return []
    owed = await paid_amount(order_id) - order.cancellation_fee
    refunds = []
    for payment in reversed(await order_payments(order_id)):
        take = min(payment.refundable, owed)
        if take > 0:
            refunds.append(await refund_payment(payment.id, take, REFUND_REASONS["cancelled"], "system"))
            owed -= take
    kept = min(order.cancellation_fee, await paid_amount(order_id))
    if kept > 0:
        await ledger.settle_order(order_id, order.currency, kept, None)
    return refunds


# --------------------------------------------------------------------------- reconciliation


async def reconcile_payment(payment_id: int) -> str:
    """Ask the provider how a pending payment stands and apply the answer; close it once it has
    expired unpaid. Returns the payment's status afterwards. Raises ProviderError when the
    provider could not answer (the job retries)."""
    row = await _lock(payment_id)
    if row is None or row["status"] != "pending" or row["provider"] in (WALLET, CASH):
        return row["status"] if row else "missing"
    provider = installed_providers().get(row["provider"])
    if provider is None:
        return "pending"
    config = await provider_config(provider)
    answer = await provider.query(config, row["payment_no"], row["provider_ref"])
    if answer.status in ("succeeded", "refunded"):
        if answer.amount is not None and answer.amount != row["amount"]:
            await _refuse(provider.name, "amount", f"query: {answer.amount} for {row['amount']}", row["payment_no"], "query")
            return "pending"
        await _apply_status(row, "succeeded", answer.provider_ref)
        return "succeeded"
    if answer.status in ("closed", "failed"):
        await _apply_status(row, answer.status, "")
        return answer.status
    if row["expires_at"] <= clock.now():
        if answer.status != "missing":
            await provider.close(config, row["payment_no"], row["provider_ref"])  # refused when it was paid meanwhile: retried
        await _apply_status(row, "closed", "")
        return "closed"
    return "pending"


async def ask_provider_now(payment: Payment) -> None:
    """The customer is back from the provider's page, so the money has most likely moved: ask the
    provider at once (a job, after this request) instead of waiting for its notification, which
    may come late or never, or for the reconciliation's first pause. Once per payment, however
    often the customer comes back."""
    if payment.status == "pending" and payment.provider not in (WALLET, CASH):
        await enqueue(RECONCILE_JOB, {"payment_id": payment.id}, key=f"{payment.payment_no}:returned")


async def reconcile_pending(older_than: timedelta = RECONCILE_AFTER) -> int:
    """Queue a reconciliation for every pending payment older than `older_than` (a sweep, for
    `hearth payments reconcile`). Returns how many were queued."""
    ids = await current_connection().fetch(
        "select id, payment_no from core_payment where status = 'pending' and provider <> $1 and created_at < now() - $2::interval",
        WALLET, older_than)  # wallet and cash payments are never pending
    for row in ids:
        await enqueue(RECONCILE_JOB, {"payment_id": row["id"]}, key=f"{row['payment_no']}:sweep:{secrets.token_hex(4)}")
    return len(ids)


async def retry_refund(refund_id: int) -> Refund | None:
    refund_row = await current_connection().fetchrow("select payment_id, status from core_refund where id = $1", refund_id)
    if refund_row is None or refund_row["status"] != "pending":
        return None
    return await _send_refund(await _lock(refund_row["payment_id"]), refund_id)


async def customer_payments(customer_id: int, limit: int = 50) -> tuple[list[Payment], list[Refund]]:
    """The customer's latest payments (orders and top-ups), newest first, and the refunds of
    those payments (the console's customer page)."""
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from core_payment p where p.customer_id = $1 order by p.created_at desc, p.id desc limit $2",
        customer_id, limit)
    payments = [_payment(r) for r in rows]
    refund_rows = await current_connection().fetch(
        f"select {_REFUND_COLUMNS} from core_refund where payment_id = any($1::bigint[]) order by created_at desc, id desc",
        [p.id for p in payments])
    return payments, [_refund(r) for r in refund_rows]
