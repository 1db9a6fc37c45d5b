"""Linked sign-ins: a customer's accounts at login providers (core_login_identity).

One person has one customer account whatever way they sign in: an identity is linked to the
customer of a phone number (or one the first sign-in creates), and a provider's unionid finds
the customer from any of the franchise's apps of that provider. Every query runs in the tenant's
transaction (RLS); the owner checks are in the WHERE clauses.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound
from platform_core.pluginsys.contexts import LoginIdentity
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext

# How long a verified identity new to the franchise waits for its phone step.
PENDING_TTL = 900

LINKED_ELSEWHERE = lazy_gettext(
    "This account is already linked to another customer. Sign in with it, or unlink it from that customer first.")
ANOTHER_LINKED = lazy_gettext("Another account of this sign-in method is already linked. Unlink it first.")
LAST_WAY_IN = lazy_gettext("This is your only way to sign in. Add a phone number before you unlink it.")


class LinkedIdentity(msgspec.Struct, frozen=True, kw_only=True):
    """One of the customer's accounts at a provider, in one of its apps."""

    provider: str
    app_id: str
    subject: str  # WeChat's openid in app_id
    unionid: str
    display_name: str
    avatar_url: str
    created_at: datetime
    last_used_at: datetime | None


class SignInMethod(msgspec.Struct, frozen=True, kw_only=True):
    """A provider on the customer's sign-in methods page: its apps' identities taken together."""

    provider: str
    display_name: str
    avatar_url: str
    linked_at: datetime
    last_used_at: datetime | None


_COLUMNS = "provider, app_id, subject, unionid, display_name, avatar_url, created_at, last_used_at"


def _clean(text: str, limit: int) -> str:
    """A provider's text as we keep it: printable characters, bounded (a nickname may hold anything)."""
    return "".join(c for c in text if c.isprintable())[:limit]


async def find_owner(identity: LoginIdentity) -> int | None:
    """The customer the identity belongs to: by its id in its app, else by its unionid (the same
    person signed in through another of the franchise's apps)."""
    conn = current_connection()
    owner = await conn.fetchval(
        "select customer_id from core_login_identity where provider = $1 and app_id = $2 and subject = $3",
        identity.provider, identity.app_id, identity.subject,
    )
    if owner is None and identity.unionid:
        owner = await conn.fetchval(
            "select customer_id from core_login_identity where provider = $1 and unionid = $2 order by id limit 1",
            identity.provider, identity.unionid,
        )
    return owner


async def link_identity(tenant: TenantContext, customer_id: int, identity: LoginIdentity) -> None:
    """Attach the identity to the customer (or refresh it when it is theirs already). Refused with
    409 when it belongs to another customer, or when the customer has another account of the
    same provider app; a concurrent link of the same identity loses on the unique constraint."""
    owner = await find_owner(identity)
    if owner is not None and owner != customer_id:
        raise Conflict(LINKED_ELSEWHERE, fields={"provider": LINKED_ELSEWHERE})
    conn = current_connection()
    linked = await conn.fetchval(
        "insert into core_login_identity (tenant_id, customer_id, provider, app_id, subject, unionid, display_name, avatar_url, last_used_at) "
        "values ($1, $2, $3, $4, $5, $6, $7, $8, now()) on conflict do nothing returning id",
        tenant.id, customer_id, identity.provider, identity.app_id[:64], identity.subject[:200], identity.unionid[:128],
        _clean(identity.display_name, 100), identity.avatar_url[:500] if identity.avatar_url.startswith(("https://", "http://")) else "",
    )
    if linked is not None:
        return
    mine = await conn.fetchval(
        "update core_login_identity set last_used_at = now(), unionid = case when $5 <> '' then $5 else unionid end, "
        "display_name = case when $6 <> '' then $6 else display_name end "
        "where customer_id = $1 and provider = $2 and app_id = $3 and subject = $4 returning id",
        customer_id, identity.provider, identity.app_id, identity.subject, identity.unionid[:128], _clean(identity.display_name, 100),
    )
    if mine is not None:
        return
    # Not inserted, not ours: another customer holds the identity (a race just lost), or this
    # customer has another account of this app.
    holder = await find_owner(identity)
    if holder is not None and holder != customer_id:
        raise Conflict(LINKED_ELSEWHERE, fields={"provider": LINKED_ELSEWHERE})
    raise Conflict(ANOTHER_LINKED, fields={"provider": ANOTHER_LINKED})


async def customer_login_identity(customer_id: int, provider: str, *, app_id: str | None = None) -> LinkedIdentity | None:
    """The customer's identity at `provider` (in `app_id`, when the provider has several apps),
    or None: what a payment inside WeChat needs, the payer's openid for the merchant's app."""
    row = await current_connection().fetchrow(
        f"select {_COLUMNS} from core_login_identity where customer_id = $1 and provider = $2 and ($3::text is null or app_id = $3) "
        "order by last_used_at desc nulls last, id desc limit 1",
        customer_id, provider, app_id,
    )
    return LinkedIdentity(**dict(row)) if row else None


async def sign_in_methods(customer_id: int) -> list[SignInMethod]:
    """The customer's linked providers, each once (its apps' identities together), first linked first."""
    rows = await current_connection().fetch(
        "select provider, (array_agg(display_name order by last_used_at desc nulls last))[1] as display_name, "
        "(array_agg(avatar_url order by last_used_at desc nulls last))[1] as avatar_url, "
        "min(created_at) as linked_at, max(last_used_at) as last_used_at "
        "from core_login_identity where customer_id = $1 group by provider order by min(created_at)",
        customer_id,
    )
    return [SignInMethod(**dict(r)) for r in rows]


async def unlink_provider(customer_id: int, provider: str) -> None:
    """Remove the customer's identities at `provider` (every app of it: the unionid would find the
    customer again through any one left). Never the last way in: a customer without a phone keeps
    one provider. The customer's row is locked so two unlinks at once can't both pass the check."""
    conn = current_connection()
    has_phone = await conn.fetchval("select phone_index is not null from core_customer where id = $1 for update", customer_id)
    if has_phone is None:
        raise NotFound("customer")
    providers = await conn.fetchval("select count(distinct provider) from core_login_identity where customer_id = $1", customer_id)
    linked = await conn.fetchval("select 1 from core_login_identity where customer_id = $1 and provider = $2 limit 1", customer_id, provider)
    if linked is None:
        raise NotFound("sign-in method")
    if not has_phone and providers <= 1:
        raise Conflict(LAST_WAY_IN, fields={"provider": LAST_WAY_IN})
    await conn.execute("delete from core_login_identity where customer_id = $1 and provider = $2", customer_id, provider)


async def touch(identity: LoginIdentity) -> None:
    await current_connection().execute(
        "update core_login_identity set last_used_at = now() where provider = $1 and app_id = $2 and subject = $3",
        identity.provider, identity.app_id, identity.subject,
    )
