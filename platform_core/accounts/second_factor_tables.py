"""Customers' two-step verification: the authenticator secret, recovery codes, remembered devices
(mirrors piccolo_migrations/accounts_0010_customer_second_factor.py)."""

from piccolo.columns import BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant

from .tables import Customer


class CustomerTotp(Table, tablename="core_customer_totp"):
    """A customer's authenticator secret (encrypted); on once `enabled_at` is set."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    secret_cipher = Text(default=None)
    enabled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class CustomerRecoveryCode(Table, tablename="core_customer_recovery_code"):
    """A single-use recovery code, stored as a keyed hash."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    code_hash = Varchar(length=64, default=None)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class CustomerDevice(Table, tablename="core_customer_device"):
    """A device that skips the second step until `expires_at` (its token kept as a keyed hash)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    token_hash = Varchar(length=64, default=None)
    device = Varchar(length=200, default="")
    created_at = Timestamptz()
    last_used_at = Timestamptz()
    expires_at = Timestamptz(default=None)


SECOND_FACTOR_TABLES: list = [CustomerTotp, CustomerRecoveryCode, CustomerDevice]
