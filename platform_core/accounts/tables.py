"""Customers, staff, addresses, login identities and one-time codes (mirrors the SQL migration)."""

from enum import Enum

from piccolo.columns import JSONB, Boolean, ForeignKey, Numeric, Text, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Customer(Table, tablename="core_customer"):
    class Status(str, Enum):
        active = "active"
        frozen = "frozen"
        closed = "closed"

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    display_name = Varchar(length=40, default="")
    phone_cipher = Text(null=True, default=None)
    phone_index = Varchar(length=64, null=True, default=None)
    email = Varchar(length=254, default="")
    preferences = JSONB(default="{}")
    status = Varchar(length=16, choices=Status, default=Status.active)
    created_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)


class CustomerAddress(Table, tablename="core_customer_address"):
    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    customer = ForeignKey(Customer, db_column_name="customer_id")
    label = Varchar(length=20, default="")
    contact_name = Varchar(length=40)
    contact_phone_cipher = Text()
    region = Varchar(length=40, default="")
    city = Varchar(length=40)
    district = Varchar(length=40, default="")
    street = Varchar(length=200)
    detail = Varchar(length=200, default="")
    lat = Numeric(digits=(9, 6), null=True, default=None)
    lng = Numeric(digits=(9, 6), null=True, default=None)
    is_default = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LoginIdentity(Table, tablename="core_login_identity"):
    """A customer's account at a login provider (WeChat, QQ): (provider, subject) is unique."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    customer = ForeignKey(Customer, db_column_name="customer_id")
    provider = Varchar(length=40)
    subject = Varchar(length=200)
    display_name = Varchar(length=100, default="")
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class Staff(Table, tablename="core_staff"):
    """A worker of the franchise: what sign-in needs (the worker profile comes later)."""

    class Status(str, Enum):
        active = "active"
        inactive = "inactive"

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    name = Varchar(length=40)
    phone_cipher = Text()
    phone_index = Varchar(length=64)
    status = Varchar(length=16, choices=Status, default=Status.active)
    created_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)


class OtpCode(Table, tablename="core_otp_code"):
    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    purpose = Varchar(length=32)
    phone_index = Varchar(length=64)
    code_hash = Varchar(length=64)
    expires_at = Timestamptz()
    consumed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


CUSTOMER_TABLES: list = [Customer, CustomerAddress, LoginIdentity, Staff, OtpCode]
