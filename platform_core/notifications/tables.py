"""Piccolo mirrors of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import BigInt, ForeignKey, Text, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class DevOutboxMessage(Table, tablename="core_dev_outbox"):
    """A message the dev channel delivered by keeping it (dev mode only)."""

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    channel = Varchar(length=32)
    recipient = Text()  # encrypted with the keyring context "outbox.to"
    body = Text()
    purpose = Varchar(length=64)
    created_at = Timestamptz()


class Notification(Table, tablename="core_notification"):
    """An entry in a customer's or a worker's in-app inbox."""

    class RecipientKind(str, Enum):
        customer = "customer"
        staff = "staff"

    tenant = ForeignKey(Tenant, db_column_name="tenant_id")
    recipient_kind = Varchar(length=16, choices=RecipientKind)
    recipient_id = BigInt()
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=500, default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


NOTIFICATION_TABLES = [DevOutboxMessage, Notification]
