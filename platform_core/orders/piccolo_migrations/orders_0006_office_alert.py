from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "an order still without a worker close to its dispatch deadline is flagged for the office"

SQL = r"""
-- Set when dispatch alerts the office (the order joins the exception queue while it waits for a
-- worker); cleared when the customer picks another time.
ALTER TABLE core_order ADD COLUMN office_alert_at timestamptz;
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL, "ALTER TABLE core_order DROP COLUMN office_alert_at;")
