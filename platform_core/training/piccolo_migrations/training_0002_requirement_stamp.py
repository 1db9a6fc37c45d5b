from platform_core.db.migration import sql_migration

ID = "2026-12-03T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "training: a change to what a course requires renews the franchise's stamp"

SQL = r"""
-- Processes keep the courses each category requires by the franchise's stamp
-- (training.services.kept_requirements): a change to a course's state, categories, code or title
-- renews the stamp, so no process offers work by requirements another one changed.
CREATE TRIGGER core_training_course_touch AFTER INSERT OR DELETE OR UPDATE OF state, categories, code, title
  ON core_training_course FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
"""


async def forwards():
    return sql_migration(ID, "training", DESCRIPTION, SQL)
