from platform_core.db.migration import sql_migration

ID = "2026-12-03T10:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers: two-step verification (TOTP), recovery codes and remembered devices"

SQL = r"""
-- A customer's authenticator: the secret encrypted (keyring, context "customer-totp"); pending
-- until a code from it is confirmed (enabled_at). One per customer.
CREATE TABLE core_customer_totp (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  secret_cipher text NOT NULL,
  enabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_customer_totp');

-- Single-use recovery codes, kept as keyed hashes; a used one stays, marked.
CREATE TABLE core_customer_recovery_code (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  code_hash varchar(64) NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id, code_hash),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_customer_recovery_code');

-- "Remember this device for 30 days": the keyed hash of a random token held in the browser's
-- cookie (or by an app), and when it stops counting.
CREATE TABLE core_customer_device (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  token_hash varchar(64) NOT NULL,
  device varchar(200) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_customer_device');
CREATE INDEX core_customer_device_customer ON core_customer_device (tenant_id, customer_id, expires_at);
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
