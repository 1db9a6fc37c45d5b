"""Points for orders: earned once an order is both completed and paid, taken back in proportion
when it is refunded. Both run as jobs (the hooks only enqueue), so a slow or failing award never
touches the order's own transaction, and a retried job awards once (the movement's key is the
order's)."""

from __future__ import annotations

from typing import Any

from platform_core.plugin_api import (
    JobContext,
    NotFound,
    OrderEvent,
    RefundEvent,
    enqueue,
    order_facts,
    plugin_config,
)

from . import points
from .config import LoyaltyConfig
from .tiers import points_multiplier_percent

AWARD_JOB = "loyalty.award_order"
REFUND_JOB = "loyalty.refund_order"


def earned_key(order_id: int) -> str:
    return f"order:{order_id}"


def points_for(config: LoyaltyConfig, category: str, net_paid: int, tier_percent: int = 100) -> int:
    """The points an order earns: per ¥1 paid (whole yuan, of what was paid and not refunded)
    or a fixed number per service, times the category's and the tier's multipliers (percent)."""
    base = net_paid * config.points_per_yuan // 100 if config.earn_mode == "per_yuan" else config.points_per_service
    return base * config.category_multipliers.get(category, 100) * tier_percent // 10_000


async def order_settled(event: OrderEvent, fact: str) -> None:
    """on_order_completed / on_order_paid: the award is asked for on each, and runs its course
    once both hold (an order paid after the service is completed first, then paid)."""
    await enqueue(AWARD_JOB, {"order_id": event.order_id}, key=f"award:{event.order_id}:{fact}")


async def refund_succeeded(event: RefundEvent) -> None:
    await enqueue(REFUND_JOB, {"order_id": event.order_id}, key=f"refund:{event.refund_id}")


async def award_order(ctx: JobContext, payload: dict[str, Any]) -> None:
    try:
        facts = await order_facts(payload["order_id"])
    except NotFound:
        return
    if not facts.completed or facts.paid_at is None:
        return
    config = await plugin_config(LoyaltyConfig)
    earned = points_for(config, facts.category, facts.net_paid, await points_multiplier_percent(facts.customer_id))
    if earned > 0:
        await points.award(facts.customer_id, earned, reason="order", link=f"order:{facts.number}", key=earned_key(facts.id))


async def refund_order(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Take back the points of the refunded part: the order keeps points in proportion to what
    stays paid; what it earned beyond that, less what earlier refunds took, goes back."""
    try:
        facts = await order_facts(payload["order_id"])
    except NotFound:
        return
    earned = await points.earned_by(earned_key(facts.id))
    if earned is None or facts.paid <= 0:
        return
    # The member's lock before reading what was taken back: two refunds' jobs running at once
    # otherwise both count none taken yet and take back twice.
    await points.lock_member(earned.customer_id)
    keep = earned.points * facts.net_paid // facts.paid
    due = earned.points - keep - await points.taken_back_for(f"order:{facts.number}")
    if due > 0:
        await points.take_back(
            earned.customer_id, due, link=f"order:{facts.number}", key=f"refund:{facts.id}:{facts.refunded}",
            earned_key=earned_key(facts.id))
