"""What the pages show: a customer's invitees, standing (level and progress), a leaderboard."""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.plugin_api import (
    current_connection,
    customer_cards,
    earnings_account,
    ledger_balance,
    plugin_config,
)

from .config import Level, ReferralConfig
from .rewards import RewardRow, rewards_of

# How a friend's invite reads to the inviter: signed up, spend reached, red packet paid.
INVITE_STATES = {"registered": "registered", "qualified": "qualified", "rewarded": "rewarded", "void": "registered"}


class Invitee(msgspec.Struct, frozen=True, kw_only=True):
    invite_id: int
    name: str  # masked: a friend's privacy is theirs
    bound_at: datetime
    state: str  # registered, qualified, rewarded (a voided invite reads as registered to the inviter)
    spend: int
    window_ends_at: datetime


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    invites: int
    successes: int
    level: Level | None
    next_level: Level | None
    to_next: int  # successful invites still needed
    percent: int
    earned: int  # red packets paid, minor units
    earnings_balance: int  # the customer's earnings account now


def mask_name(name: str, phone: str) -> str:
    """"陈**" or the masked phone's last four: enough for the inviter to recognise a friend."""
    name = name.strip()
    if name:
        return name[0] + "*" * min(2, max(1, len(name) - 1))
    return phone[-4:].rjust(7, "*") if phone else "***"


async def invitees(inviter_id: int, limit: int = 100) -> list[Invitee]:
    rows = await current_connection().fetch(
        "select id, invitee_id, bound_at, state, spend, window_ends_at from referral_invite where inviter_id = $1 "
        "order by bound_at desc, id desc limit $2", inviter_id, limit)
    cards = await customer_cards(r["invitee_id"] for r in rows)
    return [Invitee(invite_id=r["id"], name=mask_name(cards[r["invitee_id"]].display_name, cards[r["invitee_id"]].phone)
                    if r["invitee_id"] in cards else "***", bound_at=r["bound_at"], state=INVITE_STATES[r["state"]],
                    spend=r["spend"], window_ends_at=r["window_ends_at"]) for r in rows]


async def successes(inviter_id: int) -> int:
    return await current_connection().fetchval(
        "select count(*) from referral_invite where inviter_id = $1 and state = 'rewarded'", inviter_id)


async def standing(customer_id: int, currency: str) -> Standing:
    config = await plugin_config(ReferralConfig)
    conn = current_connection()
    done = await successes(customer_id)
    invites = await conn.fetchval("select count(*) from referral_invite where inviter_id = $1", customer_id)
    earned = await conn.fetchval(
        "select coalesce(sum(amount + bonus), 0) from referral_reward where customer_id = $1 and kind = 'cash' and state = 'paid'",
        customer_id)
    nxt = config.next_level(done)
    level = config.level_for(done)
    floor = level.threshold if level else 0
    percent = 100 if nxt is None else int(100 * (done - floor) / max(1, nxt.threshold - floor))
    return Standing(invites=invites, successes=done, level=level, next_level=nxt, to_next=(nxt.threshold - done) if nxt else 0,
                    percent=percent, earned=int(earned),
                    earnings_balance=await ledger_balance(earnings_account("customer", customer_id), currency))


class Leader(msgspec.Struct, frozen=True, kw_only=True):
    customer_id: int
    name: str
    phone: str  # masked
    invites: int
    successes: int
    earned: int


async def leaderboard(since: datetime | None, limit: int = 50) -> list[Leader]:
    """Inviters by successful invites bound since `since` (all time for None), then by invites."""
    rows = await current_connection().fetch(
        "select i.inviter_id, count(*) as invites, count(*) filter (where i.state = 'rewarded') as successes, "
        "  coalesce(sum(r.amount + r.bonus) filter (where r.state = 'paid' and r.kind = 'cash'), 0) as earned "
        "from referral_invite i left join referral_reward r on r.invite_id = i.id and r.role = 'inviter' "
        "where ($1::timestamptz is null or i.bound_at >= $1) group by i.inviter_id "
        "order by successes desc, invites desc, i.inviter_id limit $2", since, limit)
    cards = await customer_cards(r["inviter_id"] for r in rows)
    return [Leader(customer_id=r["inviter_id"], name=cards[r["inviter_id"]].display_name if r["inviter_id"] in cards else "",
                   phone=cards[r["inviter_id"]].phone if r["inviter_id"] in cards else "", invites=r["invites"],
                   successes=r["successes"], earned=int(r["earned"])) for r in rows]


async def my_rewards(customer_id: int) -> list[RewardRow]:
    return await rewards_of(customer_id)


async def support_agent(customer_id: int) -> int | None:
    """The console user of the highest level the inviter reached that names one
    (select_feedback_assignee)."""
    config = await plugin_config(ReferralConfig)
    done = await successes(customer_id)
    agents = [lv.support_agent_id for lv in config.levels if done >= lv.threshold and lv.support_agent_id]
    return agents[-1] if agents else None
