from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the franchise's service phone and hours, shown to customers and workers"

SQL = r"""
ALTER TABLE core_tenant ADD COLUMN service_phone varchar(32) NOT NULL DEFAULT '';
-- Local times in the franchise's time zone, 'HH:MM'; both empty: no hours shown.
ALTER TABLE core_tenant ADD COLUMN service_opens varchar(5) NOT NULL DEFAULT ''
  CHECK (service_opens = '' OR service_opens ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$');
ALTER TABLE core_tenant ADD COLUMN service_closes varchar(5) NOT NULL DEFAULT ''
  CHECK (service_closes = '' OR service_closes ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$');
"""


async def forwards():
    return sql_migration(
        ID, "tenancy", DESCRIPTION, SQL,
        "ALTER TABLE core_tenant DROP COLUMN service_phone, DROP COLUMN service_opens, DROP COLUMN service_closes;",
    )
