from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the most units, hours or m² a booking of an item may ask for"

SQL = r"""
ALTER TABLE core_service_item ADD COLUMN max_quantity int;

-- Existing items get the defaults of catalog.schemas.DEFAULT_MAX_QUANTITY, never below their
-- minimum. RLS is lifted for the backfill only: the owner is subject to it too (FORCE), and no
-- tenant is set while migrating.
ALTER TABLE core_service_item NO FORCE ROW LEVEL SECURITY;
UPDATE core_service_item SET max_quantity = GREATEST(min_quantity, CASE pricing_model
  WHEN 'hourly' THEN 12 WHEN 'per_sqm' THEN 500 ELSE 1 END);
ALTER TABLE core_service_item FORCE ROW LEVEL SECURITY;

ALTER TABLE core_service_item ALTER COLUMN max_quantity SET NOT NULL;
ALTER TABLE core_service_item ALTER COLUMN max_quantity SET DEFAULT 1;
ALTER TABLE core_service_item ADD CONSTRAINT core_service_item_quantity_limits
  CHECK (max_quantity >= min_quantity AND max_quantity <= 1000);
"""

BACKWARDS_SQL = r"""
ALTER TABLE core_service_item DROP COLUMN max_quantity;
"""


async def forwards():
    return sql_migration(ID, "catalog", DESCRIPTION, SQL, BACKWARDS_SQL)
