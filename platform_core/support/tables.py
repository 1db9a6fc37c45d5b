"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import BigInt, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Feedback(Table, tablename="core_feedback"):
    """A customer's problem report or suggestion, answered and closed from the console."""

    class Kind(str, Enum):
        problem = "problem"
        suggestion = "suggestion"

    class Status(str, Enum):
        open = "open"
        answered = "answered"
        closed = "closed"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None)
    order_id = BigInt(null=True, default=None)
    kind = Varchar(length=16, choices=Kind, default=None)
    subject = Varchar(length=200, default=None)
    body = Varchar(length=4000, default=None)
    status = Varchar(length=16, choices=Status, default=Status.open)
    answer = Varchar(length=4000, default="")
    answered_by = BigInt(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # The console user it was routed to (support_0003): a member's dedicated agent.
    assigned_to = BigInt(null=True, default=None)
    # A problem report's outcome (support_0004): upheld against the order's worker or not.
    outcome = Varchar(length=16, null=True, default=None)
    outcome_staff_id = BigInt(null=True, default=None)
    outcome_reason = Varchar(length=500, default="")
    outcome_by = BigInt(null=True, default=None)
    outcome_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [Feedback]
