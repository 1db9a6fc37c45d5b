"""Customers and staff: sign-in by code or login provider, profile, staff seeding (the address
book is in addresses.py).

Every query runs in the caller's tenant transaction, so RLS confines it to the tenant; the
owner checks (a customer's own rows only) are in the WHERE clauses here.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Iterable, NoReturn

import msgspec
from msgspec import UNSET

from platform_core import clock
from platform_core.crypto import Keyring
from platform_core.db import current_connection
from platform_core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import CustomerEvent, LoginIdentity, SegmentSql
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant, tenant_scope
from platform_core.tenancy.schemas import TenantContext
from platform_core.web.i18n import lazy_gettext

from . import identities, legal, otp

# The address book lives in addresses.py; other domains keep calling it through services.
from .addresses import (  # noqa: F401
    address_snapshot,
    create_address,
    delete_address,
    get_address,
    list_addresses,
    set_default_address,
    update_address,
)
from .guards import SIGN_IN_PATHS
from .phones import (
    decrypt_phone,
    encrypt_phone,
    masked,
    masked_cipher,
    normalize_phone,
    phone_index,
)
from .profile_events import profile_updated
from .schemas import (
    MARKETING_CHANNELS,
    TIME_SLOTS,
    CodeSent,
    Customer,
    CustomerCard,
    CustomerUpdate,
    LegalVersions,
    ServicePreferences,
    Staff,
)
from .sessions import Principal, end_session

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CUSTOMER_COLUMNS = (
    "id, display_name, phone_cipher, email, preferences, status, created_at, last_sign_in_at, "
    "marketing_messages, marketing_sms_agreed_at, birthday"
)


# --- customers ---------------------------------------------------------------------------------


def _customer(row) -> Customer:
    return Customer(
        id=row["id"], display_name=row["display_name"], phone=masked_cipher(current_runtime().keyring, row["phone_cipher"]),
        email=row["email"], preferences=msgspec.json.decode(row["preferences"], type=ServicePreferences),
        status=row["status"], created_at=row["created_at"], last_sign_in_at=row["last_sign_in_at"],
        marketing_messages=row["marketing_messages"], marketing_sms=row["marketing_sms_agreed_at"] is not None,
        marketing_sms_agreed_at=row["marketing_sms_agreed_at"], birthday=row["birthday"],
    )


async def get_customer(customer_id: int) -> Customer:
    row = await current_connection().fetchrow(f"select {_CUSTOMER_COLUMNS} from core_customer where id = $1", customer_id)
    if row is None:
        raise NotFound("customer")
    return _customer(row)


async def customer_names(customer_ids: Iterable[int]) -> dict[int, str]:
    """Display names by customer id, for the lists that say who wrote or sent something."""
    rows = await current_connection().fetch(
        "select id, display_name from core_customer where id = any($1::bigint[])", sorted(set(customer_ids))
    )
    return {r["id"]: r["display_name"] for r in rows}


async def customers_born_on(day: date) -> list[int]:
    """The active customers whose birthday is on `day`'s month and day (those born on 29 February
    count on the 28th in a year without one), by id."""
    leap_day = day.month == 2 and day.day == 28 and not calendar.isleap(day.year)
    rows = await current_connection().fetch(
        "select id from core_customer where birthday is not null and status = 'active' "
        "and extract(month from birthday)::int = $1 and (extract(day from birthday)::int = $2 or ($3 and extract(day from birthday)::int = 29)) "
        "order by id",
        day.month, day.day, leap_day,
    )
    return [r["id"] for r in rows]


async def customer_id_for_phone(tenant: TenantContext, text: str) -> int | None:
    """The customer whose phone `text` is, found through its blind index (never by decrypting);
    None when nobody has it or `text` is no phone number."""
    try:
        index = phone_index(current_runtime().keyring, normalize_phone(text, tenant))
    except ValidationFailed:
        return None
    return await current_connection().fetchval("select id from core_customer where phone_index = $1", index)


def _refuse_inactive(status: str) -> None:
    if status == "frozen":
        raise Forbidden("This account is frozen. Please contact customer service.")
    if status == "closed":
        raise Forbidden("This account has been closed.")


async def send_customer_code(tenant: TenantContext, *, phone: str, client: str) -> CodeSent:
    e164 = normalize_phone(phone, tenant)
    await otp.issue_code(tenant, purpose=otp.CUSTOMER_SIGN_IN, phone=e164, client=client)
    return CodeSent(phone=masked(e164), expires_in=otp.CODE_TTL, resend_after=otp.RESEND_AFTER)


async def sign_in_customer(
    tenant: TenantContext, *, phone: str, code: str, client: str, attribution: dict[str, str],
    accepted: LegalVersions | None = None,
) -> Customer:
    """Check the code; sign in the customer of that phone, registering them if they are new.
    A new customer, or one who has not accepted the documents in force, must have `accepted`
    them (legal.ConsentRequired otherwise; the request rolls back, so the code stays usable)."""
    e164 = normalize_phone(phone, tenant)
    await otp.check_code(tenant, purpose=otp.CUSTOMER_SIGN_IN, phone=e164, code=code, client=client)
    conn = current_connection()
    index = phone_index(current_runtime().keyring, e164)
    row = await conn.fetchrow(f"select {_CUSTOMER_COLUMNS} from core_customer where phone_index = $1", index)
    consent = await legal.check_consent(row["id"] if row else None, accepted)
    if row is None:
        # Sign-in is registration. A concurrent first sign-in of the same phone gets the row
        # the other one inserted.
        row = await conn.fetchrow(
            "insert into core_customer (tenant_id, phone_cipher, phone_index, acquisition_source) values ($1, $2, $3, $4) "
            f"on conflict (tenant_id, phone_index) do nothing returning {_CUSTOMER_COLUMNS}",
            tenant.id, encrypt_phone(current_runtime().keyring, e164), index, attribution.get("source", ""),
        )
        if row is not None:
            await _registered(tenant, row["id"], attribution)
        else:
            row = await conn.fetchrow(f"select {_CUSTOMER_COLUMNS} from core_customer where phone_index = $1", index)
    if consent is not None:
        await legal.record_acceptance(tenant, row["id"], consent)
    return await _signed_in(row)


async def _registered(tenant: TenantContext, customer_id: int, attribution: dict[str, str]) -> None:
    event = CustomerEvent(
        tenant=tenant, customer_id=customer_id, occurred_at=clock.now(),
        attribution={k: v for k, v in attribution.items() if v},
    )
    await tell(current_runtime().hooks(tenant).on_customer_registered, event=event)


async def _signed_in(row) -> Customer:
    _refuse_inactive(row["status"])
    row = await current_connection().fetchrow(
        f"update core_customer set last_sign_in_at = now() where id = $1 returning {_CUSTOMER_COLUMNS}", row["id"]
    )
    return _customer(row)


async def record_sign_in(tenant: TenantContext, customer_id: int, *, method: str, ip: str, device: str) -> None:
    """One line of the customer's sign-in records (the console's customer page; kept 180 days).
    `method` is how they proved who they are: "phone_code" or a login provider's name."""
    await current_connection().execute(
        "insert into core_customer_sign_in (tenant_id, customer_id, method, ip, device) values ($1, $2, $3, $4, $5)",
        tenant.id, customer_id, method[:32], ip[:45], "".join(c for c in device if c.isprintable())[:200],
    )


async def realname_verified(customer_id: int) -> bool:
    """Whether the office approved the customer's real-name verification (and has not revoked it):
    what two-step verification, withdrawals and privacy protection ask."""
    return bool(await current_connection().fetchval(
        "select realname_verified_at is not null from core_customer where id = $1", customer_id))


async def set_realname_verified(customer_id: int, verified: bool) -> None:
    """Mark the customer verified now (the office approved), or not (revoked): the one writer of
    realname_verified_at (realname.py)."""
    await current_connection().execute(
        "update core_customer set realname_verified_at = case when $2 then now() end where id = $1", customer_id, verified)


def _check_profile(data: CustomerUpdate) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.display_name is not UNSET and len(data.display_name.strip()) > 40:
        errors["display_name"] = lazy_gettext("Use at most 40 characters.")
    if data.email is not UNSET and data.email.strip():
        if len(data.email) > 254 or not EMAIL.match(data.email.strip()):
            errors["email"] = lazy_gettext("Enter a valid email address.")
    if data.preferences is not UNSET:
        prefs = data.preferences
        if any(slot not in TIME_SLOTS for slot in prefs.preferred_times):
            errors["preferred_times"] = lazy_gettext("Choose from the listed times.")
        if len(prefs.pets) > 100:
            errors["pets"] = lazy_gettext("Use at most 100 characters.")
        if len(prefs.notes) > 500:
            errors["notes"] = lazy_gettext("Use at most 500 characters.")
    if isinstance(data.birthday, date) and not (date(1900, 1, 1) <= data.birthday <= clock.today(current_tenant().timezone)):
        errors["birthday"] = lazy_gettext("Enter a date in the past.")
    return errors


async def update_customer(customer_id: int, data: CustomerUpdate) -> Customer:
    errors = _check_profile(data)
    if errors:
        raise ValidationFailed(errors)
    changes: dict[str, object] = {}
    if data.display_name is not UNSET:
        changes["display_name"] = data.display_name.strip()
    if data.email is not UNSET:
        changes["email"] = data.email.strip()
    if data.preferences is not UNSET:
        prefs = msgspec.structs.replace(data.preferences, preferred_times=sorted(set(data.preferences.preferred_times), key=TIME_SLOTS.index))
        changes["preferences"] = msgspec.json.encode(prefs).decode()
    if data.marketing_messages is not UNSET:
        changes["marketing_messages"] = data.marketing_messages
    if data.birthday is not UNSET:
        changes["birthday"] = data.birthday
    if changes:
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
        await current_connection().execute(f"update core_customer set {sets} where id = $1", customer_id, *changes.values())
    if data.marketing_sms is not UNSET:
        # The first agreement's time stands while it lasts; withdrawing clears it.
        await current_connection().execute(
            "update core_customer set marketing_sms_agreed_at = case when $2 then coalesce(marketing_sms_agreed_at, now()) end "
            "where id = $1", customer_id, data.marketing_sms,
        )
    await profile_updated(current_tenant(), customer_id)
    return await get_customer(customer_id)


# --- marketing: consent and the customers a segment may hold ------------------------------------

# Who may get marketing on a channel: an active account that has not turned marketing off, and,
# for SMS, that agreed to it. Order messages never ask.
_MAY_GET_MARKETING = (
    "status = 'active' and marketing_messages and ($1::text <> 'sms' or marketing_sms_agreed_at is not null)"
)


def _check_marketing_channel(channel: str) -> None:
    if channel not in MARKETING_CHANNELS:
        raise ValueError(f"unknown marketing channel {channel!r}")


async def may_get_marketing(customer_id: int, channel: str) -> bool:
    """Whether the customer may get marketing on `channel` ("inbox", "banner" or "sms")."""
    _check_marketing_channel(channel)
    found = await current_connection().fetchval(
        f"select 1 from core_customer where id = $2 and {_MAY_GET_MARKETING}", channel, customer_id,
    )
    return found is not None


def marketing_audience_sql(channel: str) -> SegmentSql:
    """The customers who may get marketing on `channel`, as a segment part (campaigns' batches)."""
    _check_marketing_channel(channel)
    return SegmentSql(sql=f"select id from core_customer where {_MAY_GET_MARKETING}", args=(channel,))


def active_customers_sql() -> SegmentSql:
    """Every customer whose account is neither frozen nor closed: what a segment starts from."""
    return SegmentSql(sql="select id from core_customer where status = 'active'")


def registered_since_sql(days: int) -> SegmentSql:
    """Customers who registered in the last `days` days."""
    return SegmentSql(sql="select id from core_customer where created_at >= now() - make_interval(days => $1)", args=(days,))


def customers_in_district_sql(district: str) -> SegmentSql:
    """Customers with an address in `district` (the address book's district, as written)."""
    return SegmentSql(sql="select customer_id from core_customer_address where district = $1", args=(district,))


async def address_districts(limit: int = 500) -> list[str]:
    """The districts of the franchise's address book, most addresses first."""
    rows = await current_connection().fetch(
        "select district from core_customer_address where district <> '' group by district order by count(*) desc, district limit $1",
        limit,
    )
    return [r["district"] for r in rows]


async def customer_cards(customer_ids: Iterable[int]) -> dict[int, CustomerCard]:
    """Name, masked phone and registration of each customer, by id."""
    rows = await current_connection().fetch(
        "select id, display_name, phone_cipher, created_at from core_customer where id = any($1::bigint[])", sorted(set(customer_ids)),
    )
    keyring = current_runtime().keyring
    return {
        r["id"]: CustomerCard(id=r["id"], display_name=r["display_name"], phone=masked_cipher(keyring, r["phone_cipher"]),
                              created_at=r["created_at"])
        for r in rows
    }


# --- login providers (WeChat, QQ as plugins; the identities are identities.py's) ----------------


async def sign_in_with_identity(
    tenant: TenantContext, identity: LoginIdentity, attribution: dict[str, str], accepted: LegalVersions | None = None
) -> Customer | None:
    """Sign in through a provider: its linked customer; else the customer of the phone it vouches
    for (then linked); else a new customer with that phone (registered, then linked). None when
    the identity is new and the provider vouched for no phone: the customer links a phone first
    (sign_in_and_link). Consent as for sign_in_customer."""
    conn = current_connection()
    customer_id = await identities.find_owner(identity)
    if customer_id is None:
        if not identity.phone:
            return None
        e164 = normalize_phone(identity.phone, tenant)
        index = phone_index(current_runtime().keyring, e164)
        customer_id = await conn.fetchval("select id from core_customer where phone_index = $1", index)
        consent = await legal.check_consent(customer_id, accepted)
        if customer_id is None:
            customer_id = await conn.fetchval(
                "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index, acquisition_source) "
                "values ($1, $2, $3, $4, $5) on conflict (tenant_id, phone_index) do nothing returning id",
                tenant.id, identity.display_name[:40], encrypt_phone(current_runtime().keyring, e164), index, attribution.get("source", ""),
            )
            if customer_id is None:  # the same phone's first sign-in, a moment before
                customer_id = await conn.fetchval("select id from core_customer where phone_index = $1", index)
            else:
                await _registered(tenant, customer_id, {"provider": identity.provider, **attribution})
    else:
        consent = await legal.check_consent(customer_id, accepted)
    await identities.link_identity(tenant, customer_id, identity)
    if consent is not None:
        await legal.record_acceptance(tenant, customer_id, consent)
    row = await conn.fetchrow(f"select {_CUSTOMER_COLUMNS} from core_customer where id = $1", customer_id)
    return await _signed_in(row)


async def sign_in_and_link(
    tenant: TenantContext, identity: LoginIdentity, *, phone: str, code: str, client: str, attribution: dict[str, str],
    accepted: LegalVersions | None = None,
) -> Customer:
    """A provider's first sign-in, finished with the phone's code: the customer of that phone
    (registered if new, named after the provider's nickname when they have no name) gets the
    identity, so one person keeps one account whichever way they sign in."""
    customer = await sign_in_customer(tenant, phone=phone, code=code, client=client,
                                      attribution={"provider": identity.provider, **attribution}, accepted=accepted)
    await identities.link_identity(tenant, customer.id, identity)
    if not customer.display_name and identity.display_name.strip():
        await current_connection().execute(
            "update core_customer set display_name = $2 where id = $1 and display_name = ''", customer.id, identity.display_name.strip()[:40])
        customer = msgspec.structs.replace(customer, display_name=identity.display_name.strip()[:40])
    return customer


# --- staff -------------------------------------------------------------------------------------

_STAFF_COLUMNS = "id, name, phone_cipher, status"


def _staff(row) -> Staff:
    return Staff(id=row["id"], name=row["name"], phone=masked_cipher(current_runtime().keyring, row["phone_cipher"]), status=row["status"])


async def get_staff(staff_id: int) -> Staff:
    row = await current_connection().fetchrow(f"select {_STAFF_COLUMNS} from core_staff where id = $1", staff_id)
    if row is None:
        raise NotFound("staff")
    return _staff(row)


async def staff_status(staff_id: int) -> str | None:
    """The worker's account status (active, inactive); None when there is no such worker."""
    return await current_connection().fetchval("select status from core_staff where id = $1", staff_id)


async def staff_names(staff_ids: Iterable[int]) -> dict[int, str]:
    rows = await current_connection().fetch("select id, name from core_staff where id = any($1::bigint[])", sorted(set(staff_ids)))
    return {r["id"]: r["name"] for r in rows}


async def staff_id_for_phone(keyring: Keyring, tenant: TenantContext, phone: str) -> int | None:
    return await current_connection().fetchval(
        "select id from core_staff where phone_index = $1", phone_index(keyring, normalize_phone(phone, tenant))
    )


async def rename_staff(staff_id: int, name: str) -> None:
    await current_connection().execute("update core_staff set name = $2 where id = $1", staff_id, name.strip()[:40])


async def staff_phone_for_sending(staff_id: int) -> str | None:
    """A worker's phone in full (E.164), for a message leaving now; never for a page or a log."""
    cipher = await current_connection().fetchval("select phone_cipher from core_staff where id = $1", staff_id)
    return decrypt_phone(current_runtime().keyring, cipher) if cipher else None


async def customer_phone_for_sending(customer_id: int) -> str | None:
    """A customer's phone in full (E.164), for a message leaving now; never for a page or a log."""
    cipher = await current_connection().fetchval("select phone_cipher from core_customer where id = $1", customer_id)
    return decrypt_phone(current_runtime().keyring, cipher) if cipher else None


async def send_staff_code(tenant: TenantContext, *, phone: str, client: str) -> CodeSent:
    """Text a code to an active worker. Any other number is told, in words, to ask the
    franchise: a worker who can't sign in needs to know whom to call more than the staff list
    needs hiding. Each such answer counts against the client's send limit, so the list can't be
    read out by trying numbers."""
    e164 = normalize_phone(phone, tenant)
    status = await current_connection().fetchval(
        "select status from core_staff where phone_index = $1", phone_index(current_runtime().keyring, e164)
    )
    if status != "active":
        await otp.count_refused_send(tenant, client=client)
        if status is None:
            raise ValidationFailed({"phone": lazy_gettext(
                "This number is not on the franchise's staff list. Ask the franchise to add you, then sign in again.")})
        raise ValidationFailed({"phone": lazy_gettext(
            "Your worker account is switched off. Ask the franchise to switch it on again.")})
    await otp.issue_code(tenant, purpose=otp.STAFF_SIGN_IN, phone=e164, client=client)
    return CodeSent(phone=masked(e164), expires_in=otp.CODE_TTL, resend_after=otp.RESEND_AFTER)


async def sign_in_staff(tenant: TenantContext, *, phone: str, code: str, client: str) -> Staff:
    e164 = normalize_phone(phone, tenant)
    await otp.check_code(tenant, purpose=otp.STAFF_SIGN_IN, phone=e164, code=code, client=client)
    row = await current_connection().fetchrow(
        f"update core_staff set last_sign_in_at = now() where phone_index = $1 and status = 'active' returning {_STAFF_COLUMNS}",
        phone_index(current_runtime().keyring, e164),
    )
    if row is None:
        # The worker was switched off after their code was sent.
        raise ValidationFailed({"phone": lazy_gettext(
            "Your worker account is switched off. Ask the franchise to switch it on again.")})
    return _staff(row)


async def ensure_staff(keyring: Keyring, tenant: TenantContext, *, name: str, phone: str) -> bool:
    """Create the staff member of `phone` unless they exist (seeding). True when created."""
    e164 = normalize_phone(phone, tenant)
    created = await current_connection().fetchval(
        "insert into core_staff (tenant_id, name, phone_cipher, phone_index) values ($1, $2, $3, $4) "
        "on conflict (tenant_id, phone_index) do nothing returning id",
        tenant.id, name.strip()[:40], encrypt_phone(keyring, e164), phone_index(keyring, e164),
    )
    return created is not None


# staff (workers domain, platform_core/staff): the console creates a worker and turns them on or off.
async def create_staff(tenant: TenantContext, *, name: str, phone: str) -> Staff:
    """A new worker who signs in to the staff app with `phone`; a phone already in use is refused."""
    errors = {} if name.strip() else {"name": "This field is required."}
    try:
        e164 = normalize_phone(phone, tenant)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    row = await current_connection().fetchrow(
        "insert into core_staff (tenant_id, name, phone_cipher, phone_index) values ($1, $2, $3, $4) "
        f"on conflict (tenant_id, phone_index) do nothing returning {_STAFF_COLUMNS}",
        tenant.id, name.strip()[:40], encrypt_phone(current_runtime().keyring, e164), phone_index(current_runtime().keyring, e164),
    )
    if row is None:
        raise ValidationFailed({"phone": "A worker with this phone number already exists."})
    return _staff(row)


async def set_staff_status(tenant: TenantContext, staff_id: int, status: str) -> Staff:
    """Activate or deactivate a worker; a deactivated worker is signed out everywhere at once."""
    if status not in ("active", "inactive"):
        raise ValidationFailed({"status": "This value is not valid."})
    row = await current_connection().fetchrow(
        f"update core_staff set status = $2 where id = $1 returning {_STAFF_COLUMNS}", staff_id, status
    )
    if row is None:
        raise NotFound("staff")
    if status == "inactive":
        from .sessions import end_all_sessions

        await end_all_sessions(kind="staff", tenant_id=tenant.id, user_id=staff_id)
    return _staff(row)


async def _signed_out(principal: Principal, kind: str) -> NoReturn:
    """A frozen, closed or deleted account's session ends here, and the person is sent to sign in."""
    await end_session(principal)
    raise Unauthorized(sign_in_path=SIGN_IN_PATHS[kind])


async def active_customer(principal: Principal) -> Customer:
    """The signed-in customer, still active. A frozen or closed account's sessions end here."""
    try:
        customer = await get_customer(principal.user_id)
    except NotFound:
        customer = None
    if customer is None or customer.status != "active":
        await _signed_out(principal, "customer")
    return customer


async def active_customer_id(principal: Principal) -> int:
    """The signed-in customer's id, as active_customer checks it, without reading (and decrypting)
    the rest of the account: for an endpoint that needs no more (placing an order)."""
    if await current_connection().fetchval("select status from core_customer where id = $1", principal.user_id) != "active":
        await _signed_out(principal, "customer")
    return principal.user_id


async def active_staff(principal: Principal) -> Staff:
    try:
        staff = await get_staff(principal.user_id)
    except NotFound:
        staff = None
    if staff is None or staff.status != "active":
        await _signed_out(principal, "staff")
    return staff


async def apply_staff_entries(keyring: Keyring, tenant_id: int, entries: list[dict[str, str]]) -> list[str]:
    """The [[staff]] section of a tenants/*.toml file: create who is missing (idempotent)."""
    changes: list[str] = []
    async with tenant_scope(tenant_id) as tenant:
        for entry in entries:
            if await ensure_staff(keyring, tenant, name=entry["name"], phone=entry["phone"]):
                changes.append(f"{tenant.slug}: staff {entry['name']} created")
    return changes


async def apply_customer_entries(keyring: Keyring, tenant_id: int, entries: list[dict[str, str]]) -> list[str]:
    """The [[customers]] section of a tenants/*.toml file (the demo's families, whom plugin data
    may name by phone): each created with its default address when missing, never changed after."""
    from .schemas import AddressCreate

    changes: list[str] = []
    async with tenant_scope(tenant_id) as tenant:
        for entry in entries:
            e164 = normalize_phone(entry["phone"], tenant)
            customer_id = await current_connection().fetchval(
                "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index, acquisition_source) "
                "values ($1, $2, $3, $4, 'seed') on conflict (tenant_id, phone_index) do nothing returning id",
                tenant.id, entry["name"].strip()[:40], encrypt_phone(keyring, e164), phone_index(keyring, e164))
            if customer_id is None:
                continue
            if entry.get("street"):
                where = [float(x) for x in entry["home"].split(",")] if entry.get("home") else [None, None]
                await create_address(tenant, customer_id, AddressCreate(
                    contact_name=entry["name"], contact_phone=e164, city=entry.get("city", ""), district=entry.get("district", ""),
                    street=entry["street"], detail=entry.get("detail", ""), label=entry.get("label", ""), lat=where[0], lng=where[1],
                    is_default=True))
            changes.append(f"{tenant.slug}: customer {entry['name']} created")
    return changes


async def demo_staff_phones(keyring: Keyring, tenant_id: int) -> list[tuple[str, str]]:
    """(name, phone) of active staff, for the demo banner only: these are seed data."""
    async with tenant_scope(tenant_id):
        rows = await current_connection().fetch("select name, phone_cipher from core_staff where status = 'active' order by id")
    return [(r["name"], decrypt_phone(keyring, r["phone_cipher"])) for r in rows]
