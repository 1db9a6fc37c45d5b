"""Invite codes and links. Each customer has one short code, unique in the franchise, without
letters that are confused when read aloud or typed (no 0/O, 1/I/L); the link is
`/p/referral/i/{code}`. Opening the link (a person, not a link preview) remembers the invite in
the core's referrer cookie as "referral:{code}:{first-opened epoch}" for `bind_days`: the FIRST
invite link opened wins (a later one within the window leaves the cookie as it is), unlike
loyalty's share links, where the last one wins."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

import msgspec

from platform_core.plugin_api import current_connection, current_tenant

# Upper case and digits only, without 0, O, 1, I and L: a code read over the phone survives.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
CODE_RE = re.compile(r"^[2-9A-HJKMNP-Z]{6}$")
REFERRER_RE = re.compile(r"^referral:([2-9A-HJKMNP-Z]{6}):(\d{1,12})$")


class InviteLink(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    path: str  # /p/referral/i/{code}, on the franchise's host


def normalise(code: str) -> str:
    """A typed code as stored: upper case, without spaces (the one a friend reads from a poster)."""
    return re.sub(r"\s+", "", code or "").upper()[:16]


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def code_of(customer_id: int) -> InviteLink:
    """The customer's code and link, made the first time (a clash with another customer's code,
    31^6 ≈ 887 million of them, takes another)."""
    conn = current_connection()
    for _ in range(8):
        await conn.execute(
            "insert into referral_code (tenant_id, customer_id, code) values ($1, $2, $3) on conflict do nothing",
            current_tenant().id, customer_id, _new_code())
        code = await conn.fetchval("select code from referral_code where customer_id = $1", customer_id)
        if code is not None:
            return InviteLink(code=code, path=f"/p/referral/i/{code}")
    raise RuntimeError("no free invite code")


async def owner_of(code: str, *, lock: bool = False) -> int | None:
    """The customer whose code this is in the current franchise (row-level security: another
    franchise's code is unknown here), or None. `lock`: hold their code row for this
    transaction (the order every change of an inviter's invites takes first)."""
    code = normalise(code)
    if not CODE_RE.match(code):
        return None
    return await current_connection().fetchval(
        "select customer_id from referral_code where code = $1" + (" for update" if lock else ""), code)


async def lock_inviter(customer_id: int) -> None:
    await current_connection().execute("select 1 from referral_code where customer_id = $1 for update", customer_id)


def referrer_value(code: str, opened_at: datetime) -> str:
    return f"referral:{code}:{int(opened_at.timestamp())}"


def parse_referrer(value: str) -> tuple[str, datetime] | None:
    """(code, first opened) of a referrer cookie this plugin set, else None."""
    match = REFERRER_RE.match(value or "")
    if match is None:
        return None
    return match.group(1), datetime.fromtimestamp(int(match.group(2)), tz=timezone.utc)


def keeps_first_touch(existing: str, now: datetime, bind_days: int) -> bool:
    """Whether a referrer already in the browser is an invite still within its window: then a
    later invite link does not replace it (first touch wins)."""
    found = parse_referrer(existing)
    return found is not None and (now - found[1]).total_seconds() < bind_days * 86400
