"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from piccolo.columns import JSONB, BigInt, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Payment(Table, tablename="core_payment"):
    """One attempt to collect money through one provider (or the wallet)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    payment_no = Varchar(length=40, default=None)
    provider = Varchar(length=32, default=None)
    method = Varchar(length=16, default="")
    device = Varchar(length=8, default="")
    purpose = Varchar(length=16, default=None)
    order_id = BigInt(null=True, default=None)
    customer_id = BigInt(default=None)
    amount = BigInt(default=None)
    currency = Varchar(length=8, default=None)
    status = Varchar(length=16, default="pending")
    provider_ref = Varchar(length=128, default="")
    action = JSONB(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    expires_at = Timestamptz(default=None)
    paid_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class Refund(Table, tablename="core_refund"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    payment_id = BigInt(default=None)
    refund_no = Varchar(length=48, default=None)
    amount = BigInt(default=None)
    reason = Varchar(length=300, default="")
    status = Varchar(length=16, default="pending")
    provider_ref = Varchar(length=128, default="")
    message = Varchar(length=300, default="")
    requested_by = Varchar(length=40, default=None)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class PaymentNotification(Table, tablename="core_payment_notification"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    provider = Varchar(length=32, default=None)
    event_id = Varchar(length=128, default=None)
    payment_id = BigInt(default=None)
    status = Varchar(length=16, default=None)
    outcome = Varchar(length=16, default=None)
    received_at = Timestamptz()


class PaymentRefusal(Table, tablename="core_payment_refusal"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    provider = Varchar(length=32, default=None)
    reason = Varchar(length=24, default=None)
    detail = Varchar(length=300, default="")
    payment_no = Varchar(length=40, null=True, default=None)
    remote_addr = Varchar(length=64, default="")
    received_at = Timestamptz()


TABLES: list[type[Table]] = [Payment, Refund, PaymentNotification, PaymentRefusal]
