from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the job outbox"

SQL = r"""
CREATE TABLE core_job (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  kind varchar(100) NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',  -- ids only, never personal data
  key varchar(200),  -- dedupe: one job per (tenant, kind, key) ever
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
  last_error text,
  locked_until timestamptz,  -- the lease of the worker running it
  done_at timestamptz,
  failed_at timestamptz,  -- gave up: attempts used up, or its plugin is off
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, kind, key)
);
CREATE INDEX core_job_due ON core_job (run_at, id) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE INDEX core_job_finished ON core_job (done_at) WHERE done_at IS NOT NULL;
-- Platform-level: a worker claims the due jobs of every tenant, then runs each one inside
-- tenant_scope(tenant_id), under RLS for that tenant only.
COMMENT ON TABLE core_job IS 'hearth:platform';
"""

BACKWARDS_SQL = "DROP TABLE core_job;"


async def forwards():
    return sql_migration(ID, "jobs", DESCRIPTION, SQL, BACKWARDS_SQL)
