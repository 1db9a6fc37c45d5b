from platform_core.db.migration import sql_migration

ID = "2026-12-03T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders: a change to the booking rules renews the franchise's stamp"

SQL = r"""
-- Processes keep each franchise's booking rules by its stamp (orders.services.booking_settings):
-- a change to them renews the stamp, so no process checks a placement by rules another changed.
CREATE TRIGGER core_booking_settings_touch AFTER INSERT OR UPDATE OR DELETE ON core_booking_settings
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL)
