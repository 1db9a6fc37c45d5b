"""Binding a new customer to the friend who invited them (on_customer_registered, in the same
transaction as the new account).

- The invite comes from the referrer cookie an invite link left (first touch, codes.py) when the
  link was opened within `bind_days` of the sign-up; otherwise from a code typed at sign-up.
- Only a new customer is bound (the hook is told of new accounts only), once (the friend's row is
  unique: never rebound), never to themselves.
- The inviter's code row is locked first, so two friends signing up at once are counted one after
  the other against the daily limit: beyond `daily_limit` a day, or `burst_count` within
  `burst_hours`, the invite is flagged and its rewards wait in the review queue.
- The friend's welcome coupon is issued at once (held with the invite when it is flagged)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from platform_core.plugin_api import (
    CustomerEvent,
    current_connection,
    current_tenant,
    plugin_config,
)

from . import codes, rewards
from .config import ReferralConfig


def _day_start(at: datetime, tz: str) -> datetime:
    local = at.astimezone(ZoneInfo(tz))
    return datetime.combine(local.date(), time(0), tzinfo=ZoneInfo(tz))


async def registered(event: CustomerEvent) -> int | None:
    """Bind the new customer to their inviter; the invite's id, or None when nothing binds."""
    config = await plugin_config(ReferralConfig)
    via, code = "link", ""
    found = codes.parse_referrer(event.attribution.get("referrer", ""))
    if found is not None and (event.occurred_at - found[1]) < timedelta(days=config.bind_days):
        code = found[0]
    elif event.attribution.get("invite"):
        via, code = "code", event.attribution["invite"]
    if not code:
        return None
    inviter_id = await codes.owner_of(code, lock=True)
    if inviter_id is None or inviter_id == event.customer_id:
        return None
    conn = current_connection()
    tenant = current_tenant()
    flags: list[str] = []
    today = await conn.fetchval(
        "select count(*) from referral_invite where inviter_id = $1 and bound_at >= $2",
        inviter_id, _day_start(event.occurred_at, tenant.timezone))
    if today >= config.daily_limit:
        flags.append("over_limit")
    if config.burst_hours:
        recent = await conn.fetchval(
            "select count(*) from referral_invite where inviter_id = $1 and bound_at > $2",
            inviter_id, event.occurred_at - timedelta(hours=config.burst_hours))
        if recent + 1 >= config.burst_count:
            flags.append("burst")
    invite_id = await conn.fetchval(
        "insert into referral_invite (tenant_id, inviter_id, invitee_id, code, via, bound_at, window_ends_at, currency, flags) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, invitee_id) do nothing returning id",
        tenant.id, inviter_id, event.customer_id, codes.normalise(code), via, event.occurred_at,
        event.occurred_at + timedelta(days=config.window_days), tenant.currency, ",".join(flags))
    if invite_id is not None and config.invitee_coupon_template_id:
        await rewards.welcome(invite_id, event.customer_id, config, flags=",".join(flags))
    return invite_id
