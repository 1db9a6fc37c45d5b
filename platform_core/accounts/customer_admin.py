"""Customer management in the console, over accounts' own tables: the list's search and filters
as customer-id subqueries, a customer's account (profile, sign-in records, linked sign-ins,
notes, state history, phone reveals), the account states (active, frozen, closed) with their
history and the customer told, and the daily jobs that prune sign-in records and anonymise
closed accounts after the retention period.

What other domains know of a customer (orders, payments, reviews, coupons) is composed by the
console's customer pages (platform_core/customer_desk), which sit above them all.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.jobs.schemas import JobContext, JobRequest
from platform_core.notifications.schemas import NotificationCreate
from platform_core.notifications.services import add_notification, send_message
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import (
    CustomerEvent,
    JobHandler,
    OutboundMessage,
    SegmentSql,
)
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.templating import translate_to

from .customer_admin_schemas import (
    CustomerListPage,
    CustomerProfile,
    CustomerRow,
    LinkedSignIn,
    Note,
    PhoneReveal,
    SignInRecord,
    StatusChange,
)
from .phones import decrypt_phone, masked_cipher, normalize_phone, phone_index
from .sessions import end_all_sessions

SIGN_IN_DAYS = 180  # sign-in records are kept this long (the privacy notice says so)
# A closed account's personal data is kept this long (complaints, disputes, refunds still
# arriving), then cleared by the daily job.
RETENTION_DAYS = 30
PER_PAGE = 50
PRUNE_JOB = "accounts.prune_sign_ins"
ANONYMISE_JOB = "accounts.anonymise_closed"
STATE_SMS_JOB = "accounts.account_state_sms"

# The moves the office may make, by the target state: from which states.
OFFICE_MOVES: dict[str, frozenset[str]] = {
    "frozen": frozenset({"active"}),
    "active": frozenset({"frozen"}),
    "closed": frozenset({"active", "frozen"}),
}
STATUS_LABELS = {"active": N_("Active"), "frozen": N_("Frozen"), "closed": N_("Closed")}
STATUS_TONES = {"active": "success", "frozen": "warning", "closed": None}
ORDER_RULE_LABELS = {
    "keep": N_("Keep the open orders"),
    "unpaid": N_("Cancel the unpaid orders"),
    "not_started": N_("Cancel every order not yet started, with refunds"),
}
# What the customer is told (inbox and SMS), by the new state; %(reason)s is the office's.
_TOLD = {
    "frozen": (N_("Your account is frozen"),
               N_("Your account has been frozen: %(reason)s. You can not sign in or book until it is unfrozen. Please contact customer service.")),
    "active": (N_("Your account is active again"), N_("Your account has been unfrozen. You can sign in and book again.")),
    "closed": (N_("Your account is closed"),
               N_("Your account has been closed: %(reason)s. Your personal data will be deleted after %(days)s days.")),
    "closed_by_customer": (N_("Your account is closed"),
                           N_("You closed your account. Your personal data will be deleted after %(days)s days.")),
}


# --- the list ------------------------------------------------------------------------------------


def all_customers_sql() -> SegmentSql:
    return SegmentSql(sql="select id from core_customer")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_sql(text: str, order_customer_ids: list[int]) -> SegmentSql:
    """Customers whose name holds `text`, whose phone it is (through the blind index: nothing is
    decrypted to search), or who placed the orders the caller found by that number."""
    text = text.strip()
    try:
        index = phone_index(current_runtime().keyring, normalize_phone(text, current_tenant()))
    except ValidationFailed:
        index = None
    return SegmentSql(
        sql="select id from core_customer where display_name ilike $1 or phone_index = $2 or id = any($3::bigint[])",
        args=(_like(text), index, order_customer_ids),
    )


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_tenant().timezone))


def registered_between_sql(first: date | None, last: date | None) -> SegmentSql:
    """Customers who registered from `first` to `last` (days on the franchise's calendar, both
    included; either may be open)."""
    since = _local_midnight(first) if first else None
    until = _local_midnight(last + timedelta(days=1)) if last else None
    return SegmentSql(
        sql="select id from core_customer where ($1::timestamptz is null or created_at >= $1) "
        "and ($2::timestamptz is null or created_at < $2)",
        args=(since, until),
    )


def status_sql(status: str) -> SegmentSql:
    return SegmentSql(sql="select id from core_customer where status = $1", args=(status,))


def realname_sql(verified: bool) -> SegmentSql:
    return SegmentSql(sql="select id from core_customer where (realname_verified_at is not null) = $1", args=(verified,))


def _row(r) -> CustomerRow:
    return CustomerRow(
        id=r["id"], display_name=r["display_name"], phone=masked_cipher(current_runtime().keyring, r["phone_cipher"]),
        status=r["status"], created_at=r["created_at"], last_sign_in_at=r["last_sign_in_at"],
        realname_verified=r["realname_verified_at"] is not None, acquisition_source=r["acquisition_source"],
    )


async def customer_list(ids_sql: str, args: list[Any], *, page: int = 1, per_page: int = PER_PAGE) -> CustomerListPage:
    """The customers `ids_sql` selects (its arguments `args`), newest first, a page at a time."""
    conn = current_connection()
    n = len(args)
    rows = await conn.fetch(
        "select id, display_name, phone_cipher, status, created_at, last_sign_in_at, realname_verified_at, acquisition_source "
        f"from core_customer where id in ({ids_sql}) order by created_at desc, id desc limit ${n + 1} offset ${n + 2}",
        *args, per_page, (page - 1) * per_page,
    )
    total = await conn.fetchval(f"select count(*) from core_customer where id in ({ids_sql})", *args)
    return CustomerListPage(rows=[_row(r) for r in rows], total=total, page=page, pages=max(1, -(-total // per_page)))


# --- one customer --------------------------------------------------------------------------------


async def customer_profile(customer_id: int) -> CustomerProfile:
    row = await current_connection().fetchrow(
        "select id, display_name, phone_cipher, email, preferences, status, created_at, last_sign_in_at, realname_verified_at, "
        "acquisition_source, birthday, marketing_messages, marketing_sms_agreed_at, closed_at, anonymised_at "
        "from core_customer where id = $1",
        customer_id,
    )
    if row is None:
        raise NotFound("customer")
    return CustomerProfile(
        id=row["id"], display_name=row["display_name"], phone=masked_cipher(current_runtime().keyring, row["phone_cipher"]),
        has_phone=row["phone_cipher"] is not None, email=row["email"], preferences=msgspec.json.decode(row["preferences"]),
        status=row["status"], created_at=row["created_at"], last_sign_in_at=row["last_sign_in_at"],
        realname_verified_at=row["realname_verified_at"], acquisition_source=row["acquisition_source"], birthday=row["birthday"],
        marketing_messages=row["marketing_messages"], marketing_sms=row["marketing_sms_agreed_at"] is not None,
        closed_at=row["closed_at"], anonymised_at=row["anonymised_at"],
    )


async def sign_in_records(customer_id: int, limit: int = 50) -> list[SignInRecord]:
    rows = await current_connection().fetch(
        "select method, ip, device, signed_in_at from core_customer_sign_in where customer_id = $1 "
        "order by signed_in_at desc, id desc limit $2",
        customer_id, limit,
    )
    return [SignInRecord(**dict(r)) for r in rows]


async def linked_sign_ins(customer_id: int) -> list[LinkedSignIn]:
    rows = await current_connection().fetch(
        "select provider, display_name, created_at, last_used_at from core_login_identity where customer_id = $1 order by created_at",
        customer_id,
    )
    return [LinkedSignIn(**dict(r)) for r in rows]


async def notes(customer_id: int, limit: int = 100) -> list[Note]:
    rows = await current_connection().fetch(
        "select n.id, n.body, u.display_name as author, n.created_at from core_customer_note n "
        "join core_console_user u on u.id = n.console_user_id where n.customer_id = $1 order by n.created_at desc, n.id desc limit $2",
        customer_id, limit,
    )
    return [Note(**dict(r)) for r in rows]


async def add_note(customer_id: int, console_user_id: int, body: str) -> Note:
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": N_("This field is required.")})
    row = await current_connection().fetchrow(
        "with c as (select id from core_customer where id = $2) "
        "insert into core_customer_note (tenant_id, customer_id, console_user_id, body) select $1, c.id, $3, $4 from c "
        "returning id, body, created_at",
        current_tenant().id, customer_id, console_user_id, body,
    )
    if row is None:
        raise NotFound("customer")
    author = await current_connection().fetchval("select display_name from core_console_user where id = $1", console_user_id)
    return Note(id=row["id"], body=row["body"], author=author or "", created_at=row["created_at"])


async def status_history(customer_id: int) -> list[StatusChange]:
    rows = await current_connection().fetch(
        "select h.from_status, h.to_status, h.reason, h.order_rule, coalesce(u.display_name, '') as by, "
        "h.console_user_id is null as by_customer, h.changed_at from core_customer_status_change h "
        "left join core_console_user u on u.id = h.console_user_id where h.customer_id = $1 order by h.changed_at desc, h.id desc",
        customer_id,
    )
    return [StatusChange(**dict(r)) for r in rows]


async def phone_reveals(customer_id: int, limit: int = 50) -> list[PhoneReveal]:
    rows = await current_connection().fetch(
        "select u.display_name as by, r.revealed_at from core_customer_phone_reveal r "
        "join core_console_user u on u.id = r.console_user_id where r.customer_id = $1 order by r.revealed_at desc, r.id desc limit $2",
        customer_id, limit,
    )
    return [PhoneReveal(**dict(r)) for r in rows]


async def reveal_phone(customer_id: int, console_user_id: int) -> str:
    """The customer's full phone number for an office user who asked to see it; who and when is
    recorded in the same transaction (the customer's activity on their console page)."""
    conn = current_connection()
    cipher = await conn.fetchrow("select phone_cipher from core_customer where id = $1", customer_id)
    if cipher is None:
        raise NotFound("customer")
    if cipher["phone_cipher"] is None:
        raise Conflict("This customer has no phone number.")
    await conn.execute(
        "insert into core_customer_phone_reveal (tenant_id, customer_id, console_user_id) values ($1, $2, $3)",
        current_tenant().id, customer_id, console_user_id,
    )
    return decrypt_phone(current_runtime().keyring, cipher["phone_cipher"])


# --- account states ------------------------------------------------------------------------------


async def lock_status(customer_id: int) -> str:
    """The account's state, its row locked until the transaction ends: two changes of one
    account are taken one after the other, and the second sees what the first did."""
    status = await current_connection().fetchval("select status from core_customer where id = $1 for update", customer_id)
    if status is None:
        raise NotFound("customer")
    return status


async def change_status(
    customer_id: int, *, to: str, reason: str, expected: str, console_user_id: int | None, order_rule: str = "",
) -> str:
    """Move the account to `to` for `reason`, keep the change as a history row and tell the
    customer (inbox now, SMS by a job). `expected` is the state the operator saw: if the account
    is no longer in it (another operator changed it first), Conflict, and nothing changes.
    Returns the state it left. A frozen or closed account is signed out everywhere."""
    reason = reason.strip()
    if not reason and console_user_id is not None:
        raise ValidationFailed({"reason": N_("This field is required.")})
    current = await lock_status(customer_id)
    if current != expected:
        raise Conflict("Someone else changed this account meanwhile. Please reload the page and try again.")
    allowed = OFFICE_MOVES[to] if console_user_id is not None else frozenset({"active"})
    if current not in allowed:
        raise Conflict("The account is not in a state this change leaves from.")
    conn = current_connection()
    await conn.execute(
        "update core_customer set status = $2::varchar, closed_at = case when $2::varchar = 'closed' then now() else closed_at end where id = $1",
        customer_id, to,
    )
    await conn.execute(
        "insert into core_customer_status_change (tenant_id, customer_id, from_status, to_status, reason, order_rule, console_user_id) "
        "values ($1, $2, $3, $4, $5, $6, $7)",
        current_tenant().id, customer_id, current, to, reason, order_rule, console_user_id,
    )
    await _tell(customer_id, to if console_user_id is not None else "closed_by_customer", reason)
    if to != "active":
        await end_all_sessions(kind="customer", tenant_id=current_tenant().id, user_id=customer_id)
    return current


def _told(told: str, reason: str) -> tuple[str, str]:
    locale = current_tenant().locale
    title, body = _TOLD[told]
    return translate_to(locale, title), translate_to(locale, body) % {"reason": reason, "days": RETENTION_DAYS}


async def _tell(customer_id: int, told: str, reason: str) -> None:
    title, body = _told(told, reason)
    sms = JobRequest(kind=STATE_SMS_JOB, payload={"customer_id": customer_id, "told": told, "reason": reason})
    await add_notification(
        NotificationCreate(recipient_kind="customer", recipient_id=customer_id, title=title, body=body[:4000], link="/account"),
        jobs=[sms],
    )


async def send_state_sms(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The SMS of a change of state, to the account's phone (none once it is anonymised)."""
    cipher = await current_connection().fetchval("select phone_cipher from core_customer where id = $1", payload["customer_id"])
    if cipher is None:
        return
    _, body = _told(payload["told"], payload["reason"])
    await send_message(OutboundMessage(
        tenant=ctx.tenant, channel="sms", to=decrypt_phone(current_runtime().keyring, cipher), body=body, purpose="account_state",
    ))


# --- daily jobs ----------------------------------------------------------------------------------


async def prune_sign_ins(days: int = SIGN_IN_DAYS) -> int:
    """Delete the franchise's sign-in records older than `days`. Returns how many went."""
    status = await current_connection().execute(
        "delete from core_customer_sign_in where signed_in_at < now() - make_interval(days => $1)", days)
    return int(status.split()[-1])


async def anonymise_closed(retention_days: int = RETENTION_DAYS) -> list[int]:
    """Clear the personal data of the accounts closed more than `retention_days` ago: name,
    phone (cipher and blind index), email, preferences, birthday, marketing consent, addresses,
    linked sign-ins, sign-in records, the office's notes, two-step verification, and the real-name
    submissions' names, ID numbers and photos; then plugins clear theirs
    (on_customer_anonymised). The row stays, so orders and the
    ledger keep their entries and amounts; the state history stays (it names nobody).
    Returns the ids anonymised."""
    conn = current_connection()
    ids = [r["id"] for r in await conn.fetch(
        "select id from core_customer where status = 'closed' and anonymised_at is null "
        "and closed_at < now() - make_interval(days => $1) for update skip locked",
        retention_days,
    )]
    if not ids:
        return []
    for table in ("core_customer_address", "core_login_identity", "core_customer_sign_in", "core_customer_note",
                  "core_customer_totp", "core_customer_recovery_code", "core_customer_device"):
        await conn.execute(f"delete from {table} where customer_id = any($1::bigint[])", ids)
    # Real-name: the ID photos go; a submission keeps its state and dates (its access log names
    # who looked, and stays) but no name or number.
    await conn.execute(
        "delete from core_realname_photo where submission_id in "
        "(select id from core_realname_submission where customer_id = any($1::bigint[]))", ids)
    await conn.execute(
        "update core_realname_submission set full_name = '', nationality = '', id_number_cipher = '', "
        "id_number_index = 'anonymised:' || id, id_number_masked = '' where customer_id = any($1::bigint[])", ids)
    await conn.execute(
        "update core_customer set display_name = '', phone_cipher = null, phone_index = null, email = '', preferences = '{}', "
        "birthday = null, marketing_messages = false, marketing_sms_agreed_at = null, acquisition_source = '', realname_verified_at = null, "
        "anonymised_at = $2 where id = any($1::bigint[])",
        ids, clock.now(),
    )
    tenant = current_tenant()
    for customer_id in ids:
        await tell(current_runtime().hooks(tenant).on_customer_anonymised,
                   event=CustomerEvent(tenant=tenant, customer_id=customer_id, occurred_at=clock.now()))
    return ids


async def run_prune_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await prune_sign_ins()


async def run_anonymise_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await anonymise_closed()


JOB_HANDLERS = [
    JobHandler(kind=PRUNE_JOB, handler=run_prune_job, daily_at=time(3, 10)),
    JobHandler(kind=ANONYMISE_JOB, handler=run_anonymise_job, daily_at=time(3, 20)),
    JobHandler(kind=STATE_SMS_JOB, handler=send_state_sms),
]
