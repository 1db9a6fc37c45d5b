"""The daily check-in: once a day on the franchise's calendar, a streak that grows by one each day
in a row (a missed day starts it again, unless the franchise lets a streak survive a few), points
each day and a bigger reward (more points, a coupon) on every 7th day of a streak.

Two taps at once check in once: the customer's loyalty_member row is locked first (the plugin's
lock order), then the day's row is written under a unique key; the second tap finds it and is told
so with a 409 (`Conflict`)."""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta

import msgspec

from platform_core.plugin_api import (
    Conflict,
    NotFound,
    ValidationFailed,
    clock,
    current_connection,
    current_tenant,
    issue_coupon,
    lazy_gettext,
    plugin_config,
)

from . import points
from .config import LoyaltyConfig

log = logging.getLogger("hearth.plugins.loyalty")

STREAK_CYCLE = 7  # every 7th day of a streak gives the bigger reward


class Reward(msgspec.Struct, frozen=True, kw_only=True):
    points: int = 0
    coupon_template_id: int | None = None


class CheckinDone(msgspec.Struct, frozen=True, kw_only=True):
    """POST /p/loyalty/api/checkin: the check-in just made."""

    day: date
    streak: int
    points: int
    coupon_id: int | None = None


class CheckinPanel(msgspec.Struct, frozen=True, kw_only=True):
    """The check-in as the member centre and the check-in page show it (GET /p/loyalty/api/checkin)."""

    today: date
    checked_in_today: bool
    streak: int  # today's if checked in, else the one a check-in now continues from (0: none)
    # What checking in today gives (or gave), and the day of the streak it is.
    today_reward: Reward
    next_day7_in: int  # days until the next 7th-day reward (0: today)
    month: str  # YYYY-MM
    days: list[date]  # the days of `month` the customer checked in


def today() -> date:
    return clock.today(current_tenant().timezone)


def reward_for(config: LoyaltyConfig, streak: int) -> Reward:
    """What the `streak`-th day in a row gives."""
    if streak % STREAK_CYCLE == 0:
        template = config.checkin_day7_coupon_template_id or None
        return Reward(points=config.checkin_day7_points, coupon_template_id=template)
    return Reward(points=config.checkin_points)


def continued_streak(config: LoyaltyConfig, last: tuple[date, int] | None, on: date) -> int:
    """The streak a check-in on `on` makes after the last one (its day and streak)."""
    if last is None:
        return 1
    last_day, last_streak = last
    return last_streak + 1 if (on - last_day).days <= 1 + config.checkin_grace_days else 1


async def _last_before(customer_id: int, on: date) -> tuple[date, int] | None:
    row = await current_connection().fetchrow(
        "select day, streak from loyalty_checkin where customer_id = $1 and day < $2 order by day desc limit 1", customer_id, on,
    )
    return (row["day"], row["streak"]) if row else None


async def _config() -> LoyaltyConfig:
    config = await plugin_config(LoyaltyConfig)
    if not config.checkin_on:
        raise NotFound("page")
    return config


def month_of(text: str | None, default: date) -> tuple[int, int]:
    """`YYYY-MM` as (year, month); the month of `default` when blank. A field error otherwise."""
    if not text:
        return default.year, default.month
    try:
        year, month = (int(part) for part in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValidationFailed({"month": lazy_gettext("Enter a month as YYYY-MM.")}) from None
    if not 1900 <= year <= 2200:
        raise ValidationFailed({"month": lazy_gettext("Enter a month as YYYY-MM.")})
    return year, month


async def month_days(customer_id: int, year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    rows = await current_connection().fetch(
        "select day from loyalty_checkin where customer_id = $1 and day between $2 and $3 order by day", customer_id, first, last,
    )
    return [r["day"] for r in rows]


async def checkin_panel(customer_id: int, month: str | None = None) -> CheckinPanel:
    """Today's state of the customer's check-in and a month's calendar (this month by default)."""
    config = await _config()
    on = today()
    year, number = month_of(month, on)
    row = await current_connection().fetchrow(
        "select streak from loyalty_checkin where customer_id = $1 and day = $2", customer_id, on)
    if row is not None:
        streak, done = row["streak"], True
    else:
        last = await _last_before(customer_id, on)
        streak, done = (continued_streak(config, last, on) - 1), False
    day_of_streak = streak if done else streak + 1
    return CheckinPanel(
        today=on, checked_in_today=done, streak=streak, today_reward=reward_for(config, day_of_streak),
        next_day7_in=(-day_of_streak) % STREAK_CYCLE, month=f"{year:04d}-{number:02d}",
        days=await month_days(customer_id, year, number),
    )


async def check_in(customer_id: int) -> CheckinDone:
    """Check the customer in today: the streak, the day's points and, on a 7th day, the coupon.
    Conflict when they already checked in today (a second tap)."""
    config = await _config()
    on = today()
    await points.lock_member(customer_id)
    conn = current_connection()
    if await conn.fetchval("select 1 from loyalty_checkin where customer_id = $1 and day = $2", customer_id, on):
        raise Conflict(lazy_gettext("You have already checked in today. Come back tomorrow."))
    streak = continued_streak(config, await _last_before(customer_id, on), on)
    reward = reward_for(config, streak)
    checkin_id = await conn.fetchval(
        "insert into loyalty_checkin (tenant_id, customer_id, day, streak, points) values ($1, $2, $3, $4, $5) "
        "on conflict (tenant_id, customer_id, day) do nothing returning id",
        current_tenant().id, customer_id, on, streak, reward.points,
    )
    if checkin_id is None:  # only without the member's lock; kept as the last word
        raise Conflict(lazy_gettext("You have already checked in today. Come back tomorrow."))
    key = f"checkin:{customer_id}:{on.isoformat()}"
    if reward.points:
        await points.award(customer_id, reward.points, reason="checkin", link=f"checkin:{on.isoformat()}", key=key)
    coupon_id = None
    if reward.coupon_template_id:
        coupon_id = await _coupon(reward.coupon_template_id, customer_id, f"checkin:{on.isoformat()}", key)
        if coupon_id is not None:
            await conn.execute("update loyalty_checkin set coupon_id = $2 where id = $1", checkin_id, coupon_id)
    return CheckinDone(day=on, streak=streak, points=reward.points, coupon_id=coupon_id)


async def _coupon(template_id: int, customer_id: int, ref: str, key: str) -> int | None:
    """A reward's coupon, in a savepoint: a template the franchise archived or that reached a limit
    costs the customer the coupon (logged), never the check-in or the task."""
    try:
        async with current_connection().transaction():
            return (await issue_coupon(template_id, customer_id, "loyalty", ref, key)).id
    except (ValidationFailed, NotFound):
        log.warning("loyalty: coupon template %s not issued to customer %s for %s", template_id, customer_id, ref)
        return None


def month_grid(year: int, month: int, checked: list[date]) -> list[list[tuple[date | None, bool]]]:
    """The month as weeks (Monday first) of (day or None, checked in) for the calendar."""
    done = set(checked)
    return [
        [(d if d.month == month else None, d in done) for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]


def shifted(year: int, month: int, by: int) -> str:
    first = date(year, month, 1)
    moved = (first + timedelta(days=32)) if by > 0 else (first - timedelta(days=1))
    return f"{moved.year:04d}-{moved.month:02d}"
