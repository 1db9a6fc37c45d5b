"""Console users (per tenant, under RLS), their recovery codes, and platform operators.

The SQL in piccolo_migrations/accounts_0002_console.py is the source of truth; these classes
mirror it for ORM queries.
"""

from enum import Enum

from piccolo.columns import BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.db.citus import reference
from platform_core.tenancy.tables import Tenant


class Citext(Text):
    """PostgreSQL's case-insensitive text (the citext extension); Piccolo has no such column."""


class AccountStatus(str, Enum):
    active = "active"
    disabled = "disabled"


class ConsoleUser(Table, tablename="core_console_user"):
    """A franchise's office user: signs in to /console/ on the tenant's host."""

    class Role(str, Enum):
        owner = "owner"
        manager = "manager"
        dispatcher = "dispatcher"
        finance = "finance"
        support = "support"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    email = Citext(default=None)
    display_name = Varchar(length=200, default=None)
    password_hash = Text(default=None)
    role = Varchar(length=32, choices=Role, default=None)
    status = Varchar(length=16, choices=AccountStatus, default=AccountStatus.active)
    totp_secret_cipher = Text(null=True, default=None)
    totp_enabled_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ConsoleRecoveryCode(Table, tablename="core_console_recovery_code"):
    """A single-use 2FA recovery code, stored as a keyed hash."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    user = ForeignKey(ConsoleUser, db_column_name="user_id", null=False)
    code_hash = Varchar(length=64, default=None)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Operator(Table, tablename="core_operator"):
    """A platform (HQ) operator: signs in to /platform/ on the platform host. No tenant."""

    citus = reference("the platform's operators (HQ), not a franchise's; a handful of rows")

    id = BigSerial(primary_key=True)
    email = Citext(unique=True, default=None)
    display_name = Varchar(length=200, default=None)
    password_hash = Text(default=None)
    status = Varchar(length=16, choices=AccountStatus, default=AccountStatus.active)
    totp_secret_cipher = Text(null=True, default=None)
    totp_enabled_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class OperatorRecoveryCode(Table, tablename="core_operator_recovery_code"):
    citus = reference("the operators' recovery codes, next to their operators")
    id = BigSerial(primary_key=True)
    operator = ForeignKey(Operator, db_column_name="operator_id", null=False)
    code_hash = Varchar(length=64, default=None)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


CONSOLE_TABLES: list = [ConsoleUser, ConsoleRecoveryCode, Operator, OperatorRecoveryCode]
