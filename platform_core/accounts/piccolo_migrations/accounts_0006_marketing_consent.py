from platform_core.db.migration import sql_migration

ID = "2026-12-03T04:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers: marketing consent (messages on by default, SMS only when agreed) and how they arrived"

SQL = r"""
ALTER TABLE core_customer
  ADD COLUMN marketing_messages boolean NOT NULL DEFAULT true,
  ADD COLUMN marketing_sms_agreed_at timestamptz,
  ADD COLUMN acquisition_source varchar(64) NOT NULL DEFAULT '';
-- Segments list and count customers newest first; filters read registration time.
CREATE INDEX core_customer_created ON core_customer (tenant_id, created_at);
CREATE INDEX core_customer_address_district ON core_customer_address (tenant_id, district, customer_id);
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
