from platform_core.db.migration import sql_migration

ID = "2026-12-03T08:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers: an optional birthday (a birthday coupon: loyalty's tiers)"

SQL = r"""
ALTER TABLE core_customer ADD COLUMN birthday date;
-- "Whose birthday is today" is asked once a day per franchise: by month and day, not by year.
CREATE INDEX core_customer_birthday ON core_customer
  (tenant_id, (extract(month FROM birthday)::int), (extract(day FROM birthday)::int)) WHERE birthday IS NOT NULL;
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
