from platform_core.db.migration import sql_migration

ID = "2026-12-03T10:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers: sign-in records (kept 180 days) and when their real name was verified"

SQL = r"""
-- Set when the office approves the customer's real-name verification, cleared when it is
-- revoked: what two-step verification, withdrawals and privacy protection ask.
ALTER TABLE core_customer ADD COLUMN realname_verified_at timestamptz;

-- Every successful customer sign-in: the console's "sign-in records" (time, method, IP, device).
CREATE TABLE core_customer_sign_in (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  method varchar(32) NOT NULL,
  ip varchar(45) NOT NULL DEFAULT '',
  device varchar(200) NOT NULL DEFAULT '',
  signed_in_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_customer_sign_in');
CREATE INDEX core_customer_sign_in_customer ON core_customer_sign_in (tenant_id, customer_id, signed_in_at DESC);
-- The daily prune deletes by age.
CREATE INDEX core_customer_sign_in_age ON core_customer_sign_in (signed_in_at);
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
