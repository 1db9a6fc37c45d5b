"""Member tiers: a franchise's tiers (seeded when loyalty is turned on, edited in the console), a
member's tier on their loyalty_member row, and its evaluation.

A member qualifies for a tier when they meet every threshold the tier sets (0 sets none) over
the rolling 12 months before now: what they paid for completed orders, how many orders were
completed (both from orders, `customer_activity`), and their activity (`activity_counts`). The
highest tier they qualify for is their target. Evaluation (on each completed order, and nightly
per franchise in restartable batches) upgrades at once; a member whose target is lower keeps
their tier for the grace period (`tier_grace_days`), with `downgrade_due` set so the member
centre can say so, and is moved down on the first evaluation on or after that day. Meeting the
tier again in the grace period clears it.

Row-lock order: the member's loyalty_member row first (`points.lock_member`, or the batch's rows
in customer order), then anything else."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Iterable

import msgspec

from platform_core.plugin_api import (
    JobContext,
    NotFound,
    SegmentFilterSpec,
    SegmentSql,
    ValidationFailed,
    clock,
    console_user_names,
    coupon_templates,
    current_connection,
    current_tenant,
    customer_activity,
    customer_review_counts,
    enqueue,
    plugin_config,
)

from . import points
from .config import LoyaltyConfig

EVALUATE_JOB = "loyalty.evaluate_tiers"
BATCH = 500
WINDOW = timedelta(days=365)
REGULAR = "regular"

# ---- boundary types

Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00]*$")]
Minor = Annotated[int, msgspec.Meta(ge=0, le=100_000_000_000)]
Count = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
CategoryCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,63}$")]
ItemId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
TemplateId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class TierFields(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the console edits of a tier (its code stays)."""

    name: Name
    rank: Annotated[int, msgspec.Meta(ge=0, le=100)]
    min_spend: Minor = 0
    min_bookings: Count = 0
    min_activity: Count = 0
    points_multiplier_percent: Annotated[int, msgspec.Meta(ge=100, le=1000)] = 100
    dispatch_bonus: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    birthday_template_id: TemplateId | None = None
    voucher_template_id: TemplateId | None = None
    vouchers_per_year: Annotated[int, msgspec.Meta(ge=0, le=24)] = 0
    support_agent_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)] | None = None
    priority_categories: Annotated[list[CategoryCode], msgspec.Meta(max_length=50)] = []
    priority_items: Annotated[list[ItemId], msgspec.Meta(max_length=100)] = []
    priority_extra_days: Annotated[int, msgspec.Meta(ge=0, le=90)] = 0


class Tier(TierFields, frozen=True, kw_only=True):
    id: int
    code: Code


class Progress(msgspec.Struct, frozen=True, kw_only=True):
    """What a member has over 12 months and what the next tier still needs (0 = met)."""

    spend_minor: int
    completed_orders: int
    activity: int
    next_tier: Tier | None = None
    missing_spend: int = 0
    missing_bookings: int = 0
    missing_activity: int = 0
    percent: int = 100  # how far towards the next tier, the least-met threshold (0..100)


class MemberTier(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int
    tier: Tier
    since: datetime | None
    downgrade_due: date | None = None
    downgrade_to: Tier | None = None


# ---- the franchise's tiers

_DEFAULT_NAMES = {
    "zh": {"regular": "普通会员", "silver": "白银会员", "gold": "黄金会员", "platinum": "铂金会员"},
    "en": {"regular": "Regular", "silver": "Silver", "gold": "Gold", "platinum": "Platinum"},
}
# code, rank, 12-month spend (minor units), completed bookings, points %, dispatch bonus, extra days
_DEFAULTS = (
    ("regular", 0, 0, 0, 100, 0, 0),
    ("silver", 1, 100_000, 3, 120, 0, 0),
    ("gold", 2, 300_000, 8, 150, 50, 3),
    ("platinum", 3, 800_000, 20, 200, 100, 7),
)
_COLUMNS = (
    "id, code, name, rank, min_spend, min_bookings, min_activity, points_multiplier_percent, dispatch_bonus, "
    "birthday_template_id, voucher_template_id, vouchers_per_year, support_agent_id, priority_categories, "
    "priority_items, priority_extra_days"
)


def _tier(row) -> Tier:
    data = dict(row)
    for key in ("priority_categories", "priority_items"):
        if isinstance(data[key], str):
            data[key] = msgspec.json.decode(data[key])
    return msgspec.convert(data, Tier)


async def seed_default_tiers() -> None:
    """The four default tiers, named in the franchise's language; a tier already there stays."""
    tenant = current_tenant()
    names = _DEFAULT_NAMES["zh" if tenant.locale.startswith("zh") else "en"]
    await current_connection().executemany(
        "insert into loyalty_tier (tenant_id, code, name, rank, min_spend, min_bookings, points_multiplier_percent, "
        "dispatch_bonus, priority_extra_days) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, code) do nothing",
        [(tenant.id, code, names[code], rank, spend, bookings, pct, bonus, days) for code, rank, spend, bookings, pct, bonus, days in _DEFAULTS],
    )


async def list_tiers() -> list[Tier]:
    """The franchise's tiers, lowest first."""
    rows = await current_connection().fetch(f"select {_COLUMNS} from loyalty_tier order by rank, code")
    return [_tier(r) for r in rows]


async def get_tier(code: str) -> Tier:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from loyalty_tier where code = $1", code)
    if row is None:
        raise NotFound("tier")
    return _tier(row)


def _regular() -> Tier:
    """The tier of a member whose franchise has none (or whose tier was removed)."""
    return Tier(id=0, code=REGULAR, name=REGULAR, rank=0)


async def update_tier(code: str, data: TierFields) -> Tier:
    """Save a tier's name, thresholds and privileges. Ranks are unique, and a higher tier may not
    ask less than a lower one (a field error names the threshold)."""
    tiers = {t.code: t for t in await list_tiers()}
    if code not in tiers:
        raise NotFound("tier")
    others = [t for c, t in tiers.items() if c != code]
    if any(t.rank == data.rank for t in others):
        raise ValidationFailed({"rank": "Another tier has this rank."})
    if data.rank == 0 and (data.min_spend or data.min_bookings or data.min_activity):
        raise ValidationFailed({"min_spend": "The lowest tier is for everyone: it can not ask anything."})
    for field in ("min_spend", "min_bookings", "min_activity"):
        value = getattr(data, field)
        if any(t.rank < data.rank and getattr(t, field) > value for t in others):
            raise ValidationFailed({field: "A higher tier can not ask less than a lower one."})
        if any(t.rank > data.rank and getattr(t, field) < value for t in others):
            raise ValidationFailed({field: "A lower tier can not ask more than a higher one."})
    templates = {t.id for t in await coupon_templates()}
    for field in ("birthday_template_id", "voucher_template_id"):
        if getattr(data, field) is not None and getattr(data, field) not in templates:
            raise ValidationFailed({field: "Choose one from the list."})
    if data.support_agent_id is not None and not await console_user_names([data.support_agent_id], active_only=True):
        raise ValidationFailed({"support_agent_id": "Choose one from the list."})
    if data.vouchers_per_year and data.voucher_template_id is None:
        raise ValidationFailed({"voucher_template_id": "Choose the coupon the vouchers are."})
    row = await current_connection().fetchrow(
        "update loyalty_tier set name = $2, rank = $3, min_spend = $4, min_bookings = $5, min_activity = $6, "
        "points_multiplier_percent = $7, dispatch_bonus = $8, birthday_template_id = $9, voucher_template_id = $10, "
        "vouchers_per_year = $11, support_agent_id = $12, priority_categories = $13::jsonb, priority_items = $14::jsonb, "
        "priority_extra_days = $15, updated_at = now() where code = $1 "
        f"returning {_COLUMNS}",
        code, data.name.strip(), data.rank, data.min_spend, data.min_bookings, data.min_activity,
        data.points_multiplier_percent, data.dispatch_bonus, data.birthday_template_id, data.voucher_template_id,
        data.vouchers_per_year, data.support_agent_id, msgspec.json.encode(sorted(set(data.priority_categories))).decode(),
        msgspec.json.encode(sorted(set(data.priority_items))).decode(), data.priority_extra_days,
    )
    return _tier(row)


async def tier_spread() -> list[tuple[Tier, int]]:
    """How many members each tier has (members without a row are regular)."""
    tiers = await list_tiers()
    rows = await current_connection().fetch("select tier_code, count(*) as n from loyalty_member group by tier_code")
    counts = {r["tier_code"]: r["n"] for r in rows}
    return [(t, counts.get(t.code, 0)) for t in tiers]


# ---- a member's tier


async def member_tier(customer_id: int) -> MemberTier:
    """The member's tier now (regular without a row), and a downgrade that is due."""
    row = await current_connection().fetchrow(
        "select tier_code, tier_since, downgrade_due from loyalty_member where customer_id = $1", customer_id,
    )
    tiers = {t.code: t for t in await list_tiers()}
    if row is None:
        return MemberTier(customer_id=customer_id, tier=tiers.get(REGULAR) or _regular(), since=None)
    tier = tiers.get(row["tier_code"]) or tiers.get(REGULAR) or _regular()
    downgrade_to = None
    if row["downgrade_due"] is not None:
        downgrade_to = _target(tiers.values(), *(await _standing([customer_id]))[0])
    return MemberTier(customer_id=customer_id, tier=tier, since=row["tier_since"], downgrade_due=row["downgrade_due"],
                      downgrade_to=downgrade_to)


async def points_multiplier_percent(customer_id: int) -> int:
    """The member's tier's points multiplier in percent (100 = ×1), for earning."""
    value = await current_connection().fetchval(
        "select t.points_multiplier_percent from loyalty_member m join loyalty_tier t on t.code = m.tier_code "
        "where m.customer_id = $1", customer_id,
    )
    return value or 100


async def activity_counts(customer_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """Each member's activity since `since`: the one source of the activity threshold. The
    reviews they wrote (reviews' `customer_review_counts`) and their daily check-ins."""
    ids = list(customer_ids)
    counts = await customer_review_counts(ids, since)
    for row in await current_connection().fetch(
        "select customer_id, count(*) as n from loyalty_checkin where customer_id = any($1::bigint[]) and created_at >= $2 "
        "group by customer_id", ids, since,
    ):
        counts[row["customer_id"]] = counts.get(row["customer_id"], 0) + row["n"]
    return counts


async def _standing(customer_ids: list[int]) -> list[tuple[int, int, int]]:
    """(spend, completed orders, activity) per customer over the 12 months before now, in the
    order given, read in one query per source."""
    since = clock.now() - WINDOW
    orders = await customer_activity(customer_ids, since)
    activity = await activity_counts(customer_ids, since)
    found = []
    for cid in customer_ids:
        done = orders.get(cid)
        found.append((done.spend_minor if done else 0, done.completed_orders if done else 0, activity.get(cid, 0)))
    return found


def _qualifies(tier: Tier, spend: int, bookings: int, activity: int) -> bool:
    return spend >= tier.min_spend and bookings >= tier.min_bookings and activity >= tier.min_activity


def _target(tiers: Iterable[Tier], spend: int, bookings: int, activity: int) -> Tier:
    ranked = sorted(tiers, key=lambda t: t.rank)
    met = [t for t in ranked if _qualifies(t, spend, bookings, activity)]
    return met[-1] if met else (ranked[0] if ranked else _regular())


def progress_of(tiers: list[Tier], current: Tier, spend: int, bookings: int, activity: int) -> Progress:
    """What the member has and what the tier above their current one still needs."""
    above = [t for t in sorted(tiers, key=lambda t: t.rank) if t.rank > current.rank]
    if not above:
        return Progress(spend_minor=spend, completed_orders=bookings, activity=activity)
    nxt = above[0]
    shares = [min(1.0, have / need) for have, need in ((spend, nxt.min_spend), (bookings, nxt.min_bookings), (activity, nxt.min_activity)) if need]
    return Progress(
        spend_minor=spend, completed_orders=bookings, activity=activity, next_tier=nxt,
        missing_spend=max(0, nxt.min_spend - spend), missing_bookings=max(0, nxt.min_bookings - bookings),
        missing_activity=max(0, nxt.min_activity - activity), percent=int(min(shares, default=1.0) * 100),
    )


async def progress(customer_id: int) -> Progress:
    tiers = await list_tiers()
    current = (await member_tier(customer_id)).tier
    spend, bookings, activity = (await _standing([customer_id]))[0]
    return progress_of(tiers, current, spend, bookings, activity)


async def evaluate(customer_id: int) -> MemberTier:
    """Re-evaluate one member (a completed order): lock their row, then move them."""
    await points.lock_member(customer_id)
    await _evaluate_locked([customer_id])
    return await member_tier(customer_id)


async def _evaluate_locked(customer_ids: list[int]) -> list[tuple[int, str, str]]:
    """Evaluate members whose loyalty_member rows this transaction holds. Returns the changes
    (customer, from, to) made."""
    config = await plugin_config(LoyaltyConfig)
    tiers = await list_tiers()
    if not tiers:
        return []
    by_code = {t.code: t for t in tiers}
    today = clock.today(current_tenant().timezone)
    rows = {r["customer_id"]: r for r in await current_connection().fetch(
        "select customer_id, tier_code, downgrade_due from loyalty_member where customer_id = any($1::bigint[])", customer_ids,
    )}
    updates: list[tuple[int, str, bool, date | None]] = []  # customer, tier, moved (tier_since = now), downgrade_due
    changes = []
    standing = await _standing(customer_ids)
    for cid, (spend, bookings, activity) in zip(customer_ids, standing):
        row = rows.get(cid)
        if row is None:
            continue
        current = by_code.get(row["tier_code"]) or by_code.get(REGULAR) or tiers[0]
        target = _target(tiers, spend, bookings, activity)
        due = row["downgrade_due"]
        if target.rank > current.rank or row["tier_code"] not in by_code:
            updates.append((cid, target.code, True, None))
        elif target.rank == current.rank:
            if due is not None:
                updates.append((cid, current.code, False, None))
        elif due is None:
            updates.append((cid, current.code, False, today + timedelta(days=config.tier_grace_days)))
        elif today >= due:
            updates.append((cid, target.code, True, None))
        else:
            continue
        if updates and updates[-1][2] and updates[-1][1] != row["tier_code"]:
            changes.append((cid, row["tier_code"], updates[-1][1]))
    if updates:
        await current_connection().executemany(
            "update loyalty_member set tier_code = $2, downgrade_due = $4, "
            "tier_since = case when $3 then now() else tier_since end where customer_id = $1",
            updates,
        )
    if changes:
        from .privileges import on_tier_changed

        for cid, _, to in changes:
            await on_tier_changed(cid, by_code[to])
    return changes


# ---- the nightly evaluation: a job per franchise, one batch per run, restartable


async def evaluate_batch(after: int, limit: int = BATCH) -> int | None:
    """Evaluate the next `limit` members after customer id `after`, locking their rows in
    customer order. Returns the last customer evaluated, or None when there are no more."""
    ids = [r["customer_id"] for r in await current_connection().fetch(
        "select customer_id from loyalty_member where customer_id > $1 order by customer_id limit $2 for update",
        after, limit,
    )]
    if not ids:
        return None
    await _evaluate_locked(ids)
    from .privileges import anniversary_vouchers

    await anniversary_vouchers(ids)
    return ids[-1]


async def run_evaluate_job(ctx: JobContext, payload: dict) -> None:
    """One batch of the nightly evaluation (a daily job at 03:30, JobHandler.daily_at, with an
    empty payload); the next batch is its own job, so a crash retries only the batch it was in."""
    after = int(payload.get("after") or 0)
    night = str(payload.get("night") or clock.today(current_tenant().timezone).isoformat())
    last = await evaluate_batch(after)
    if last is not None:
        await enqueue(EVALUATE_JOB, {"night": night, "after": last}, key=f"night:{night}:{last}")


async def on_order_completed(customer_id: int | None) -> None:
    """A completed order may lift the member at once."""
    if customer_id is not None:
        await evaluate(customer_id)


# ---- the "member tier" segment filter (promotions' and marketing's segments)


class TierSegmentParams(msgspec.Struct, frozen=True, kw_only=True):
    tier: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[a-z][a-z0-9_]{0,31}$")] = REGULAR
    or_higher: bool = False


def tier_members(params: TierSegmentParams) -> SegmentSql:
    """Members of the tier (with `or_higher`, of it or any tier ranked above), from the plugin's
    own tables (index loyalty_member_tier). A customer without a member row is regular, so the
    lowest tier is said the other way round: everyone except the members of other tiers."""
    if params.tier == REGULAR:
        if params.or_higher:
            return SegmentSql(sql="select customer_id from loyalty_member where false", exclude=True)
        return SegmentSql(sql="select customer_id from loyalty_member where tier_code <> $1", args=(REGULAR,), exclude=True)
    if params.or_higher:
        return SegmentSql(
            sql="select m.customer_id from loyalty_member m join loyalty_tier t on t.code = m.tier_code "
            "where t.rank >= (select rank from loyalty_tier where code = $1)",
            args=(params.tier,),
        )
    return SegmentSql(sql="select customer_id from loyalty_member where tier_code = $1", args=(params.tier,))


async def tier_options() -> dict[str, list[tuple[str, str]]]:
    return {"tier": [(tier.code, tier.name) for tier in await list_tiers()]}


def segment_filters() -> list[SegmentFilterSpec]:
    return [SegmentFilterSpec(name="loyalty_tier", label="Member tier", params=TierSegmentParams, members=tier_members,
                              options=tier_options, param_labels={"tier": "Tier", "or_higher": "Or a higher tier"}, order=60)]
