"""What a member's tier gives: priority dispatch (a score and first choice in a batch), a birthday
coupon once a year, free-service vouchers once per tier-year, a dedicated support agent (their
feedback is routed to them), priority booking (read by the booking part), and the points
multiplier (tiers.points_multiplier_percent).

Coupons are the franchise's own templates, issued through promotions (`issue_coupon`) with keys
that make each grant happen once however often a job runs: the birthday coupon per customer and
year, the vouchers per customer, tier, start of the tier and tier-year."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec

from platform_core.plugin_api import (
    DispatchCandidate,
    DispatchScore,
    FeedbackEvent,
    JobContext,
    ValidationFailed,
    clock,
    console_user_names,
    current_connection,
    current_tenant,
    customers_born_on,
    gettext,
    issue_coupon,
)

from .tiers import REGULAR, Tier, _tier, member_tier

log = logging.getLogger("hearth.plugins.loyalty")

BIRTHDAY_JOB = "loyalty.birthday_coupons"
SCORE_NAME = "member_priority"
_TIER_OF = (
    "select t.id, t.code, t.name, t.rank, t.min_spend, t.min_bookings, t.min_activity, t.points_multiplier_percent, "
    "t.dispatch_bonus, t.birthday_template_id, t.voucher_template_id, t.vouchers_per_year, t.support_agent_id, "
    "t.priority_categories, t.priority_items, t.priority_extra_days "
    "from loyalty_tier t where t.code = coalesce((select m.tier_code from loyalty_member m where m.customer_id = $1), $2)"
)


async def tier_of(customer_id: int) -> Tier | None:
    """The member's tier row (regular when they have no member row), in one query."""
    row = await current_connection().fetchrow(_TIER_OF, customer_id, REGULAR)
    return _tier(row) if row else None


# ---- priority dispatch


async def dispatch_score(candidate: DispatchCandidate) -> list[DispatchScore] | None:
    """A member whose tier carries a dispatch bonus: the same score for each of the order's
    workers (shown in "why this worker" with the tier's name) and the tier's rank as the order's
    batch priority, so their order chooses its worker first."""
    if candidate.customer_id is None:
        return None
    tier = await tier_of(candidate.customer_id)
    if tier is None or tier.dispatch_bonus <= 0:
        return None
    return [DispatchScore(
        name=SCORE_NAME, score=tier.dispatch_bonus / 100, priority=max(1, tier.rank),
        reason=gettext("%(tier)s member: priority dispatch", tier=tier.name), label=gettext("Member priority"),
    )]


# ---- the dedicated support agent


async def feedback_assignee(feedback: FeedbackEvent) -> int | None:
    tier = await tier_of(feedback.customer_id)
    return tier.support_agent_id if tier else None


async def support_agent_name(tier: Tier) -> str:
    if tier.support_agent_id is None:
        return ""
    return (await console_user_names([tier.support_agent_id], active_only=True)).get(tier.support_agent_id, "")


# ---- priority booking


async def priority_booking(customer_id: int) -> tuple[list[int], list[str], int]:
    """What the member's tier gives in booking: (item ids, category codes, extra days of booking
    horizon). Nothing for a tier without it; the booking part combines it with tasks' rewards."""
    tier = await tier_of(customer_id)
    if tier is None or not (tier.priority_items or tier.priority_categories or tier.priority_extra_days):
        return [], [], 0
    return list(tier.priority_items), list(tier.priority_categories), tier.priority_extra_days


# ---- vouchers: once per tier-year


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(current_tenant().timezone)).date()


def tier_year(since: date, today: date) -> int:
    """Which year of holding the tier `today` falls in (0 = the first), counted from `since`."""
    years = today.year - since.year - ((today.month, today.day) < (since.month, since.day))
    return max(0, years)


async def grant_vouchers(customer_id: int, tier: Tier, since: datetime | None) -> int:
    """The tier's free-service vouchers for the member's current tier-year (none twice: keyed by
    tier, the day the tier began and the year). Returns how many were issued or already there."""
    if tier.vouchers_per_year <= 0 or tier.voucher_template_id is None or since is None:
        return 0
    start = _local_day(since)
    year = tier_year(start, clock.today(current_tenant().timezone))
    given = 0
    for n in range(tier.vouchers_per_year):
        try:
            await issue_coupon(tier.voucher_template_id, customer_id, "loyalty", f"tier:{tier.code}:{year}",
                               f"voucher:{customer_id}:{tier.code}:{start.isoformat()}:{year}:{n}")
            given += 1
        except ValidationFailed as exc:
            log.warning("loyalty: no voucher for customer %s (%s)", customer_id, exc.fields)
            break
    return given


async def on_tier_changed(customer_id: int, tier: Tier) -> None:
    """A member moved to `tier` (their row is locked): the first tier-year's vouchers now."""
    held = await member_tier(customer_id)
    await grant_vouchers(customer_id, tier, held.since)


# A tier-year's vouchers are still given this many days after its anniversary: a night the batch
# did not run, or a run just past local midnight, loses none (the keys give them once).
ANNIVERSARY_CATCH_UP_DAYS = 7


def _anniversary(start: date, year: int) -> date:
    """The day tier-year `year` began (a tier that began on 29 February: 1 March in other years,
    as tier_year counts)."""
    try:
        return start.replace(year=start.year + year)
    except ValueError:
        return date(start.year + year, 3, 1)


async def anniversary_vouchers(customer_ids: list[int]) -> None:
    """Of these members (a nightly batch), those whose new tier-year began within the last
    ANNIVERSARY_CATCH_UP_DAYS: its vouchers (once: grant_vouchers is keyed by the year)."""
    today = clock.today(current_tenant().timezone)
    rows = await current_connection().fetch(
        "select m.customer_id, m.tier_since from loyalty_member m join loyalty_tier t on t.code = m.tier_code "
        "where m.customer_id = any($1::bigint[]) and t.vouchers_per_year > 0 and m.tier_since is not null",
        customer_ids,
    )
    for row in rows:
        start = _local_day(row["tier_since"])
        year = tier_year(start, today)
        if year >= 1 and (today - _anniversary(start, year)).days < ANNIVERSARY_CATCH_UP_DAYS:
            tier = await tier_of(row["customer_id"])
            if tier is not None:
                await grant_vouchers(row["customer_id"], tier, row["tier_since"])


# ---- the birthday coupon: a daily job per franchise, just after local midnight (00:05)


async def birthday_coupons(day: date) -> int:
    """Give each customer born on `day` (month and day) their tier's birthday coupon, once in
    `day`'s year. Returns how many customers have theirs."""
    ids = await customers_born_on(day)
    if not ids:
        return 0
    rows = await current_connection().fetch(
        "select c.id as customer_id, t.birthday_template_id from unnest($1::bigint[]) as c(id) "
        "left join loyalty_member m on m.customer_id = c.id "
        "join loyalty_tier t on t.code = coalesce(m.tier_code, $2) where t.birthday_template_id is not null",
        ids, REGULAR,
    )
    given = 0
    for row in rows:
        try:
            await issue_coupon(row["birthday_template_id"], row["customer_id"], "loyalty", f"birthday:{day.year}",
                               f"birthday:{row['customer_id']}:{day.year}")
            given += 1
        except ValidationFailed as exc:
            log.warning("loyalty: no birthday coupon for customer %s (%s)", row["customer_id"], exc.fields)
    return given


async def run_birthday_job(ctx: JobContext, payload: dict) -> None:
    """The day's birthday coupons: a daily job just after local midnight (JobHandler.daily_at)."""
    await birthday_coupons(clock.today(current_tenant().timezone))


# ---- what the member centre shows


class PrivilegeLine(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    label: str


async def privileges_of(tier: Tier) -> list[PrivilegeLine]:
    """The privileges a tier gives, in the current language (for the panel and the tiers page)."""
    lines: list[PrivilegeLine] = []
    if tier.points_multiplier_percent > 100:
        lines.append(PrivilegeLine(code="points", label=gettext("×%(times)s points on every order", times=_times(tier.points_multiplier_percent))))
    if tier.dispatch_bonus > 0:
        lines.append(PrivilegeLine(code="dispatch", label=gettext("Priority dispatch: your orders get a worker first")))
    if tier.birthday_template_id is not None:
        lines.append(PrivilegeLine(code="birthday", label=gettext("A birthday coupon every year")))
    if tier.vouchers_per_year > 0 and tier.voucher_template_id is not None:
        lines.append(PrivilegeLine(code="vouchers", label=gettext("%(count)s free-service vouchers a year", count=tier.vouchers_per_year)))
    if tier.support_agent_id is not None:
        name = await support_agent_name(tier)
        if name:
            lines.append(PrivilegeLine(code="support", label=gettext("Your own support agent: %(name)s", name=name)))
    if tier.priority_extra_days or tier.priority_items or tier.priority_categories:
        lines.append(PrivilegeLine(code="booking", label=gettext("Priority booking: %(days)s more days ahead", days=tier.priority_extra_days)))
    return lines


def _times(percent: int) -> str:
    return f"{percent / 100:g}"
