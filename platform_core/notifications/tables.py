"""Piccolo mirrors of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import BigInt, BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class DevOutboxMessage(Table, tablename="core_dev_outbox"):
    """A message the dev channel delivered by keeping it (dev mode only)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    channel = Varchar(length=32, default=None)
    recipient = Text(default=None)  # encrypted with the keyring context "outbox.to"
    body = Text(default=None)
    purpose = Varchar(length=64, default=None)
    created_at = Timestamptz()


class Notification(Table, tablename="core_notification"):
    """An entry in a customer's or a worker's in-app inbox."""

    class RecipientKind(str, Enum):
        customer = "customer"
        staff = "staff"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    recipient_kind = Varchar(length=16, choices=RecipientKind, default=None)
    recipient_id = BigInt(default=None)
    title = Varchar(length=200, default=None)
    body = Text(default="")
    link = Varchar(length=500, default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


NOTIFICATION_TABLES = [DevOutboxMessage, Notification]
