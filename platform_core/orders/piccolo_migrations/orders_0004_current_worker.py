from platform_core.db.migration import sql_migration

ID = "2026-12-02T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the order keeps its current worker (dispatch sets it), so orders never asks dispatch"

SQL = r"""
ALTER TABLE core_order ADD COLUMN staff_id bigint;
CREATE INDEX core_order_staff ON core_order (tenant_id, staff_id) WHERE staff_id IS NOT NULL;

-- Existing orders take the worker of their live assignment (a fresh database migrates orders
-- before dispatch, and has none). RLS is lifted for the backfill only: the owner is subject to it
-- too (FORCE), and no tenant is set while migrating.
DO $$
BEGIN
  IF to_regclass('core_assignment') IS NOT NULL THEN
    ALTER TABLE core_order NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE core_assignment NO FORCE ROW LEVEL SECURITY;
    UPDATE core_order o SET staff_id = a.staff_id FROM core_assignment a
     WHERE a.order_id = o.id AND a.tenant_id = o.tenant_id AND a.status IN ('offered', 'accepted', 'completed');
    ALTER TABLE core_assignment FORCE ROW LEVEL SECURITY;
    ALTER TABLE core_order FORCE ROW LEVEL SECURITY;
  END IF;
END $$;
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL, "ALTER TABLE core_order DROP COLUMN staff_id;")
