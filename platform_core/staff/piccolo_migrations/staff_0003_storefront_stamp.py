from platform_core.db.migration import sql_migration

ID = "2026-12-03T11:44:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff: a change to what the storefront shows of a worker renews the tenant's stamp"

# An item's page lists its workers (name, photo, experience, rating), kept per process by the
# tenant's stamp (booking/storefront.py). Only the columns it shows renew the stamp: a worker's
# sign-in, location or hours do not.
SQL = r"""
CREATE TRIGGER core_staff_touch AFTER INSERT OR DELETE ON core_staff
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_staff_touch_update AFTER UPDATE OF name, status ON core_staff
  FOR EACH ROW WHEN ((OLD.name, OLD.status) IS DISTINCT FROM (NEW.name, NEW.status)) EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_staff_profile_touch AFTER INSERT OR DELETE ON core_staff_profile
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_staff_profile_touch_update AFTER UPDATE ON core_staff_profile
  FOR EACH ROW WHEN ((OLD.photo_url, OLD.years_experience, OLD.skills, OLD.rating_avg, OLD.rating_count)
                     IS DISTINCT FROM (NEW.photo_url, NEW.years_experience, NEW.skills, NEW.rating_avg, NEW.rating_count))
  EXECUTE FUNCTION hearth_tenant_touch();
"""

UNDO = r"""
DROP TRIGGER core_staff_profile_touch_update ON core_staff_profile;
DROP TRIGGER core_staff_profile_touch ON core_staff_profile;
DROP TRIGGER core_staff_touch_update ON core_staff;
DROP TRIGGER core_staff_touch ON core_staff;
"""


async def forwards():
    return sql_migration(ID, "staff", DESCRIPTION, SQL, UNDO)
