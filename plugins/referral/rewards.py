"""Rewards: the friend's welcome coupon, the inviter's red packet or voucher once the friend's
spend qualifies, the level vouchers, their reversal, and the review queue's decisions.

When a cash reward is paid: at once, when the friend's completed, paid spend within the window
reaches the threshold (the inviter sees it the moment the service is done). A refund within the
window that takes the spend below the threshold reverses it: `debit_earnings` takes back what the
earnings still hold (never below zero); what was withdrawn already is kept as `owed` on the reward
and taken from the inviter's next red packets (docs/referral.md, "When a red packet is paid").

Lock order: the friend's invite row, then the inviter's code row (codes.lock_inviter), then the
reward rows. Each state change is a conditional update, so of two racing callers one changes the
row and the other finds it changed (a second payment is impossible: the reward row is unique per
invite and role, the ledger key is the reward's id)."""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from platform_core.plugin_api import (
    Conflict,
    NotFound,
    ValidationFailed,
    clock,
    credit_earnings,
    current_connection,
    current_tenant,
    customer_fingerprints,
    debit_earnings,
    earnings_account,
    issue_coupon,
    lazy_gettext,
    ledger_balance,
    order_facts,
    plugin_config,
)

from . import codes
from .config import ReferralConfig

log = logging.getLogger("hearth.plugins.referral")

# Sharing these with the inviter voids the reward; sharing only an IP address (a household, an
# office, a campus) or only a device model's user agent holds it for review.
HARD = ("phone", "address", "same_device")
REASONS = {
    "phone": lazy_gettext("The same phone number on both sides"),
    "address": lazy_gettext("The same address on both sides"),
    "same_device": lazy_gettext("The same device on both sides"),
    "device": lazy_gettext("A device like the inviter's"),
    "ip": lazy_gettext("The same network as the inviter"),
    "over_limit": lazy_gettext("Over the inviter's daily limit"),
    "burst": lazy_gettext("Many friends in a short time"),
    "refund": lazy_gettext("The friend's spend was refunded"),
    "no_template": lazy_gettext("The coupon template in the settings is gone"),
}


class RewardRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    invite_id: int | None
    customer_id: int
    role: str  # inviter, invitee, level
    kind: str  # cash, coupon
    amount: int
    bonus: int
    credited: int
    currency: str
    coupon_id: int | None
    level_threshold: int | None
    state: str  # pending, held, paid, voided, reversed
    reason: str
    owed: int
    created_at: datetime
    paid_at: datetime | None
    decided_at: datetime | None

    @property
    def total(self) -> int:
        return self.amount + self.bonus


_COLUMNS = ("id, invite_id, customer_id, role, kind, amount, bonus, credited, currency, coupon_id, level_threshold, state, reason, "
            "owed, created_at, paid_at, decided_at")


def _row(r) -> RewardRow:
    return RewardRow(**dict(r))


def reason_text(reason: str) -> list[str]:
    """The reasons of a hold or a void as msgids ("ip,burst" → two phrases; a template shows them
    with `|map("t")`); a reviewer's own words as they are."""
    parts = [p for p in reason.split(",") if p]
    if parts and all(p in REASONS for p in parts):
        return [str(REASONS[p]) for p in parts]
    return [reason] if reason else []


# ---- the friend's welcome coupon


async def welcome(invite_id: int, invitee_id: int, config: ReferralConfig, *, flags: str) -> RewardRow:
    held = bool(flags)
    reward_id = await current_connection().fetchval(
        "insert into referral_reward (tenant_id, invite_id, customer_id, role, kind, currency, coupon_template_id, state, reason) "
        "values ($1, $2, $3, 'invitee', 'coupon', $4, $5, $6, $7) on conflict do nothing returning id",
        current_tenant().id, invite_id, invitee_id, current_tenant().currency, config.invitee_coupon_template_id,
        "held" if held else "pending", flags)
    if reward_id is not None and not held:
        await _pay(reward_id)
    return await get_reward(reward_id) if reward_id else await _reward_of(invite_id, "invitee")


# ---- the friend's spend


async def order_settled(order_id: int, at: datetime) -> None:
    """An order of a friend was completed, paid or refunded (on_order_completed, on_order_paid,
    on_refund_succeeded): count what it adds to the friend's spend within the window, then
    qualify the invite or reverse its reward. A fact after the window changes nothing."""
    facts = await order_facts(order_id)
    conn = current_connection()
    invite = await conn.fetchrow(
        "select id, inviter_id, invitee_id, state, window_ends_at, flags from referral_invite where invitee_id = $1 for update",
        facts.customer_id)
    if invite is None or invite["state"] == "void" or at > invite["window_ends_at"]:
        return
    counted = facts.net_paid if facts.completed and facts.paid_at is not None else 0
    await conn.execute(
        "insert into referral_spend (tenant_id, invite_id, order_id, amount) values ($1, $2, $3, $4) "
        "on conflict (tenant_id, invite_id, order_id) do update set amount = excluded.amount, updated_at = now()",
        current_tenant().id, invite["id"], order_id, counted)
    spend = await conn.fetchval(
        "update referral_invite set spend = (select coalesce(sum(amount), 0) from referral_spend where invite_id = $1) "
        "where id = $1 returning spend", invite["id"])
    config = await plugin_config(ReferralConfig)
    if spend >= config.threshold and invite["state"] == "registered":
        await _qualify(invite, config)
    elif spend < config.threshold and invite["state"] in ("qualified", "rewarded"):
        await _reverse(invite)


async def _qualify(invite, config: ReferralConfig) -> None:
    """The friend's spend reached the threshold: the inviter's reward, paid, held or voided by
    what the two accounts share and the invite's flags."""
    conn = current_connection()
    inviter_id, invitee_id = invite["inviter_id"], invite["invitee_id"]
    prints = await customer_fingerprints([inviter_id, invitee_id])
    shared = prints[inviter_id].shared_with(prints[invitee_id]) if len(prints) == 2 else []
    if "device" in shared and "ip" in shared:
        shared = [s for s in shared if s not in ("device", "ip")] + ["same_device"]
    hard = [s for s in shared if s in HARD]
    soft = [s for s in shared if s not in HARD] + [f for f in invite["flags"].split(",") if f]
    state, reason = ("voided", ",".join(hard)) if hard else ("held", ",".join(soft)) if soft else ("pending", "")
    await codes.lock_inviter(inviter_id)
    reward_id = await conn.fetchval(
        "insert into referral_reward (tenant_id, invite_id, customer_id, role, kind, amount, currency, coupon_template_id, state, reason) "
        "values ($1, $2, $3, 'inviter', $4, $5, $6, $7, $8, $9) on conflict do nothing returning id",
        current_tenant().id, invite["id"], inviter_id, config.inviter_reward,
        config.inviter_amount if config.inviter_reward == "cash" else 0, current_tenant().currency,
        config.inviter_coupon_template_id if config.inviter_reward == "coupon" else None, state, reason)
    if reward_id is None:
        return  # rewarded before (and since reversed): an invite pays once
    await conn.execute("update referral_invite set state = 'qualified', qualified_at = $2 where id = $1", invite["id"], clock.now())
    if state == "voided":
        await conn.execute("update referral_invite set state = 'void' where id = $1", invite["id"])
        log.info("referral reward %s voided: %s", reward_id, reason)
    elif state == "pending":
        await _pay(reward_id)


async def _successes(inviter_id: int) -> int:
    return await current_connection().fetchval(
        "select count(*) from referral_invite where inviter_id = $1 and state = 'rewarded'", inviter_id)


async def _pay(reward_id: int) -> RewardRow:
    """Pay a pending or held reward: the red packet (with the level's bonus, less what the
    inviter owes from reversals) to their earnings, or the coupon; the invite is then rewarded
    and a level the inviter reaches gives its voucher."""
    conn = current_connection()
    row = await conn.fetchrow(f"select {_COLUMNS}, coupon_template_id from referral_reward where id = $1 for update", reward_id)
    if row["state"] not in ("pending", "held"):
        raise Conflict(lazy_gettext("This reward has been decided already."))
    config = await plugin_config(ReferralConfig)
    reward = _row({k: v for k, v in row.items() if k != "coupon_template_id"})
    coupon_id, bonus, credited = None, 0, 0
    if reward.kind == "cash":
        if reward.role == "inviter":
            level = config.level_for(await _successes(reward.customer_id))
            bonus = level.bonus if level else 0
        credited = await _recover_owed(reward.customer_id, reward.amount + bonus, reward.id)
        if credited:
            await credit_earnings("customer", reward.customer_id, reward.currency, credited, key=f"referral:reward:{reward.id}",
                                  memo=f"referral reward {reward.id}")
    else:
        try:
            async with conn.transaction():  # a savepoint: a template at its limit leaves the reward held
                coupon = await issue_coupon(row["coupon_template_id"], reward.customer_id, "referral", f"reward:{reward.id}",
                                            f"reward:{reward.id}")
            coupon_id = coupon.id
        except (ValidationFailed, NotFound) as exc:  # NotFound: the settings name a template no longer there
            reason = str(next(iter(exc.fields.values())))[:200] if isinstance(exc, ValidationFailed) else "no_template"
            await conn.execute("update referral_reward set state = 'held', reason = $2 where id = $1", reward.id, reason)
            return await get_reward(reward.id)
    await conn.execute(
        "update referral_reward set state = 'paid', bonus = $2, credited = $3, coupon_id = $4, paid_at = $5 where id = $1",
        reward.id, bonus, credited, coupon_id, clock.now())
    if reward.role == "inviter" and reward.invite_id is not None:
        await conn.execute("update referral_invite set state = 'rewarded' where id = $1", reward.invite_id)
        await _level_voucher(reward.customer_id, config)
    return await get_reward(reward.id)


async def _recover_owed(customer_id: int, amount: int, reward_id: int) -> int:
    """What of a new red packet reaches the earnings after paying back what the customer owes
    from reversed red packets (oldest first)."""
    conn = current_connection()
    left = amount
    for r in await conn.fetch(
        "select id, owed - recovered as due from referral_reward where customer_id = $1 and owed > recovered and id <> $2 "
        "order by id for update", customer_id, reward_id,
    ):
        take = min(left, r["due"])
        if take:
            await conn.execute("update referral_reward set recovered = recovered + $2 where id = $1", r["id"], take)
            left -= take
    return left


async def _level_voucher(inviter_id: int, config: ReferralConfig) -> None:
    """The voucher of each level the inviter has reached, once per level."""
    successes = await _successes(inviter_id)
    conn = current_connection()
    for level in config.levels:
        if successes < level.threshold or not level.voucher_template_id:
            continue
        reward_id = await conn.fetchval(
            "insert into referral_reward (tenant_id, customer_id, role, kind, currency, coupon_template_id, level_threshold, state) "
            "values ($1, $2, 'level', 'coupon', $3, $4, $5, 'pending') on conflict do nothing returning id",
            current_tenant().id, inviter_id, current_tenant().currency, level.voucher_template_id, level.threshold)
        if reward_id is not None:
            await _pay(reward_id)


async def _reverse(invite) -> None:
    """A refund took the friend's spend below the threshold within the window: the inviter's
    reward is reversed (a held one voided); the invite may not pay again."""
    conn = current_connection()
    await codes.lock_inviter(invite["inviter_id"])
    await conn.execute("update referral_invite set state = 'registered' where id = $1", invite["id"])
    row = await conn.fetchrow(f"select {_COLUMNS} from referral_reward where invite_id = $1 and role = 'inviter' for update", invite["id"])
    if row is None:
        return
    reward = _row(row)
    now = clock.now()
    if reward.state in ("pending", "held"):
        await conn.execute("update referral_reward set state = 'voided', reason = 'refund', decided_at = $2 where id = $1", reward.id, now)
        return
    if reward.state != "paid":
        return
    owed = 0
    if reward.kind == "cash" and reward.total:
        take = 0
        for _ in range(3):
            held = await ledger_balance(earnings_account("customer", reward.customer_id), reward.currency)
            take = max(0, min(held, reward.credited))
            if not take:
                break
            try:
                async with conn.transaction():  # a savepoint: a withdrawal that took some since the read refuses it
                    await debit_earnings("customer", reward.customer_id, reward.currency, take,
                                         key=f"referral:reversal:{reward.id}", memo=f"referral reward {reward.id} reversed")
                break
            except ValidationFailed:
                take = 0  # read the earnings again (the debit locked them) and take what is left
        owed = reward.total - take
    await conn.execute("update referral_reward set state = 'reversed', reason = 'refund', owed = $2, decided_at = $3 where id = $1",
                       reward.id, owed, now)


# ---- the review queue


async def _lock_for_decision(reward_id: int) -> None:
    """A reviewer's decision takes the module's lock order: the friend's invite row, then the
    inviter's code row, before the reward's row (a refund reversing the same invite takes them in
    this order too; the other order deadlocks). NotFound for a reward of no row."""
    conn = current_connection()
    row = await conn.fetchrow("select invite_id, customer_id from referral_reward where id = $1", reward_id)
    if row is None:
        raise NotFound("reward")
    inviter_id = row["customer_id"]  # a level's voucher: the inviter's own
    if row["invite_id"] is not None:
        inviter_id = await conn.fetchval("select inviter_id from referral_invite where id = $1 for update", row["invite_id"])
    await codes.lock_inviter(inviter_id)


async def approve(reward_id: int, console_user_id: int) -> RewardRow:
    """Pay a held reward (Conflict when someone decided it first, or when its coupon can still not
    be issued: the request's transaction is then undone and the reward stays held)."""
    conn = current_connection()
    await _lock_for_decision(reward_id)
    state = await conn.fetchval("select state from referral_reward where id = $1 for update", reward_id)
    if state != "held":
        raise Conflict(lazy_gettext("This reward has been decided already."))
    await conn.execute("update referral_reward set decided_by = $2, decided_at = $3 where id = $1", reward_id, console_user_id, clock.now())
    paid = await _pay(reward_id)
    if paid.state != "paid":  # its coupon's template still refuses (a limit, archived): nothing was issued
        raise Conflict(lazy_gettext("The coupon could not be issued, so the reward stays held. The reason is in its row."))
    return paid


async def void(reward_id: int, console_user_id: int, reason: str) -> RewardRow:
    """Void a held reward with the reviewer's reason (Conflict when someone decided it first)."""
    reason = reason.strip()
    if not reason or "\x00" in reason or len(reason) > 200:
        raise ValidationFailed({"reason": lazy_gettext("Say in at most 200 characters why the reward is voided.")})
    conn = current_connection()
    await _lock_for_decision(reward_id)
    moved = await conn.fetchrow(
        "update referral_reward set state = 'voided', reason = $2, decided_by = $3, decided_at = $4 "
        "where id = $1 and state = 'held' returning invite_id, role", reward_id, reason, console_user_id, clock.now())
    if moved is None:
        await get_reward(reward_id)
        raise Conflict(lazy_gettext("This reward has been decided already."))
    if moved["role"] == "inviter":
        await conn.execute("update referral_invite set state = 'void' where id = $1", moved["invite_id"])
    return await get_reward(reward_id)


# ---- reading


async def get_reward(reward_id: int) -> RewardRow:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from referral_reward where id = $1", reward_id)
    if row is None:
        raise NotFound("reward")
    return _row(row)


async def _reward_of(invite_id: int, role: str) -> RewardRow:
    row = await current_connection().fetchrow(
        f"select {_COLUMNS} from referral_reward where invite_id = $1 and role = $2", invite_id, role)
    return _row(row)


async def rewards_of(customer_id: int, limit: int = 50) -> list[RewardRow]:
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from referral_reward where customer_id = $1 order by created_at desc, id desc limit $2", customer_id, limit)
    return [_row(r) for r in rows]


async def list_rewards(state: str | None, limit: int = 200) -> list[RewardRow]:
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from referral_reward where ($1::text is null or state = $1) order by created_at desc, id desc limit $2",
        state, limit)
    return [_row(r) for r in rows]
