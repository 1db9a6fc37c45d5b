"""Console users (per tenant, under RLS), their recovery codes, and platform operators.

The SQL in piccolo_migrations/accounts_0002_console.py is the source of truth; these classes
mirror it for ORM queries.
"""

from enum import Enum

from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


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

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    email = Varchar(length=254)  # citext in the database
    display_name = Varchar(length=200)
    password_hash = Text()
    role = Varchar(length=32, choices=Role)
    status = Varchar(length=16, choices=AccountStatus, default=AccountStatus.active)
    totp_secret_cipher = Text(null=True, default=None)
    totp_enabled_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class ConsoleRecoveryCode(Table, tablename="core_console_recovery_code"):
    """A single-use 2FA recovery code, stored as a keyed hash."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    user = ForeignKey(ConsoleUser, db_column_name="user_id")
    code_hash = Varchar(length=64)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Operator(Table, tablename="core_operator"):
    """A platform (HQ) operator: signs in to /platform/ on the platform host. No tenant."""

    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=200)
    password_hash = Text()
    status = Varchar(length=16, choices=AccountStatus, default=AccountStatus.active)
    totp_secret_cipher = Text(null=True, default=None)
    totp_enabled_at = Timestamptz(null=True, default=None)
    last_sign_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class OperatorRecoveryCode(Table, tablename="core_operator_recovery_code"):
    operator = ForeignKey(Operator, db_column_name="operator_id")
    code_hash = Varchar(length=64)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


CONSOLE_TABLES: list = [ConsoleUser, ConsoleRecoveryCode, Operator, OperatorRecoveryCode]
