from platform_core.db.migration import sql_migration

ID = "2026-12-03T04:30:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "the worker's commission on the price before ('list') or after ('paid') the discounts"

SQL = r"""
ALTER TABLE core_ledger_settings ADD COLUMN commission_base varchar(16) NOT NULL DEFAULT 'paid'
  CHECK (commission_base IN ('list', 'paid'));
"""


async def forwards():
    return sql_migration(ID, "ledger", DESCRIPTION, SQL, "ALTER TABLE core_ledger_settings DROP COLUMN commission_base;")
