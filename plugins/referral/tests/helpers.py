"""Shared steps of the referral tests: a friend's registration through the real hook, an order of
theirs completed and paid from the wallet, a refund."""

from __future__ import annotations

from datetime import datetime

from platform_core import clock
from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import transition
from platform_core.payments import services as payments
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import CustomerEvent
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    eventually,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from plugins.referral import codes

RULES = {"threshold": 10_000, "window_days": 30, "inviter_amount": 2000, "daily_limit": 10, "burst_count": 50}


async def code_of(tenant, customer_id: int) -> str:
    async with tenant_scope(tenant.id):
        return (await codes.code_of(customer_id)).code


async def register(tenant, *, invite: str = "", referrer: str = "", at: datetime | None = None, name: str = "Li") -> int:
    """A new customer, told to the plugins as a registration with this attribution."""
    customer_id = await make_customer(tenant, name=name)
    attribution = {k: v for k, v in {"invite": invite, "referrer": referrer}.items() if v}
    async with tenant_scope(tenant.id) as context:
        await tell(current_runtime().hooks(context).on_customer_registered,
                   event=CustomerEvent(tenant=context, customer_id=customer_id, occurred_at=at or clock.now(), attribution=attribution))
    return customer_id


async def completed_paid_order(tenant, customer_id: int, total: int) -> int:
    """An order of the customer paid from the wallet and completed by its worker (the real
    transitions: on_order_paid, on_order_completed)."""
    order_id = await make_order(tenant, customer_id=customer_id, item_id=await make_item(tenant, price=total), total=total)
    staff_id = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", total, payment_ref=f"seed{order_id}")
        await payments.pay_with_wallet(order_id, customer_id)
        conn = current_connection()
        await conn.execute("update core_order set state = 'in_service', staff_id = $2 where id = $1", order_id, staff_id)
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
    return order_id


async def refund(tenant, order_id: int, amount: int) -> None:
    async with tenant_scope(tenant.id):
        payment = (await payments.order_payments(order_id))[0]
        await payments.refund_payment(payment.id, amount, "skipped a room", "console:1")


async def earnings(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await ledger.balance(ledger.earnings_account("customer", customer_id), tenant.currency)


async def rewards_of(tenant, customer_id: int) -> list[tuple[str, str, int, str]]:
    """(role, kind, amount with bonus, state) of the customer's rewards, oldest first."""
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch(
            "select role, kind, amount + bonus as total, state from referral_reward where customer_id = $1 order by id", customer_id)
    return [(r["role"], r["kind"], r["total"], r["state"]) for r in rows]


async def invite_state(tenant, invitee_id: int) -> str | None:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select state from referral_invite where invitee_id = $1", invitee_id)


async def until(check, *, timeout: float = 10.0):
    return await eventually(check, timeout=timeout)
