"""The elder care plugin's tables, mirroring piccolo_migrations/ (the SQL is the truth):
prefixed `elder_care_`, `tenant_id` in every key, under forced row-level security."""

from __future__ import annotations

from piccolo.columns import (
    Array,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    SmallInt,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from platform_core.plugin_api import Tenant


class Elder(Table, tablename="elder_care_elder"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    level = SmallInt(default=None, null=False)
    barthel = SmallInt(default=None, null=False)
    data_cipher = Text(default=None, null=False)
    assessed_at = Timestamptz(default=TimestamptzNow(), null=False)


class Plan(Table, tablename="elder_care_plan"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    customer_id = BigInt(default=None, null=False)
    elder_id = BigInt(default=None, null=False)
    item_id = BigInt(default=None, null=False)
    address_id = BigInt(default=None, null=False)
    weekdays = SmallInt(default=None, null=False)
    start_time = Time(default=None, null=False)
    end_time = Time(default=None, null=False)
    starts_on = Date(default=None, null=False)
    ends_on = Date(default=None, null=True)
    trial_ends_on = Date(default=None, null=False)
    state = Varchar(length=10, default="trial", null=False)
    carer_id = BigInt(default=None, null=True)
    confirmed_at = Timestamptz(default=None, null=True)
    excluded_carers = Array(base_column=BigInt(), default=[], null=False)
    tasks = Array(base_column=Text(), default=[], null=False)
    notes = Varchar(length=1000, default="", null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)
    ended_at = Timestamptz(default=None, null=True)


class Visit(Table, tablename="elder_care_visit"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    plan_id = BigInt(default=None, null=False)
    visit_date = Date(default=None, null=False)
    starts_at = Timestamptz(default=None, null=False)
    order_id = BigInt(default=None, null=True)
    attempt = SmallInt(default=1, null=False)
    state = Varchar(length=10, default=None, null=False)
    note = Varchar(length=300, default="", null=False)


class Log(Table, tablename="elder_care_log"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    plan_id = BigInt(default=None, null=False)
    visit_id = BigInt(default=None, null=False)
    staff_id = BigInt(default=None, null=False)
    tasks_done = Array(base_column=Text(), default=[], null=False)
    photos = Array(base_column=Text(), default=[], null=False)
    data_cipher = Text(default=None, null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


class FamilyMember(Table, tablename="elder_care_family"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    plan_id = BigInt(default=None, null=False)
    member_id = BigInt(default=None, null=True)
    phone_cipher = Text(default=None, null=False)
    phone_masked = Varchar(length=24, default=None, null=False)
    may_manage = Boolean(default=False, null=False)
    created_at = Timestamptz(default=TimestamptzNow(), null=False)


TABLES: list[type[Table]] = [Elder, Plan, Visit, Log, FamilyMember]
