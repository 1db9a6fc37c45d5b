from platform_core.db.migration import sql_migration

ID = "2026-12-03T08:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "support: feedback may be assigned to a console user (a member's dedicated agent, select_feedback_assignee)"

SQL = r"""
ALTER TABLE core_feedback ADD COLUMN assigned_to bigint;
ALTER TABLE core_feedback ADD CONSTRAINT core_feedback_assigned_to_fkey
  FOREIGN KEY (tenant_id, assigned_to) REFERENCES core_console_user (tenant_id, id);
CREATE INDEX core_feedback_assigned ON core_feedback (tenant_id, assigned_to) WHERE assigned_to IS NOT NULL;
"""


async def forwards():
    return sql_migration(ID, "support", DESCRIPTION, SQL)
