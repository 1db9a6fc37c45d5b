"""Shared by the assessment tests: a month of facts for two workers in the franchise's last
local month (orders with arrivals on their timeline, reviews, an upheld complaint)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.assessment import formula
from platform_core.db import current_connection
from platform_core.support import services as support
from platform_core.support.schemas import ComplaintDecision, FeedbackCreate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, make_order, make_worker


class Month(msgspec.Struct, kw_only=True):
    month: date
    good: int
    poor: int
    poor_orders: list[int]
    complaint_id: int


def last_month(tenant) -> date:
    return formula.previous_month(clock.today(ZoneInfo(tenant.timezone)))


async def _arrive(order_id: int, at: datetime, staff_id: int) -> None:
    await current_connection().execute(
        "insert into core_order_event (tenant_id, order_id, event, from_state, to_state, actor_kind, actor_id, created_at) "
        "select tenant_id, id, 'arrive', 'en_route', 'in_service', 'staff', $2, $3 from core_order where id = $1", order_id, staff_id, at)


async def _review(order_id: int, stars: tuple[int, int, int], at: datetime, text: str = "") -> None:
    await current_connection().execute(
        "insert into core_review (tenant_id, order_id, customer_id, staff_id, item_id, quality, attitude, skill, text, created_at) "
        "select tenant_id, id, customer_id, staff_id, item_id, $2, $3, $4, $5, $6 from core_order where id = $1",
        order_id, *stars, text, at)


async def a_month_of_work(tenant, console_user_id: int, *, decided: bool = True) -> Month:
    """Last month (local): 王阿姨 ("good") two on-time visits rated 5; 李师傅 ("poor") a visit at
    00:30 on the month's first local day (the previous day in UTC, still this month), one 40
    minutes late rated 1-2-1 with a complaint (upheld last month unless not `decided`), and one at 00:30 on the next month's first
    day (not this month)."""
    tz = ZoneInfo(tenant.timezone)
    month = last_month(tenant)
    first = datetime.combine(month, time(0), tzinfo=tz)
    _, next_first = formula.month_span(month, tz)
    good = await make_worker(tenant, "王阿姨")
    poor = await make_worker(tenant, "李师傅")
    customer = await make_customer(tenant, name="陈女士")
    good_orders = [await make_order(tenant, state="completed", staff_id=good, customer_id=customer, assignment="completed",
                                    starts=first + timedelta(days=d, hours=9)) for d in (2, 9)]
    edge_in = await make_order(tenant, state="completed", staff_id=poor, assignment="completed", starts=first + timedelta(minutes=30))
    late = await make_order(tenant, state="completed", staff_id=poor, customer_id=customer, assignment="completed",
                            starts=first + timedelta(days=5, hours=14))
    edge_out = await make_order(tenant, state="completed", staff_id=poor, assignment="completed", starts=next_first + timedelta(minutes=30))
    async with tenant_scope(tenant.id):
        for order_id in good_orders:
            start = await current_connection().fetchval("select scheduled_start from core_order where id = $1", order_id)
            await _arrive(order_id, start + timedelta(minutes=3), good)
            await _review(order_id, (5, 5, 5), start + timedelta(hours=4), "很细心")
        start = await current_connection().fetchval("select scheduled_start from core_order where id = $1", late)
        await _arrive(late, start + timedelta(minutes=40), poor)
        await _review(late, (1, 2, 1), start + timedelta(hours=4), "迟到四十分钟，地板没拖干净")
        number = await current_connection().fetchval("select number from core_order where id = $1", late)
        feedback = await support.send_feedback(await current_connection().fetchval("select customer_id from core_order where id = $1", late),
                                               FeedbackCreate(kind="problem", subject="师傅迟到", body="迟到四十分钟，还打碎了花瓶",
                                                              order_number=number))
        if decided:
            await support.decide_complaint(feedback.id, console_user_id, ComplaintDecision(outcome="upheld", reason="客户有照片为证"))
            # Decided last month (the card counts complaints by when they were upheld).
            await current_connection().execute("update core_feedback set outcome_at = $2 where id = $1", feedback.id,
                                               first + timedelta(days=6))
    return Month(month=month, good=good, poor=poor, poor_orders=[edge_in, late, edge_out], complaint_id=feedback.id)
