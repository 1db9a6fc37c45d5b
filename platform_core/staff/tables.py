"""Worker profiles, weekly hours and days off (mirror staff_0001_initial.py)."""
from decimal import Decimal

from piccolo.columns import (
    Array,
    BigSerial,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    SmallInt,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.accounts.tables import Staff
from platform_core.tenancy.tables import Tenant


class Tstzrange(Column):
    """PostgreSQL's tstzrange (Piccolo has no range columns); read and written through asyncpg."""

    value_type = object


class StaffProfile(Table, tablename="core_staff_profile"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff = ForeignKey(Staff, db_column_name="staff_id", null=False)
    photo_url = Varchar(length=500, default="")
    bio = Varchar(length=2000, default="")
    years_experience = Integer(default=0)
    skills = Array(base_column=Text())
    languages = Array(base_column=Text())
    home_lat = Numeric(digits=(9, 6), null=True, default=None)
    home_lng = Numeric(digits=(9, 6), null=True, default=None)
    service_radius_km = Integer(default=10)
    rating_avg = Numeric(digits=(3, 2), default=Decimal(0))
    rating_count = Integer(default=0)
    updated_at = Timestamptz()


class StaffHours(Table, tablename="core_staff_hours"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff = ForeignKey(Staff, db_column_name="staff_id", null=False)
    weekday = SmallInt(default=None)  # 0 = Monday
    starts = Time(default=None)
    ends = Time(default=None)


class StaffTimeOff(Table, tablename="core_staff_time_off"):
    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff = ForeignKey(Staff, db_column_name="staff_id", null=False)
    during = Tstzrange()
    reason = Varchar(length=200, default="")
    created_at = Timestamptz()


TABLES: list[type[Table]] = [StaffProfile, StaffHours, StaffTimeOff]
