from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the franchise's deadline before a visit for finding its worker, and when the office is alerted"

SQL = r"""
-- Hours before the visit until which dispatch keeps offering a scheduled order; after it the
-- customer picks another time or a full refund. The office is alerted office_alert_hours earlier.
ALTER TABLE core_dispatch_settings
  ADD COLUMN arrange_deadline_hours int NOT NULL DEFAULT 12 CHECK (arrange_deadline_hours BETWEEN 1 AND 168),
  ADD COLUMN office_alert_hours int NOT NULL DEFAULT 6 CHECK (office_alert_hours BETWEEN 0 AND 168);
"""


async def forwards():
    return sql_migration(
        ID, "dispatch", DESCRIPTION, SQL,
        "ALTER TABLE core_dispatch_settings DROP COLUMN arrange_deadline_hours, DROP COLUMN office_alert_hours;",
    )
