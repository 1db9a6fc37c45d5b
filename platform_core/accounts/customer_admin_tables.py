"""The console's customer management: account state history, notes by the office and phone
reveals (mirrors accounts_0011_customer_management)."""

from piccolo.columns import BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant

from .console_tables import ConsoleUser
from .tables import Customer


class CustomerStatusChange(Table, tablename="core_customer_status_change"):
    """A change of an account's state: who, when, from, to, why, and the rule for open orders."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    from_status = Varchar(length=16, default=None)
    to_status = Varchar(length=16, default=None)
    reason = Varchar(length=500, default=None)
    order_rule = Varchar(length=16, default="")
    console_user = ForeignKey(ConsoleUser, db_column_name="console_user_id", null=True, default=None)
    changed_at = Timestamptz()


class CustomerNote(Table, tablename="core_customer_note"):
    """A note by the office about a customer."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    console_user = ForeignKey(ConsoleUser, db_column_name="console_user_id", null=False)
    body = Varchar(length=1000, default=None)
    created_at = Timestamptz()


class CustomerPhoneReveal(Table, tablename="core_customer_phone_reveal"):
    """An office user read the customer's full phone number."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer = ForeignKey(Customer, db_column_name="customer_id", null=False)
    console_user = ForeignKey(ConsoleUser, db_column_name="console_user_id", null=False)
    revealed_at = Timestamptz()


CUSTOMER_ADMIN_TABLES: list = [CustomerStatusChange, CustomerNote, CustomerPhoneReveal]
