from platform_core.db.migration import sql_migration

ID = "2026-12-03T19:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dispatch: a change to the dispatch settings renews the franchise's stamp"

SQL = r"""
-- Processes keep each franchise's dispatch settings by its stamp (dispatch.services.get_settings):
-- a change to them renews the stamp, so no process dispatches by settings another changed.
CREATE TRIGGER core_dispatch_settings_touch AFTER INSERT OR UPDATE OR DELETE ON core_dispatch_settings
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
"""


async def forwards():
    return sql_migration(ID, "dispatch", DESCRIPTION, SQL)
