"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from piccolo.columns import JSONB, BigInt, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Payment(Table, tablename="core_payment"):
    """One attempt to collect money through one provider (or the wallet)."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    payment_no = Varchar(length=40)
    provider = Varchar(length=32)
    method = Varchar(length=16, default="")
    device = Varchar(length=8, default="")
    purpose = Varchar(length=16)
    order_id = BigInt(null=True, default=None)
    customer_id = BigInt()
    amount = BigInt()
    currency = Varchar(length=8)
    status = Varchar(length=16, default="pending")
    provider_ref = Varchar(length=128, default="")
    action = JSONB(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    expires_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class Refund(Table, tablename="core_refund"):
    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    payment_id = BigInt()
    refund_no = Varchar(length=48)
    amount = BigInt()
    reason = Varchar(length=300, default="")
    status = Varchar(length=16, default="pending")
    provider_ref = Varchar(length=128, default="")
    message = Varchar(length=300, default="")
    requested_by = Varchar(length=40)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class PaymentNotification(Table, tablename="core_payment_notification"):
    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    provider = Varchar(length=32)
    event_id = Varchar(length=128)
    payment_id = BigInt()
    status = Varchar(length=16)
    outcome = Varchar(length=16)
    received_at = Timestamptz()


class PaymentRefusal(Table, tablename="core_payment_refusal"):
    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    provider = Varchar(length=32)
    reason = Varchar(length=24)
    detail = Varchar(length=300, default="")
    payment_no = Varchar(length=40, null=True, default=None)
    remote_addr = Varchar(length=64, default="")
    received_at = Timestamptz()


TABLES: list[type[Table]] = [Payment, Refund, PaymentNotification, PaymentRefusal]
