from platform_core.db.migration import sql_migration

ID = "2026-12-03T14:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "payouts: what the person's app needs to confirm receipt of a transfer (WeChat's WAIT_USER_CONFIRM)"

SQL = r"""
ALTER TABLE core_payout ADD COLUMN confirm jsonb NOT NULL DEFAULT '{}'::jsonb
  CHECK (jsonb_typeof(confirm) = 'object' AND length(confirm::text) <= 2000);
"""


async def forwards():
    return sql_migration(ID, "payouts", DESCRIPTION, SQL, "ALTER TABLE core_payout DROP COLUMN confirm;")
