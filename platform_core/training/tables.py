"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from enum import Enum

from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.db.citus import reference
from platform_core.tenancy.tables import Tenant


class CourseState(str, Enum):
    draft = "draft"
    published = "published"
    archived = "archived"


class HeadOfficeCourse(Table, tablename="core_training_hq_course"):
    """A course head office writes once and publishes to every franchise."""

    citus = reference("head office's courses, copied into every franchise's courses; a few dozen rows")

    id = BigSerial(primary_key=True)
    code = Varchar(length=40, unique=True, default=None)
    title = Varchar(length=120, default=None)
    summary = Varchar(length=1000, default="")
    lessons = JSONB(default="[]")
    questions = JSONB(default="[]")
    pass_mark = SmallInt(default=80)
    retake_after_hours = Integer(default=24)
    categories = Array(base_column=Text())
    onboarding = Boolean(default=False)
    state = Varchar(length=16, choices=CourseState, default=CourseState.draft)
    version = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Course(Table, tablename="core_training_course"):
    """A franchise's course: its own, head office's copy, or a plugin's."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    code = Varchar(length=40, default=None)
    title = Varchar(length=120, default=None)
    summary = Varchar(length=1000, default="")
    lessons = JSONB(default="[]")
    questions = JSONB(default="[]")
    pass_mark = SmallInt(default=80)
    retake_after_hours = Integer(default=24)
    categories = Array(base_column=Text())
    onboarding = Boolean(default=False)
    state = Varchar(length=16, choices=CourseState, default=CourseState.draft)
    version = Integer(default=0)
    hq_course_id = ForeignKey(HeadOfficeCourse, db_column_name="hq_course_id", null=True, default=None)
    hq_version = Integer(null=True, default=None)
    source_plugin = Varchar(length=64, null=True, default=None)
    plugin_digest = Varchar(length=64, null=True, default=None)
    edited = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CourseProgress(Table, tablename="core_training_progress"):
    """The lessons a worker has read in a course."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    course_id = BigInt(default=None)
    lessons_read = Array(base_column=Text())
    started_at = Timestamptz()
    updated_at = Timestamptz()


class QuizAttempt(Table, tablename="core_training_attempt"):
    """One go at a course's quiz: open, then passed or failed once."""

    class State(str, Enum):
        open = "open"
        passed = "passed"
        failed = "failed"

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    staff_id = BigInt(default=None)
    course_id = BigInt(default=None)
    course_version = Integer(default=None)
    state = Varchar(length=16, choices=State, default=State.open)
    answers = JSONB(default="[]")
    correct = Integer(default=0)
    total = Integer(default=0)
    score = SmallInt(default=0)
    started_at = Timestamptz(default=None)
    submitted_at = Timestamptz(null=True, default=None)
    retake_at = Timestamptz(null=True, default=None)


class Certificate(Table, tablename="core_training_certificate"):
    """A certificate of completion, numbered within the franchise."""

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    number = Varchar(length=40, default=None)
    staff_id = BigInt(default=None)
    course_id = BigInt(default=None)
    attempt_id = BigInt(null=True, default=None)
    course_title = Varchar(length=120, default=None)
    score = SmallInt(null=True, default=None)
    passed_at = Timestamptz(default=None)


TABLES: list[type[Table]] = [HeadOfficeCourse, Course, CourseProgress, QuizAttempt, Certificate]
