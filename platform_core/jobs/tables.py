"""Piccolo mirror of the SQL in piccolo_migrations/ (the SQL is the source of truth)."""

from piccolo.columns import (
    JSONB,
    BigSerial,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from platform_core.db.citus import coordinator
from platform_core.tenancy.tables import Tenant


class Job(Table, tablename="core_job"):
    """A side effect waiting to run: written in the business transaction, run by a worker.

    Platform-level (no RLS): workers claim every tenant's jobs, then run each in its tenant's scope.
    """

    citus = coordinator("claimed across franchises with FOR UPDATE SKIP LOCKED, which Citus allows on one shard only")

    id = BigSerial(primary_key=True)
    tenant = ForeignKey(Tenant, db_column_name="tenant_id", null=False)
    kind = Varchar(length=100, default=None)
    payload = JSONB(default="{}")
    key = Varchar(length=200, null=True, default=None)
    run_at = Timestamptz()
    attempts = Integer(default=0)
    max_attempts = Integer(default=8)
    last_error = Text(null=True, default=None)
    locked_until = Timestamptz(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


JOB_TABLES = [Job]
