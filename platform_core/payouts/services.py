"""Money out: payout accounts, the franchise's rules, withdrawals and payouts from the request
to the office's decision. Sending, notifications and reconciliation are in sending.py.

Every function runs in the caller's tenant transaction. A payout row is locked (`FOR UPDATE`)
before its state changes and before the ledger is posted (the house order: the payout, then the
ledger), so an approval, a rejection, a notification and a query of one payout take turns, and
each conditional update lets only the first of two racing callers change anything."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from platform_core import clock
from platform_core.accounts import realname
from platform_core.accounts.identities import customer_login_identity
from platform_core.accounts.ratelimit import Limit, enforce
from platform_core.accounts.second_factor import require_recent_second_factor
from platform_core.accounts.services import realname_verified
from platform_core.accounts.sessions import Principal
from platform_core.db import current_connection
from platform_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from platform_core.jobs.services import enqueue
from platform_core.ledger import services as ledger
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import gettext
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import money, translate_to

from .schemas import (
    ActorKind,
    DestinationKind,
    FeeQuote,
    Holder,
    Payout,
    PayoutAccount,
    PayoutAccountBind,
    PayoutFilter,
    PayoutSettings,
    PayoutSettingsUpdate,
    PayoutTotal,
    Source,
)

ACCOUNT_CONTEXT = "payouts.account"
SEND_JOB = "payouts.send"
QUERY_JOB = "payouts.query"
SWEEP_JOB = "payouts.reconcile"
PAGE_SIZE = 50
# A first withdrawal this soon after the payout account changed is flagged for a closer look.
NEW_ACCOUNT_WINDOW = timedelta(hours=24)
CUSTOMER_HOME = "/account/earnings"
STAFF_HOME = "/staff/earnings/withdraw"

_COLUMNS = ("id, payout_no, holder, holder_id, amount, fee, currency, destination_kind, destination_masked, real_name, state, source, "
            "source_ref, reason, requested_by_kind, requested_by_id, decided_by, decided_at, destination_changed_by_kind, "
            "destination_changed_by_id, destination_changed_at, flag, provider, provider_ref, provider_message, attempts, created_at, "
            "finished_at, confirm")
_ACCOUNT_COLUMNS = "holder, holder_id, kind, account_masked, real_name, changed_by_kind, changed_by_id, changed_at"
_PHONE = re.compile(r"1\d{10}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}")


def _payout(row) -> Payout:
    values = dict(row)
    confirm = values.pop("confirm", None)
    return Payout(**values, confirm=msgspec.json.decode(confirm) if isinstance(confirm, str) else confirm or {})


def earnings_code(holder: Holder, holder_id: int) -> str:
    return ledger.earnings_account(holder, holder_id)


# --------------------------------------------------------------------------- settings


async def settings() -> PayoutSettings:
    row = await current_connection().fetchrow(
        "select min_amount, max_amount, daily_count, daily_amount, fee_bp, fee_min, review_threshold, staff_on_demand from core_payout_settings")
    return PayoutSettings(**dict(row)) if row else PayoutSettings()


async def save_settings(data: PayoutSettingsUpdate) -> PayoutSettings:
    merged = msgspec.structs.replace(await settings(), **{k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET})
    errors = {}
    if merged.min_amount < 1:
        errors["min_amount"] = N_("The minimum must be more than zero.")
    elif merged.max_amount < merged.min_amount:
        errors["max_amount"] = N_("The maximum can not be below the minimum.")
    if merged.daily_amount < merged.min_amount:
        errors["daily_amount"] = N_("The daily limit can not be below the minimum.")
    if merged.fee_min >= merged.min_amount and (merged.fee_bp or merged.fee_min):
        errors["fee_min"] = N_("The minimum fee must be less than the minimum withdrawal.")
    if merged.review_threshold < 1:
        errors["review_threshold"] = N_("The review threshold must be more than zero.")
    if errors:
        raise ValidationFailed(errors)
    await current_connection().execute(
        "insert into core_payout_settings (tenant_id, min_amount, max_amount, daily_count, daily_amount, fee_bp, fee_min, review_threshold, "
        "staff_on_demand) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id) do update set min_amount = excluded.min_amount, "
        "max_amount = excluded.max_amount, daily_count = excluded.daily_count, daily_amount = excluded.daily_amount, fee_bp = excluded.fee_bp, "
        "fee_min = excluded.fee_min, review_threshold = excluded.review_threshold, staff_on_demand = excluded.staff_on_demand, updated_at = now()",
        current_tenant().id, merged.min_amount, merged.max_amount, merged.daily_count, merged.daily_amount, merged.fee_bp, merged.fee_min,
        merged.review_threshold, merged.staff_on_demand)
    return merged


def fee_for(rules: PayoutSettings, amount: int) -> int:
    """The fee on a withdrawal of `amount`: its basis points rounded down, at least the minimum
    fee (both zero: free). A statement's payout is never charged."""
    if not rules.fee_bp and not rules.fee_min:
        return 0
    return max(rules.fee_min, amount * rules.fee_bp // 10000)


def quote(rules: PayoutSettings, amount: int, currency: str) -> FeeQuote:
    fee = fee_for(rules, amount)
    return FeeQuote(amount=amount, fee=fee, receives=max(amount - fee, 0), currency=currency)


# --------------------------------------------------------------------------- payout accounts


def mask_account(kind: DestinationKind, account: str) -> str:
    """What a page shows of an account: 138****5678, ch***@example.com, WeChat ••••a1b2."""
    if kind == "wechat_openid":
        return "••••" + account[-4:]
    if _PHONE.fullmatch(account):
        return account[:3] + "****" + account[-4:]
    name, _, domain = account.partition("@")
    return (name[:2] + "***@" + domain) if domain else "••••" + account[-4:]


async def payout_account(holder: Holder, holder_id: int) -> PayoutAccount | None:
    row = await current_connection().fetchrow(
        f"select {_ACCOUNT_COLUMNS} from core_payout_account where holder = $1 and holder_id = $2", holder, holder_id)
    return PayoutAccount(**dict(row)) if row else None


async def verified_name(customer_id: int) -> str | None:
    """The customer's name as the office verified it, or None when they are not verified."""
    if not await realname_verified(customer_id):
        return None
    verification = await realname.my_verification(current_tenant(), customer_id)
    return verification.full_name if verification.state == "approved" else None


def _normalise_alipay(account: str) -> str:
    account = account.strip()
    if not (_PHONE.fullmatch(account) or _EMAIL.fullmatch(account)):
        raise ValidationFailed({"account": N_("Enter the Alipay account: a mobile number or an email address.")})
    return account


async def _save_account(holder: Holder, holder_id: int, kind: DestinationKind, account: str, real_name: str, app_id: str,
                        actor_kind: ActorKind, actor_id: int) -> PayoutAccount:
    cipher = current_runtime().keyring.encrypt(account, context=ACCOUNT_CONTEXT)
    row = await current_connection().fetchrow(
        "insert into core_payout_account (tenant_id, holder, holder_id, kind, account_cipher, account_masked, real_name, app_id, "
        "changed_by_kind, changed_by_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (tenant_id, holder, holder_id) "
        "do update set kind = excluded.kind, account_cipher = excluded.account_cipher, account_masked = excluded.account_masked, "
        "real_name = excluded.real_name, app_id = excluded.app_id, changed_by_kind = excluded.changed_by_kind, "
        f"changed_by_id = excluded.changed_by_id, changed_at = now() returning {_ACCOUNT_COLUMNS}",
        current_tenant().id, holder, holder_id, kind, cipher, mask_account(kind, account), real_name, app_id, actor_kind, actor_id)
    return PayoutAccount(**dict(row))


async def bind_customer_account(principal: Principal, data: PayoutAccountBind, *, client: str) -> PayoutAccount:
    """The customer binds where their withdrawals go. Needs real-name verification; an Alipay
    account's name must be the verified name; WeChat pays to the openid of their WeChat sign-in.
    Asks for a recent second factor when two-step verification is on."""
    customer_id = principal.user_id
    name = await verified_name(customer_id)
    if name is None:
        raise ValidationFailed({"kind": N_("Verify your real name first: payouts go only to an account in your own name.")})
    await require_recent_second_factor(principal, "bind_payout_account", code=data.code, client=client)
    if data.kind == "wechat_openid":
        identity = await customer_login_identity(customer_id, "login_wechat")
        if identity is None:
            raise ValidationFailed({"kind": N_("Sign in with WeChat once to receive payouts to your WeChat balance.")})
        return await _save_account("customer", customer_id, "wechat_openid", identity.subject, name, identity.app_id, "customer", customer_id)
    account = _normalise_alipay(data.account)
    if " ".join(data.real_name.split()) != name:
        raise ValidationFailed({"real_name": N_("Enter the name you verified: the Alipay account must be in your own name.")})
    return await _save_account("customer", customer_id, "alipay_login", account, name, "", "customer", customer_id)


async def bind_staff_account(staff_id: int, data: PayoutAccountBind, *, actor_kind: ActorKind, actor_id: int) -> PayoutAccount:
    """A worker's Alipay account, set by the worker or by the office (who is recorded, for the
    maker-checker rule)."""
    if data.kind != "alipay_login":
        raise ValidationFailed({"kind": N_("Workers are paid to an Alipay account.")})
    account = _normalise_alipay(data.account)
    real_name = " ".join(data.real_name.split())
    if not real_name:
        raise ValidationFailed({"real_name": N_("Enter the name the Alipay account is registered to.")})
    return await _save_account("staff", staff_id, "alipay_login", account, real_name, "", actor_kind, actor_id)


# --------------------------------------------------------------------------- requests


def _new_payout_no() -> str:
    # Letters and digits, 22 characters: what WeChat's out_bill_no and Alipay's out_biz_no accept.
    return f"W{clock.now():%y%m%d}{secrets.token_hex(7).upper()}"


def _day_start(zone: str) -> datetime:
    return datetime.combine(clock.today(zone), time(0), tzinfo=ZoneInfo(zone))


async def _insert(holder: Holder, holder_id: int, amount: int, fee: int, source: Source, source_ref: str, actor_kind: ActorKind,
                  actor_id: int, state: str, flag: str, decided_by: int | None) -> Payout:
    conn = current_connection()
    account = await conn.fetchrow(
        "select kind, account_cipher, account_masked, real_name, app_id, changed_by_kind, changed_by_id, changed_at "
        "from core_payout_account where holder = $1 and holder_id = $2 for update", holder, holder_id)
    if account is None:
        raise ValidationFailed({"account": N_("Bind a payout account first.")})
    if not flag and account["changed_at"] > clock.now() - NEW_ACCOUNT_WINDOW and not await conn.fetchval(
            "select 1 from core_payout where holder = $1 and holder_id = $2 and created_at > $3", holder, holder_id, account["changed_at"]):
        flag = "new_account"
    tenant = current_tenant()
    row = await conn.fetchrow(
        "insert into core_payout (tenant_id, payout_no, holder, holder_id, amount, fee, currency, destination_kind, destination_cipher, "
        "destination_masked, real_name, app_id, destination_changed_by_kind, destination_changed_by_id, destination_changed_at, state, "
        "source, source_ref, requested_by_kind, requested_by_id, flag, decided_by, decided_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, case when $22::bigint is null then null else now() end) "
        f"returning {_COLUMNS}",
        tenant.id, _new_payout_no(), holder, holder_id, amount, fee, tenant.currency, account["kind"], account["account_cipher"],
        account["account_masked"], account["real_name"], account["app_id"], account["changed_by_kind"], account["changed_by_id"],
        account["changed_at"], state, source, source_ref, actor_kind, actor_id, flag, decided_by)
    return _payout(row)


async def request_withdrawal(holder: Holder, holder_id: int, amount: int, *, actor_kind: ActorKind, actor_id: int) -> Payout:
    """A person asks for `amount` of their earnings (the fee included): checked against the
    franchise's rules, then held in the ledger in this transaction. The payout account's row is
    locked first, so one person's requests take turns and the daily limits hold under a race;
    the ledger's hold refuses the second of two requests that together pass the balance."""
    rules = await settings()
    if holder == "staff" and not rules.staff_on_demand:
        raise Forbidden(N_("Your franchise pays your earnings by statement; withdrawals are not open."))
    tenant = current_tenant()
    if amount < rules.min_amount:
        raise ValidationFailed({"amount": gettext("The minimum withdrawal is %(amount)s.", amount=money(rules.min_amount, tenant.currency))})
    if amount > rules.max_amount:
        raise ValidationFailed({"amount": gettext("The most you can withdraw at once is %(amount)s.", amount=money(rules.max_amount, tenant.currency))})
    fee = fee_for(rules, amount)
    if fee >= amount:
        raise ValidationFailed({"amount": N_("The fee would take all of it: withdraw more.")})
    if holder == "customer" and await verified_name(holder_id) is None:
        raise ValidationFailed({"amount": N_("Verify your real name first: payouts go only to an account in your own name.")})
    payout = await _insert(holder, holder_id, amount, fee, "withdrawal", "", actor_kind, actor_id, "requested",
                           "large" if amount >= rules.review_threshold else "", None)
    # Rejected and failed withdrawals gave their money back: they use up none of the day's limits.
    count, total = await current_connection().fetchrow(
        "select count(*), coalesce(sum(amount), 0) from core_payout where holder = $1 and holder_id = $2 and source = 'withdrawal' "
        "and state not in ('rejected', 'failed') and created_at >= $3", holder, holder_id, _day_start(tenant.timezone))
    if count > rules.daily_count:
        raise ValidationFailed({"amount": gettext("You can withdraw %(count)s times a day. Try again tomorrow.", count=rules.daily_count)})
    if total > rules.daily_amount:
        raise ValidationFailed({"amount": gettext("This passes your daily limit of %(amount)s.", amount=money(rules.daily_amount, tenant.currency))})
    await ledger.hold_payout(holder, holder_id, payout.currency, amount, payout_no=payout.payout_no)
    return payout


async def create_payout(holder: Holder, holder_id: int, amount: int, *, source: Source, source_ref: str, approved_by: int) -> Payout:
    """A payout the office asks for (a worker's pay statement, `source_ref` its id): created
    approved by console user `approved_by`, held in the ledger and queued for sending, free of
    fees. One live payout per `source_ref`: the same statement again is a Conflict (after a failed
    one, it may be paid again). Forbidden when `approved_by` set the person's payout account
    (maker-checker: another finance user pays it)."""
    if amount <= 0:
        raise ValidationFailed({"amount": N_("Enter an amount above zero.")})
    try:
        async with current_connection().transaction():  # a savepoint: the duplicate is answered, not a broken transaction
            payout = await _insert(holder, holder_id, amount, 0, source, source_ref, "console", approved_by, "approved", "", approved_by)
            # Created approved: the one approving can not be the one who set where it goes.
            check_destination_maker(payout, approved_by)
    except asyncpg.UniqueViolationError:
        raise Conflict(N_("This statement was already paid out.")) from None
    await ledger.hold_payout(holder, holder_id, payout.currency, amount, payout_no=payout.payout_no)
    await enqueue(SEND_JOB, {"payout_id": payout.id}, key=payout.payout_no)
    return payout


# --------------------------------------------------------------------------- reading


async def get_payout(payout_id: int) -> Payout:
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_payout where id = $1", payout_id)
    if row is None:
        raise NotFound("payout")
    return _payout(row)


async def holder_payouts(holder: Holder, holder_id: int, limit: int = 50) -> list[Payout]:
    rows = await current_connection().fetch(
        f"select {_COLUMNS} from core_payout where holder = $1 and holder_id = $2 order by created_at desc, id desc limit $3",
        holder, holder_id, limit)
    return [_payout(r) for r in rows]


async def held_amount(holder: Holder, holder_id: int) -> int:
    return int(await current_connection().fetchval(
        "select coalesce(sum(amount), 0) from core_payout where holder = $1 and holder_id = $2 and state in ('requested', 'approved', 'sending')",
        holder, holder_id))


async def search_payouts(f: PayoutFilter) -> tuple[list[Payout], int]:
    where, args = ["true"], []
    for column in ("state", "holder"):
        if getattr(f, column) is not None:
            args.append(getattr(f, column))
            where.append(f"{column} = ${len(args)}")
    conn = current_connection()
    total = await conn.fetchval(f"select count(*) from core_payout where {' and '.join(where)}", *args)
    rows = await conn.fetch(
        f"select {_COLUMNS} from core_payout where {' and '.join(where)} order by created_at desc, id desc "
        f"limit {PAGE_SIZE} offset {(max(f.page, 1) - 1) * PAGE_SIZE}", *args)
    return [_payout(r) for r in rows], int(total)


async def totals() -> list[PayoutTotal]:
    """Count, amount and fee by state and provider: what the payouts page sums up."""
    rows = await current_connection().fetch(
        "select state, provider, count(*) as count, sum(amount) as amount, sum(fee) as fee from core_payout "
        "group by state, provider order by state, provider")
    return [PayoutTotal(state=r["state"], provider=r["provider"], count=r["count"], amount=int(r["amount"]), fee=int(r["fee"])) for r in rows]


# --------------------------------------------------------------------------- the office's decision


async def lock_payout(payout_id: int):
    row = await current_connection().fetchrow(f"select {_COLUMNS} from core_payout where id = $1 for update", payout_id)
    if row is None:
        raise NotFound("payout")
    return _payout(row)


def check_destination_maker(payout: Payout, console_user_id: int) -> None:
    """The one who set the payout's destination can not also approve it."""
    if payout.destination_changed_by_kind == "console" and payout.destination_changed_by_id == console_user_id:
        raise Forbidden(N_("You changed this person's payout account: another finance user must approve this payout."))


def check_maker_checker(payout: Payout, console_user_id: int) -> None:
    """The one who set the destination or asked for the payout can not also approve it."""
    check_destination_maker(payout, console_user_id)
    if payout.requested_by_kind == "console" and payout.requested_by_id == console_user_id:
        raise Forbidden(N_("You asked for this payout: another finance user must approve it."))


# Decisions per office user an hour: a busy finance desk's day, not a stolen session's script.
DECISION_LIMITS = (Limit("payout-decide-1h", 300, 3600),)


async def _decision_limit(console_user_id: int) -> None:
    await enforce(current_runtime().kv, current_tenant().key("payout-decide", console_user_id), DECISION_LIMITS)


async def approve(payout_id: int, console_user_id: int) -> Payout:
    await _decision_limit(console_user_id)
    payout = await lock_payout(payout_id)
    check_maker_checker(payout, console_user_id)
    if payout.state != "requested":
        raise Conflict(N_("This withdrawal was already decided. Reload to see how."))
    row = await current_connection().fetchrow(
        f"update core_payout set state = 'approved', decided_by = $2, decided_at = now(), updated_at = now() where id = $1 returning {_COLUMNS}",
        payout_id, console_user_id)
    await enqueue(SEND_JOB, {"payout_id": payout_id}, key=payout.payout_no)
    return _payout(row)


async def reject(payout_id: int, console_user_id: int, reason: str) -> Payout:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed({"reason": N_("Say why: the person sees the reason.")})
    await _decision_limit(console_user_id)
    payout = await lock_payout(payout_id)
    if payout.state != "requested":
        raise Conflict(N_("This withdrawal was already decided. Reload to see how."))
    row = await current_connection().fetchrow(
        "update core_payout set state = 'rejected', reason = $3, decided_by = $2, decided_at = now(), finished_at = now(), updated_at = now() "
        f"where id = $1 returning {_COLUMNS}", payout_id, console_user_id, reason[:300])
    await ledger.release_payout(payout.holder, payout.holder_id, payout.currency, payout.amount, payout_no=payout.payout_no)
    await tell(payout, N_("Your withdrawal was not approved"), N_("%(amount)s is back in your earnings. Reason: %(reason)s"), reason=reason)
    return _payout(row)


async def tell(payout: Payout, title: str, body: str, **params: Any) -> None:
    """An inbox message to the payout's person, in the franchise's language."""
    locale = current_tenant().locale
    values = {"amount": money(payout.amount, payout.currency), **params}
    await add_notification(NotificationCreate(
        recipient_kind=payout.holder, recipient_id=payout.holder_id, title=translate_to(locale, title),
        body=translate_to(locale, body) % values, link=CUSTOMER_HOME if payout.holder == "customer" else STAFF_HOME))


# --------------------------------------------------------------------------- the person's own requests

# Withdrawal attempts per person an hour: enough for typos, not for probing the rules.
WITHDRAW_LIMITS = (Limit("payout-withdraw-1h", 20, 3600),)


async def customer_withdraw(principal: Principal, amount: int, *, code: str, client: str) -> Payout:
    """A customer's withdrawal: rate-limited, a recent second factor when two-step
    verification is on, then `request_withdrawal`."""
    await enforce(current_runtime().kv, current_tenant().key("payout-withdraw", "customer", principal.user_id), WITHDRAW_LIMITS)
    await require_recent_second_factor(principal, "withdraw", code=code, client=client)
    return await request_withdrawal("customer", principal.user_id, amount, actor_kind="customer", actor_id=principal.user_id)


async def staff_withdraw(staff_id: int, amount: int) -> Payout:
    await enforce(current_runtime().kv, current_tenant().key("payout-withdraw", "staff", staff_id), WITHDRAW_LIMITS)
    return await request_withdrawal("staff", staff_id, amount, actor_kind="staff", actor_id=staff_id)
