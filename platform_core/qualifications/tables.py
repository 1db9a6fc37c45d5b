"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    Array,
    BigInt,
    BigSerial,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Numeric,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class CredentialKind(Table, tablename="core_credential_kind"):
    """A credential kind the franchise added beside the built-in ones."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    code = Varchar(length=40, default=None)
    name = Varchar(length=80, default=None)
    expires = Boolean(default=False)
    created_at = Timestamptz()


class StaffApplication(Table, tablename="core_staff_application"):
    """A candidate's application to work for the franchise, and the office's review of it."""

    class State(str, Enum):
        submitted = "submitted"
        more_needed = "more_needed"
        approved = "approved"
        rejected = "rejected"

    class BackgroundCheck(str, Enum):
        not_started = "not_started"
        clear = "clear"
        concern = "concern"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    phone_cipher = Text(default=None)
    phone_index = Varchar(length=64, default=None)
    phone_masked = Varchar(length=20, default=None)
    name = Varchar(length=40, default=None)
    gender = Varchar(length=8, default="")
    birth_year = SmallInt(null=True, default=None)
    skills = Array(base_column=Text())
    categories = Array(base_column=Text())
    years_experience = SmallInt(default=0)
    districts = Array(base_column=Text())
    home_lat = Numeric(digits=(9, 6), null=True, default=None)
    home_lng = Numeric(digits=(9, 6), null=True, default=None)
    service_radius_km = SmallInt(default=10)
    bio = Varchar(length=1000, default="")
    id_number_cipher = Text(default=None)
    id_number_masked = Varchar(length=40, default=None)
    state = Varchar(length=16, choices=State, default=State.submitted)
    more_request = Varchar(length=500, default="")
    background_check = Varchar(length=16, choices=BackgroundCheck, default=BackgroundCheck.not_started)
    background_note = Varchar(length=1000, default="")
    interview_note = Varchar(length=2000, default="")
    decision_reason = Varchar(length=500, default="")
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    staff_id = BigInt(null=True, default=None)
    submitted_at = Timestamptz()
    updated_at = Timestamptz()


class Credential(Table, tablename="core_credential"):
    """An ID card or certificate of an application or a worker, with its review."""

    class State(str, Enum):
        pending = "pending"
        approved = "approved"
        rejected = "rejected"
        revoked = "revoked"
        superseded = "superseded"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    application_id = BigInt(null=True, default=None)
    staff_id = BigInt(null=True, default=None)
    kind = Varchar(length=40, default=None)
    number_cipher = Text(default=None)
    number_masked = Varchar(length=40, default=None)
    issuer = Varchar(length=100, default="")
    issued_on = Date(null=True, default=None)
    expires_on = Date(null=True, default=None)
    photo_sealed = Bytea(null=True, default=None)
    photo_type = Varchar(length=20, default="")
    state = Varchar(length=16, choices=State, default=State.pending)
    reason = Varchar(length=500, default="")
    renews_id = BigInt(null=True, default=None)
    reviewed_by = BigInt(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class StaffApplicationEvent(Table, tablename="core_staff_application_event"):
    """Who decided what and when, on an application or one of its documents."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    application_id = BigInt(default=None)
    credential_id = BigInt(null=True, default=None)
    action = Varchar(length=32, default=None)
    note = Varchar(length=2000, default="")
    actor_id = BigInt(null=True, default=None)
    at = Timestamptz()


class CredentialRequirement(Table, tablename="core_credential_requirement"):
    """The franchise's rule: a category, or one of its items, needs a credential kind."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    category = Varchar(length=40, default=None)
    item_id = BigInt(null=True, default=None)
    kind = Varchar(length=40, default=None)
    created_by = BigInt(null=True, default=None)
    created_at = Timestamptz()


class CoursePass(Table, tablename="core_course_pass"):
    """A worker's latest pass of a training course (on_course_passed)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    course_code = Varchar(length=64, default=None)
    certificate_no = Varchar(length=64, default=None)
    passed_at = Timestamptz(default=None)
    expires_at = Timestamptz(null=True, default=None)


class CredentialReminder(Table, tablename="core_credential_reminder"):
    """An expiry reminder sent for a credential, 30 or 7 days before."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    credential_id = BigInt(default=None)
    days_before = SmallInt(default=None)
    sent_at = Timestamptz()


TABLES: list[type[Table]] = [CredentialKind, StaffApplication, Credential, StaffApplicationEvent, CredentialRequirement, CoursePass,
                             CredentialReminder]
