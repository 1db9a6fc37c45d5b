"""Dispatch settings and assignments (mirrors dispatch_0001_initial.py; queries use SQL in services)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
    BigSerial,
    Boolean,
    Column,
    DoublePrecision,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import BigInt
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class Tstzrange(Column):
    """PostgreSQL's tstzrange (Piccolo has no range columns); read and written through asyncpg."""

    value_type = object


class DispatchSettings(Table, tablename="core_dispatch_settings"):
    class Mode(str, Enum):
        auto = "auto"
        manual = "manual"
        customer_pick = "customer_pick"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", unique=True, null=False)
    mode = Varchar(length=16, choices=Mode, default=Mode.auto)
    grab_pool = Boolean(default=False)
    accept_timeout_s = Integer(default=600)
    weights = JSONB(default='{"distance": 0.35, "rating": 0.25, "workload": 0.2, "skills": 0.2}')
    travel_speed_kmh = Integer(default=25)
    arrange_deadline_hours = Integer(default=12)
    office_alert_hours = Integer(default=6)
    updated_at = Timestamptz()


class Assignment(Table, tablename="core_assignment"):
    class Status(str, Enum):
        offered = "offered"
        accepted = "accepted"
        declined = "declined"
        expired = "expired"
        released = "released"
        completed = "completed"

    class Source(str, Enum):
        auto = "auto"
        batch = "batch"
        manual = "manual"
        customer = "customer"
        grab = "grab"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    order_id = BigInt(default=None)
    staff_id = BigInt(default=None)
    during = Tstzrange()
    status = Varchar(length=16, choices=Status, default=None)
    source = Varchar(length=16, choices=Source, default=None)
    score = DoublePrecision(null=True, default=None)
    score_breakdown = JSONB(default="{}")
    offered_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    actor_kind = Varchar(length=16, null=True, default=None)
    actor_id = BigInt(null=True, default=None)


TABLES: list[type[Table]] = [DispatchSettings, Assignment]
