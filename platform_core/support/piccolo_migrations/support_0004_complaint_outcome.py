from platform_core.db.migration import sql_migration

ID = "2026-12-03T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "support: a problem report about an order is upheld against the order's worker or not, with a reason, by whom and when"

SQL = r"""
ALTER TABLE core_feedback
  ADD COLUMN outcome varchar(16) CHECK (outcome IN ('upheld', 'not_upheld')),
  ADD COLUMN outcome_staff_id bigint,
  ADD COLUMN outcome_reason varchar(500) NOT NULL DEFAULT '',
  ADD COLUMN outcome_by bigint,
  ADD COLUMN outcome_at timestamptz,
  ADD CONSTRAINT core_feedback_outcome_staff_fkey FOREIGN KEY (tenant_id, outcome_staff_id) REFERENCES core_staff (tenant_id, id),
  ADD CONSTRAINT core_feedback_outcome_by_fkey FOREIGN KEY (tenant_id, outcome_by) REFERENCES core_console_user (tenant_id, id),
  -- Decided means who, when and why are kept; upheld means against a worker.
  ADD CONSTRAINT core_feedback_outcome_kept CHECK ((outcome IS NULL) = (outcome_at IS NULL) AND (outcome IS NULL OR outcome_by IS NOT NULL)),
  ADD CONSTRAINT core_feedback_upheld_worker CHECK (outcome IS DISTINCT FROM 'upheld' OR outcome_staff_id IS NOT NULL);
CREATE INDEX core_feedback_upheld ON core_feedback (tenant_id, outcome_at) WHERE outcome = 'upheld';
"""


async def forwards():
    return sql_migration(ID, "support", DESCRIPTION, SQL)
