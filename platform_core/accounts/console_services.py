"""Console users and platform operators: sign-in, second factor, 2FA set-up, user management.

Both kinds of account work the same way and differ only in their tables and in whether a tenant
is involved, so one set of functions serves both through a `Realm`. Every function runs in the
caller's transaction (a request, `tenant_scope` or `tenant_transaction(None)`); console tables are
under RLS, so a console query only ever sees the current tenant's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

import msgspec
from msgspec import UNSET

from platform_core.db import current_connection
from platform_core.errors import Conflict, HearthError, NotFound, ValidationFailed
from platform_core.runtime import current_runtime
from platform_core.tenancy.context import current_tenant
from platform_core.web.i18n import lazy_gettext as N_

from . import totp
from .console_schemas import (
    Account,
    ConsoleUser,
    ConsoleUserCreate,
    ConsoleUserUpdate,
    Operator,
    OperatorCreate,
    TotpEnrolment,
)
from .passwords import check_strength, hash_password, needs_rehash, verify_password
from .ratelimit import Limit, enforce

# Sign-in attempts per 15 minutes: per email (reset by a successful sign-in) and per client
# address (not reset: one address guessing many accounts is the attack it stops).
SIGN_IN_PER_EMAIL = (Limit("sign-in-15m", 10, 15 * 60),)
SIGN_IN_PER_ADDRESS = (Limit("sign-in-15m", 30, 15 * 60),)
SECOND_FACTOR_PER_ACCOUNT = (Limit("second-factor-15m", 10, 15 * 60),)

WRONG_CREDENTIALS = N_("The email or password is wrong.")


@dataclass(frozen=True)
class Realm:
    kind: Literal["console", "operator"]
    users: str
    codes: str
    owner_column: str

    @property
    def tenant_scoped(self) -> bool:
        return self.kind == "console"

    def key(self, *parts: str | int) -> str:
        """Keys for counters in the shared store: per tenant for console users."""
        if self.tenant_scoped:
            return current_tenant().key("auth", self.kind, *parts)
        return ":".join(["platform", "auth", self.kind, *(str(p) for p in parts)])


CONSOLE = Realm("console", "core_console_user", "core_console_recovery_code", "user_id")
OPERATOR = Realm("operator", "core_operator", "core_operator_recovery_code", "operator_id")

_ACCOUNT_COLUMNS = (
    "id, email::text as email, display_name, {role} as role, status, {password_hash} as password_hash, totp_secret_cipher, "
    "totp_enabled_at, last_sign_in_at, created_at"
)


def _columns(realm: Realm) -> str:
    # The app role can not read operators' hashes (accounts_0003): _password_hash asks for one.
    if realm.tenant_scoped:
        return _ACCOUNT_COLUMNS.format(role="role", password_hash="password_hash")
    return _ACCOUNT_COLUMNS.format(role="null::text", password_hash="null::text")


async def _password_hash(realm: Realm, account: Account) -> str | None:
    """The hash to check a password against: a console user's is on the row; an operator's comes
    from the one function that hands out a single operator's hash."""
    if realm.tenant_scoped:
        return account.password_hash
    return await current_connection().fetchval("select hearth_operator_password_hash($1)", account.email)


def _account(row) -> Account:
    return msgspec.convert(dict(row), Account)


def console_user(account: Account) -> ConsoleUser:
    return ConsoleUser(
        id=account.id, email=account.email, display_name=account.display_name, role=account.role,  # type: ignore[arg-type]
        status=account.status, totp_enabled=account.totp_enabled, last_sign_in_at=account.last_sign_in_at,
        created_at=account.created_at,
    )


def operator(account: Account) -> Operator:
    return Operator(
        id=account.id, email=account.email, display_name=account.display_name, status=account.status,
        totp_enabled=account.totp_enabled, last_sign_in_at=account.last_sign_in_at, created_at=account.created_at,
    )


async def get_account(realm: Realm, account_id: int) -> Account | None:
    row = await current_connection().fetchrow(f"select {_columns(realm)} from {realm.users} where id = $1", account_id)
    return _account(row) if row else None


async def find_account(realm: Realm, email: str) -> Account | None:
    row = await current_connection().fetchrow(
        f"select {_columns(realm)} from {realm.users} where email = $1", email.strip()
    )
    return _account(row) if row else None


async def _require_account(realm: Realm, account_id: int) -> Account:
    account = await get_account(realm, account_id)
    if account is None:
        raise NotFound("user")
    return account


# --------------------------------------------------------------------------- sign-in


async def _reset(key: str, limits: tuple[Limit, ...]) -> None:
    await current_runtime().kv.delete(*(f"{key}:{limit.name}" for limit in limits))


def _email_key(realm: Realm, email: str) -> str:
    # A keyed hash: the store never holds the address itself.
    return realm.key("email", current_runtime().keyring.blind_index(email.strip().lower(), context="sign-in.email")[:32])


async def authenticate(realm: Realm, *, email: str, password: str, client: str) -> Account:
    """The account for this email and password, or a neutral error that does not say which was
    wrong. Argon2 runs for unknown emails too, so timing does not reveal who has an account."""
    await enforce(current_runtime().kv, realm.key("address", client), SIGN_IN_PER_ADDRESS)
    await enforce(current_runtime().kv, _email_key(realm, email), SIGN_IN_PER_EMAIL)
    account = await find_account(realm, email) if email.strip() else None
    password_hash = await _password_hash(realm, account) if account else None
    if not await verify_password(password_hash, password):
        raise HearthError(WRONG_CREDENTIALS, fields={"password": WRONG_CREDENTIALS})
    assert account is not None and password_hash is not None
    if account.status != "active":
        raise HearthError("This account is disabled.", fields={"email": "This account is disabled."})
    await _reset(_email_key(realm, email), SIGN_IN_PER_EMAIL)
    if needs_rehash(password_hash):
        await _set_password_hash(realm, account.id, password_hash, await hash_password(password))
    return account


async def record_sign_in(realm: Realm, account_id: int) -> None:
    await current_connection().execute(f"update {realm.users} set last_sign_in_at = now() where id = $1", account_id)


def _code_hash(realm: Realm, code: str) -> str:
    return current_runtime().keyring.blind_index(totp.normalise_code(code), context=f"{realm.kind}.recovery-code")


async def verify_second_factor(realm: Realm, account: Account, code: str) -> None:
    """Accept a current TOTP code (each at most once) or an unused recovery code (then used up)."""
    key = realm.key("second-factor", account.id)
    await enforce(current_runtime().kv, key, SECOND_FACTOR_PER_ACCOUNT)
    code = totp.normalise_code(code)
    ok = False
    if account.totp_enabled and account.totp_secret_cipher:
        if totp.is_totp_code(code):
            secret = current_runtime().keyring.decrypt(account.totp_secret_cipher, context="totp")
            if totp.verify_totp(secret, code):
                # A code stays valid for up to 90 s; a second use of it is a replay.
                used, _ = await current_runtime().kv.incr(realm.key("totp-used", account.id, code), 120)
                ok = used == 1
        elif code:
            ok = await current_connection().fetchval(
                f"update {realm.codes} set used_at = now() where {realm.owner_column} = $1 and code_hash = $2 "
                "and used_at is null returning true",
                account.id, _code_hash(realm, code),
            ) is not None
    if not ok:
        raise ValidationFailed({"code": "That code is not right."}, message="That code is not right.")
    await _reset(key, SECOND_FACTOR_PER_ACCOUNT)


# --------------------------------------------------------------------------- 2FA set-up


async def start_totp(realm: Realm, account_id: int) -> None:
    """Keep a new secret as pending (enabled only once a code from it is confirmed)."""
    account = await _require_account(realm, account_id)
    if account.totp_enabled:
        raise Conflict("Two-step verification is already on.")
    cipher = current_runtime().keyring.encrypt(totp.new_secret(), context="totp")
    await current_connection().execute(f"update {realm.users} set totp_secret_cipher = $2 where id = $1", account_id, cipher)


def pending_enrolment(account: Account, *, issuer: str) -> TotpEnrolment | None:
    if account.totp_enabled or not account.totp_secret_cipher:
        return None
    secret = current_runtime().keyring.decrypt(account.totp_secret_cipher, context="totp")
    uri = totp.provisioning_uri(secret, account=account.email, issuer=issuer)
    return TotpEnrolment(secret_grouped=totp.grouped(secret), qr_svg=totp.qr_svg(uri), uri=uri)


async def confirm_totp(realm: Realm, account_id: int, code: str) -> list[str]:
    """Turn 2FA on once a code from the pending secret checks out; returns new recovery codes."""
    account = await _require_account(realm, account_id)
    if account.totp_enabled or not account.totp_secret_cipher:
        raise Conflict("Start setting up two-step verification first.")
    await enforce(current_runtime().kv, realm.key("second-factor", account.id), SECOND_FACTOR_PER_ACCOUNT)
    secret = current_runtime().keyring.decrypt(account.totp_secret_cipher, context="totp")
    if not totp.verify_totp(secret, totp.normalise_code(code)):
        raise ValidationFailed({"code": "That code is not right."}, message="That code is not right.")
    await current_connection().execute(f"update {realm.users} set totp_enabled_at = now() where id = $1", account_id)
    return await regenerate_recovery_codes(realm, account_id)


async def regenerate_recovery_codes(realm: Realm, account_id: int) -> list[str]:
    """Replace every recovery code; the plain codes are returned once and kept only hashed."""
    conn = current_connection()
    await conn.execute(f"delete from {realm.codes} where {realm.owner_column} = $1", account_id)
    codes = totp.new_recovery_codes()
    tenant_column, tenant_value = (", tenant_id", ", hearth_current_tenant()") if realm.tenant_scoped else ("", "")
    await conn.executemany(
        f"insert into {realm.codes} ({realm.owner_column}, code_hash{tenant_column}) values ($1, $2{tenant_value})",
        [(account_id, _code_hash(realm, code)) for code in codes],
    )
    return codes


async def recovery_codes_left(realm: Realm, account_id: int) -> int:
    return await current_connection().fetchval(
        f"select count(*) from {realm.codes} where {realm.owner_column} = $1 and used_at is null", account_id
    )


async def disable_totp(realm: Realm, account_id: int, password: str) -> None:
    account = await _require_account(realm, account_id)
    if not await verify_password(await _password_hash(realm, account), password):
        raise ValidationFailed({"password": "The password is wrong."})
    conn = current_connection()
    await conn.execute(
        f"update {realm.users} set totp_secret_cipher = null, totp_enabled_at = null where id = $1", account_id
    )
    await conn.execute(f"delete from {realm.codes} where {realm.owner_column} = $1", account_id)


async def _set_password_hash(realm: Realm, account_id: int, checked_hash: str, password_hash: str) -> bool:
    """Replace the hash the password was just checked against (an operator's through its function);
    False when it changed in between."""
    conn = current_connection()
    if realm.tenant_scoped:
        await conn.execute(f"update {realm.users} set password_hash = $2 where id = $1", account_id, password_hash)
        return True
    return bool(await conn.fetchval("select hearth_operator_set_password_hash($1, $2, $3)", account_id, checked_hash, password_hash))


async def change_password(realm: Realm, account_id: int, *, current: str, new: str) -> None:
    account = await _require_account(realm, account_id)
    checked_hash = await _password_hash(realm, account)
    if not await verify_password(checked_hash, current):
        raise ValidationFailed({"current_password": "The password is wrong."})
    assert checked_hash is not None
    check_strength(new, "new_password")
    if not await _set_password_hash(realm, account_id, checked_hash, await hash_password(new)):
        raise ValidationFailed({"current_password": "The password is wrong."})


# --------------------------------------------------------------------------- console users


async def create_console_user(data: ConsoleUserCreate) -> ConsoleUser:
    check_strength(data.password)
    conn = current_connection()
    if await conn.fetchval("select 1 from core_console_user where email = $1", data.email):
        raise Conflict("A user with this email already exists.", fields={"email": "A user with this email already exists."})
    row = await conn.fetchrow(
        f"insert into core_console_user (tenant_id, email, display_name, password_hash, role) "
        f"values (hearth_current_tenant(), $1, $2, $3, $4) returning {_columns(CONSOLE)}",
        data.email.strip(), data.display_name.strip(), await hash_password(data.password), data.role,
    )
    return console_user(_account(row))


async def list_console_users() -> list[ConsoleUser]:
    rows = await current_connection().fetch(
        f"select {_columns(CONSOLE)} from core_console_user order by status, "
        "array_position(array['owner','manager','dispatcher','finance','support']::text[], role::text), email"
    )
    return [console_user(_account(r)) for r in rows]


async def console_user_names(user_ids: Iterable[int], *, active_only: bool = False) -> dict[int, str]:
    """Display names by console user id (the franchise's own), for lists that say who handles
    something; `active_only` leaves out deactivated users."""
    rows = await current_connection().fetch(
        "select id, display_name from core_console_user where id = any($1::bigint[]) and (not $2 or status = 'active')",
        sorted(set(user_ids)), active_only,
    )
    return {r["id"]: r["display_name"] for r in rows}


async def get_console_user(user_id: int) -> ConsoleUser:
    return console_user(await _require_account(CONSOLE, user_id))


async def update_console_user(user_id: int, data: ConsoleUserUpdate) -> ConsoleUser:
    """Change a user's name, role or status. The franchise always keeps an active owner."""
    conn = current_connection()
    # Lock the active owners, so two concurrent demotions can't both see "another owner left".
    owners = {r["id"] for r in await conn.fetch(
        "select id from core_console_user where role = 'owner' and status = 'active' for update"
    )}
    user = await _require_account(CONSOLE, user_id)
    role = user.role if data.role is UNSET else data.role
    status = user.status if data.status is UNSET else data.status
    name = user.display_name if data.display_name is UNSET else data.display_name.strip()
    if user_id in owners and (role != "owner" or status != "active") and owners == {user_id}:
        field = "role" if role != "owner" else "status"
        raise Conflict(
            "A franchise needs at least one active owner. Make someone else an owner first.",
            fields={field: "This is the last active owner."},
        )
    row = await conn.fetchrow(
        f"update core_console_user set role = $2, status = $3, display_name = $4 where id = $1 returning {_columns(CONSOLE)}",
        user_id, role, status, name,
    )
    return console_user(_account(row))


async def ensure_console_owner(*, email: str, display_name: str, password: str) -> bool:
    """Create the owner unless a user with this email exists (seeding: never resets a password)."""
    if await find_account(CONSOLE, email) is not None:
        return False
    await create_console_user(msgspec.convert(
        {"email": email, "display_name": display_name, "role": "owner", "password": password}, ConsoleUserCreate
    ))
    return True


# --------------------------------------------------------------------------- operators


async def create_operator(data: OperatorCreate) -> Operator:
    check_strength(data.password)
    conn = current_connection()
    if await conn.fetchval("select 1 from core_operator where email = $1", data.email):
        raise Conflict("An operator with this email already exists.", fields={"email": "An operator with this email already exists."})
    row = await conn.fetchrow(
        f"insert into core_operator (email, display_name, password_hash) values ($1, $2, $3) returning {_columns(OPERATOR)}",
        data.email.strip(), data.display_name.strip(), await hash_password(data.password),
    )
    return operator(_account(row))


async def ensure_operator(*, email: str, display_name: str, password: str) -> bool:
    if await find_account(OPERATOR, email) is not None:
        return False
    await create_operator(msgspec.convert({"email": email, "display_name": display_name, "password": password}, OperatorCreate))
    return True
