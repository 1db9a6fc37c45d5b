from platform_core.db.migration import sql_migration

ID = "2026-12-03T04:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders: an index of each customer's live orders, so marketing segments read it alone"

SQL = r"""
-- Segment filters (new, dormant, spend, category) and the channel report group a franchise's
-- live orders by customer: with what they read included, that is an index-only scan.
CREATE INDEX core_order_customer_live ON core_order (tenant_id, customer_id, created_at)
  INCLUDE (paid_at, total, category_code) WHERE state <> 'cancelled';
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL)
