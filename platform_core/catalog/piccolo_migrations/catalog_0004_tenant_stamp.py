from platform_core.db.migration import sql_migration

ID = "2026-12-03T07:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalog: a change to a category, a service or an add-on renews the tenant's stamp"

# An app process keeps what customers see of a franchise's catalog by the tenant's stamp
# (catalog/services.py: _kept), as it keeps the tenant itself (tenancy_0003): a change renews the
# stamp in its own transaction, so the next request of every process reads the catalog again.
# An update that changes nothing (a plugin's categories synced at start) keeps the stamp.
SQL = r"""
CREATE TRIGGER core_service_category_touch AFTER INSERT OR DELETE ON core_service_category
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_service_category_touch_update AFTER UPDATE ON core_service_category
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_service_item_touch AFTER INSERT OR DELETE ON core_service_item
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_service_item_touch_update AFTER UPDATE ON core_service_item
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_service_addon_touch AFTER INSERT OR DELETE ON core_service_addon
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_service_addon_touch_update AFTER UPDATE ON core_service_addon
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION hearth_tenant_touch();
"""

UNDO = r"""
DROP TRIGGER core_service_addon_touch_update ON core_service_addon;
DROP TRIGGER core_service_addon_touch ON core_service_addon;
DROP TRIGGER core_service_item_touch_update ON core_service_item;
DROP TRIGGER core_service_item_touch ON core_service_item;
DROP TRIGGER core_service_category_touch_update ON core_service_category;
DROP TRIGGER core_service_category_touch ON core_service_category;
"""


async def forwards():
    return sql_migration(ID, "catalog", DESCRIPTION, SQL, UNDO)
