from platform_core.db.migration import sql_migration

ID = "2026-12-03T04:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "a discount line says who funds it: the franchise or the platform (read at settlement)"

SQL = r"""
ALTER TABLE core_order_line ADD COLUMN funded_by varchar(16)
  CHECK (funded_by IN ('franchise', 'platform'));
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL, "ALTER TABLE core_order_line DROP COLUMN funded_by;")
