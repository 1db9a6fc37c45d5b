from platform_core.db.migration import sql_migration

ID = "2026-12-03T22:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "qualifications: a change to what a worker holds (credentials, course passes) renews the tenant's stamp"

# Processes keep which workers hold what on a day by the franchise's stamp (qualifications.eligibility):
# the item page and every placement of work with requirements ask. Only the columns that check
# reads renew it: a credential's photo, number or reviewer do not.
SQL = r"""
CREATE TRIGGER core_credential_touch AFTER INSERT OR DELETE ON core_credential
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_credential_touch_update AFTER UPDATE OF staff_id, kind, state, expires_on ON core_credential
  FOR EACH ROW WHEN ((OLD.staff_id, OLD.kind, OLD.state, OLD.expires_on) IS DISTINCT FROM (NEW.staff_id, NEW.kind, NEW.state, NEW.expires_on))
  EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_course_pass_touch AFTER INSERT OR DELETE ON core_course_pass
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_course_pass_touch_update AFTER UPDATE OF staff_id, course_code, expires_at ON core_course_pass
  FOR EACH ROW WHEN ((OLD.staff_id, OLD.course_code, OLD.expires_at) IS DISTINCT FROM (NEW.staff_id, NEW.course_code, NEW.expires_at))
  EXECUTE FUNCTION hearth_tenant_touch();
"""

UNDO = r"""
DROP TRIGGER core_course_pass_touch_update ON core_course_pass;
DROP TRIGGER core_course_pass_touch ON core_course_pass;
DROP TRIGGER core_credential_touch_update ON core_credential;
DROP TRIGGER core_credential_touch ON core_credential;
"""


async def forwards():
    return sql_migration(ID, "qualifications", DESCRIPTION, SQL, UNDO)
