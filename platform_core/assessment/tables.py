"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInt,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.tenancy.tables import Tenant


class AssessmentSettings(Table, tablename="core_assessment_settings"):
    """The franchise's formula, rules and watch mark (one row; none: the defaults)."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    weights = JSONB(default=None)
    grace_minutes = SmallInt(default=None)
    complaints_cap = SmallInt(default=None)
    no_shows_cap = SmallInt(default=None)
    declines_cap = SmallInt(default=None)
    jobs_target = SmallInt(default=None)
    repeat_target_pct = SmallInt(default=None)
    low_rating_stars = SmallInt(default=None)
    min_jobs = SmallInt(default=None)
    watch_below = SmallInt(default=None)
    top_decile_bonus = BigInt(default=None)
    complaint_deduction = BigInt(default=None)
    low_rating_deduction = BigInt(default=None)
    updated_by = BigInt(null=True, default=None)
    updated_at = Timestamptz()


class Scorecard(Table, tablename="core_scorecard"):
    """One worker's scorecard for one month, each part with its value, score and weight."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    month = Date(default=None)
    score = Numeric(digits=(5, 1), null=True, default=None)
    parts = JSONB(default=None)
    completed = Integer(default=0)
    rank = Integer(null=True, default=None)
    ranked = Integer(default=0)
    computed_at = Timestamptz()
    computed_by = BigInt(null=True, default=None)


class AssessmentItem(Table, tablename="core_assessment_item"):
    """A reward or penalty a rule gave for a month, proposed to staff_pay as an adjustment."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    month = Date(default=None)
    rule = Varchar(length=20, default=None)
    ref = Varchar(length=40, default=None)
    kind = Varchar(length=16, default=None)
    amount = BigInt(default=None)
    reason = Varchar(length=300, default=None)
    adjustment_id = BigInt(default=None)
    reversal_adjustment_id = BigInt(null=True, default=None)
    created_at = Timestamptz()


class AssessmentAppeal(Table, tablename="core_assessment_appeal"):
    """A worker's appeal of an item and the office's decision."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    item_id = BigInt(default=None)
    staff_id = BigInt(default=None)
    comment = Varchar(length=1000, default=None)
    state = Varchar(length=16, default="open")
    decision_note = Varchar(length=1000, default="")
    decided_by = BigInt(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class QualityWatch(Table, tablename="core_quality_watch"):
    """A worker on the watch list, from when and why until taken off and why."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    reason = Varchar(length=500, default=None)
    started_by = BigInt(null=True, default=None)
    started_at = Timestamptz()
    end_reason = Varchar(length=500, default="")
    ended_by = BigInt(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)


class CoachingNote(Table, tablename="core_coaching_note"):
    """A guidance note in a worker's coaching record, with its follow-up."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    note = Varchar(length=2000, default=None)
    follow_up_on = Date(null=True, default=None)
    follow_up_outcome = Varchar(length=1000, default="")
    follow_up_done_at = Timestamptz(null=True, default=None)
    follow_up_done_by = BigInt(null=True, default=None)
    created_by = BigInt(null=True, default=None)
    created_at = Timestamptz()


TABLES: list[type[Table]] = [AssessmentSettings, Scorecard, AssessmentItem, AssessmentAppeal, QualityWatch, CoachingNote]
