"""Reviews of completed orders, and the workers' ratings they feed.

Hidden reviews do not count: a review the franchise hid as abusive is kept with its reason, but
it neither shows publicly nor moves the worker's rating (hiding and showing again recompute it).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from platform_core import clock
from platform_core.accounts.services import customer_names, staff_names
from platform_core.catalog.services import item_titles
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.orders.machine import COMPLETED
from platform_core.orders.schemas import Order
from platform_core.orders.services import (
    get_order_by_number,
    live_staff_id,
    order_numbers,
)
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import ReviewEvent
from platform_core.runtime import current_runtime
from platform_core.staff import services as staff
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads as media
from platform_core.web.i18n import lazy_gettext, translations

from .schemas import (
    LOW_RATING_SUM,
    ConsoleReview,
    LowReview,
    RatingBreakdown,
    RatingSums,
    Review,
    ReviewCreate,
    ReviewFilter,
)

_COLUMNS = (
    "r.id, r.order_id, r.customer_id, r.staff_id, r.item_id, r.quality, r.attitude, r.skill, r.text, r.photos, r.reply, "
    "r.replied_at, r.created_at"
)
_FROM = "from core_review r"


def _author(name: str) -> str:
    """Public reviews show the first character of the customer's name only (李**)."""
    name = (name or "").strip()
    return f"{name[0]}**" if name else "**"


def _review(row, author_name: str) -> Review:
    photos = row["photos"]
    return Review(
        id=row["id"], order_id=row["order_id"], staff_id=row["staff_id"], item_id=row["item_id"],
        quality=row["quality"], attitude=row["attitude"], skill=row["skill"],
        score=round((row["quality"] + row["attitude"] + row["skill"]) / 3, 2), text=row["text"],
        photos=json.loads(photos) if isinstance(photos, str) else list(photos), author=_author(author_name),
        reply=row["reply"], replied_at=row["replied_at"], created_at=row["created_at"],
    )


async def _reviews(rows) -> list[Review]:
    """The rows as Reviews, with their authors' names from accounts."""
    names = await customer_names(r["customer_id"] for r in rows)
    return [_review(r, names.get(r["customer_id"], "")) for r in rows]


async def _reviewable_order(customer_id: int, order_number: str) -> tuple[Order, int | None]:
    """The customer's own order and its worker; someone else's order is simply not found."""
    order = await get_order_by_number(order_number, customer_id=customer_id)
    return order, await live_staff_id(order.id)


async def can_review(customer_id: int, order_number: str) -> bool:
    """Whether the review form should be offered: the order is completed and not yet reviewed."""
    order, _staff = await _reviewable_order(customer_id, order_number)
    if order.state != COMPLETED:
        return False
    return not await current_connection().fetchval("select exists(select 1 from core_review where order_id = $1)", order.id)


async def submit_review(customer_id: int, order_number: str, data: ReviewCreate) -> Review:
    """The customer's review of their completed order, once; the worker's rating follows in the
    same transaction."""
    order, staff_id = await _reviewable_order(customer_id, order_number)
    if order.state != COMPLETED:
        raise Conflict("You can review an order once the service is completed.")
    if not all(media.photo_exists(current_tenant(), url) for url in data.photos):
        raise ValidationFailed({"photos": "Upload the photos here first, then add them."})
    conn = current_connection()
    review_id = await conn.fetchval(
        "insert into core_review (tenant_id, order_id, customer_id, staff_id, item_id, quality, attitude, skill, text, photos) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) on conflict (tenant_id, order_id) do nothing returning id",
        current_tenant().id, order.id, customer_id, staff_id, order.item_id,
        data.quality, data.attitude, data.skill, data.text.strip(), json.dumps(data.photos),
    )
    if review_id is None:
        raise Conflict("You have already reviewed this order.")
    if staff_id is not None:
        await refresh_staff_rating(staff_id)
        await add_notification(NotificationCreate(
            recipient_kind="staff", recipient_id=staff_id, title=translations(current_tenant().locale).ugettext(lazy_gettext("You have a new review")),
            body=order.number, link="/staff/",
        ))
    hooks = current_runtime().hooks(current_tenant()).on_review_submitted
    if hooks.get_hookimpls():
        await tell(hooks, event=ReviewEvent(
            tenant=current_tenant(), review_id=review_id, order_id=order.id, customer_id=customer_id, item_id=order.item_id,
            staff_id=staff_id, score=round((data.quality + data.attitude + data.skill) / 3, 2), occurred_at=clock.now(),
        ))
    return await get_review(review_id)


async def refresh_staff_rating(staff_id: int) -> None:
    """Recompute the worker's rating from their visible reviews. The profile row is locked first
    and the reviews read after, so two reviews committing at once can't each miss the other's
    score."""
    await staff.lock_profile(staff_id)
    row = await current_connection().fetchrow(
        "select coalesce(round(avg((quality + attitude + skill) / 3.0), 2), 0) as avg, count(*) as n "
        "from core_review where staff_id = $1 and hidden_at is null",
        staff_id,
    )
    await staff.record_rating(staff_id, row["avg"], row["n"])


async def get_review(review_id: int) -> Review:
    row = await current_connection().fetchrow(f"select {_COLUMNS} {_FROM} where r.id = $1", review_id)
    if row is None:
        raise NotFound("review")
    return (await _reviews([row]))[0]


async def review_for_order(customer_id: int, order_number: str) -> Review | None:
    """The customer's review of their order, if they wrote one (hidden or not: it is theirs)."""
    order, _staff = await _reviewable_order(customer_id, order_number)
    row = await current_connection().fetchrow(f"select {_COLUMNS} {_FROM} where r.order_id = $1", order.id)
    return None if row is None else (await _reviews([row]))[0]


async def reviews_for_item(item_id: int, limit: int = 20) -> list[Review]:
    """Visible reviews of a service item, newest first (for the catalog's item page)."""
    rows = await current_connection().fetch(
        f"select {_COLUMNS} {_FROM} where r.item_id = $1 and r.hidden_at is null order by r.created_at desc, r.id desc limit $2",
        item_id, limit,
    )
    return await _reviews(rows)


async def reviews_for_staff(staff_id: int, limit: int = 20) -> list[Review]:
    """Visible reviews of a worker, newest first (for the worker's public page)."""
    rows = await current_connection().fetch(
        f"select {_COLUMNS} {_FROM} where r.staff_id = $1 and r.hidden_at is null order by r.created_at desc, r.id desc limit $2",
        staff_id, limit,
    )
    return await _reviews(rows)


async def rating_breakdown(staff_id: int) -> RatingBreakdown:
    """A worker's rating from visible reviews: the averages and how many reviews gave each star."""
    conn = current_connection()
    row = await conn.fetchrow(
        "select count(*) as n, coalesce(avg((quality + attitude + skill) / 3.0), 0) as avg, "
        "coalesce(avg(quality), 0) as q, coalesce(avg(attitude), 0) as a, coalesce(avg(skill), 0) as s "
        "from core_review where staff_id = $1 and hidden_at is null",
        staff_id,
    )
    stars = {star: 0 for star in (5, 4, 3, 2, 1)}
    for r in await conn.fetch(
        "select round((quality + attitude + skill) / 3.0)::int as star, count(*) as n from core_review "
        "where staff_id = $1 and hidden_at is null group by 1",
        staff_id,
    ):
        stars[r["star"]] = r["n"]
    return RatingBreakdown(
        count=row["n"], average=round(float(row["avg"]), 2), quality=round(float(row["q"]), 2),
        attitude=round(float(row["a"]), 2), skill=round(float(row["s"]), 2), stars=stars,
    )


# --------------------------------------------------------------------------- the console


_CONSOLE_COLUMNS = f"{_COLUMNS}, r.hidden_at, r.hidden_reason"


async def _console_reviews(rows) -> list[ConsoleReview]:
    """The rows with what the console shows beside each: the order's number, the worker's name and
    the item's title, from their domains."""
    numbers = await order_numbers(r["order_id"] for r in rows)
    names = await staff_names(r["staff_id"] for r in rows if r["staff_id"] is not None)
    titles = await item_titles(r["item_id"] for r in rows)
    return [
        ConsoleReview(
            review=review, order_number=numbers[r["order_id"]], customer_id=r["customer_id"],
            staff_name=names.get(r["staff_id"], ""), item_title=titles.get(r["item_id"], ""), hidden=r["hidden_at"] is not None,
            hidden_reason=r["hidden_reason"], hidden_at=r["hidden_at"],
        )
        for r, review in zip(rows, await _reviews(rows))
    ]


async def console_reviews(show: ReviewFilter = "all", limit: int = 100) -> list[ConsoleReview]:
    """The console's list; "low" is the visible reviews of 3 stars or less, as the dashboard counts them."""
    rows = await current_connection().fetch(
        f"select {_CONSOLE_COLUMNS} {_FROM} "
        "where case $1 when 'all' then true when 'hidden' then r.hidden_at is not null when 'visible' then r.hidden_at is null "
        "else r.hidden_at is null and r.quality + r.attitude + r.skill <= $3 end "
        "order by r.created_at desc, r.id desc limit $2",
        show, limit, LOW_RATING_SUM,
    )
    return await _console_reviews(rows)


async def customer_review_counts(customer_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """How many reviews each customer wrote since `since` (hidden ones too: they were written),
    in one query; a customer with none is left out (loyalty's activity threshold)."""
    rows = await current_connection().fetch(
        "select customer_id, count(*) as n from core_review where customer_id = any($1::bigint[]) and created_at >= $2 "
        "group by customer_id",
        sorted(set(customer_ids)), since,
    )
    return {r["customer_id"]: r["n"] for r in rows}


async def low_rating_count(since: datetime) -> int:
    """Visible reviews of 3 stars or less written since `since`."""
    return await current_connection().fetchval(
        "select count(*) from core_review where hidden_at is null and quality + attitude + skill <= $1 and created_at >= $2",
        LOW_RATING_SUM, since,
    )


async def console_review(review_id: int) -> ConsoleReview:
    row = await current_connection().fetchrow(f"select {_CONSOLE_COLUMNS} {_FROM} where r.id = $1", review_id)
    if row is None:
        raise NotFound("review")
    return (await _console_reviews([row]))[0]


async def reply_to_review(review_id: int, console_user_id: int, text: str) -> ConsoleReview:
    """The franchise's public answer under a review (replacing an earlier one); the customer gets
    an inbox entry the first time."""
    row = await current_connection().fetchrow(
        "update core_review r set reply = $2, replied_by = $3, replied_at = now() from core_review old "
        "where r.id = $1 and old.id = r.id returning r.customer_id, r.order_id, old.replied_at is null as first",
        review_id, text.strip(), console_user_id,
    )
    if row is None:
        raise NotFound("review")
    if row["first"]:
        number = (await order_numbers([row["order_id"]]))[row["order_id"]]
        await add_notification(NotificationCreate(
            recipient_kind="customer", recipient_id=row["customer_id"],
            title=translations(current_tenant().locale).ugettext(lazy_gettext("The franchise replied to your review")),
            body=number, link=f"/orders/{number}/review",
        ))
    return await console_review(review_id)


async def hide_review(review_id: int, console_user_id: int, reason: str) -> ConsoleReview:
    """Hide an abusive review; the review and the reason are kept, the rating no longer counts it."""
    staff_id = await current_connection().fetchval(
        "update core_review set hidden_at = now(), hidden_by = $2, hidden_reason = $3 where id = $1 returning coalesce(staff_id, 0)",
        review_id, console_user_id, reason.strip(),
    )
    if staff_id is None:
        raise NotFound("review")
    if staff_id:
        await refresh_staff_rating(staff_id)
    return await console_review(review_id)


async def show_review(review_id: int) -> ConsoleReview:
    """Undo a hide: the review shows and counts again."""
    staff_id = await current_connection().fetchval(
        "update core_review set hidden_at = null, hidden_by = null, hidden_reason = '' where id = $1 returning coalesce(staff_id, 0)",
        review_id,
    )
    if staff_id is None:
        raise NotFound("review")
    if staff_id:
        await refresh_staff_rating(staff_id)
    return await console_review(review_id)


async def customer_reviews(customer_id: int, limit: int = 50) -> list[ConsoleReview]:
    """The reviews the customer wrote, hidden ones too, newest first (the console's customer page)."""
    rows = await current_connection().fetch(
        f"select {_CONSOLE_COLUMNS} {_FROM} where r.customer_id = $1 order by r.created_at desc, r.id desc limit $2",
        customer_id, limit,
    )
    return await _console_reviews(rows)


async def rating_sums(starts: datetime, ends: datetime, *, low_at: int = 2) -> dict[int, RatingSums]:
    """Per worker, the visible reviews written between `starts` (included) and `ends` (excluded):
    their count, each part's sum and how many average `low_at` stars or less."""
    rows = await current_connection().fetch(
        "select staff_id, count(*) as n, sum(quality) as q, sum(attitude) as a, sum(skill) as s, "
        "count(*) filter (where quality + attitude + skill <= $3 * 3) as low from core_review "
        "where hidden_at is null and staff_id is not null and created_at >= $1 and created_at < $2 group by staff_id",
        starts, ends, low_at)
    return {r["staff_id"]: RatingSums(staff_id=r["staff_id"], count=r["n"], quality=r["q"], attitude=r["a"], skill=r["s"], low=r["low"])
            for r in rows}


async def low_reviews(starts: datetime, ends: datetime, *, low_at: int = 2, staff_id: int | None = None, limit: int = 100) -> list[LowReview]:
    """Visible reviews averaging `low_at` stars or less written in the span, newest first."""
    rows = await current_connection().fetch(
        "select id, staff_id, order_id, quality, attitude, skill, text, created_at from core_review "
        "where hidden_at is null and quality + attitude + skill <= $3 * 3 and created_at >= $1 and created_at < $2 "
        "and ($4::bigint is null or staff_id = $4) order by created_at desc, id desc limit $5",
        starts, ends, low_at, staff_id, limit)
    return [LowReview(**dict(r)) for r in rows]
