from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:02:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers, their addresses and login identities, staff, one-time codes"

# Children reference (tenant_id, customer_id) so a row can never point at another tenant's
# customer, and every key stays distributable by tenant_id.
SQL = r"""
CREATE TABLE core_customer (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  display_name varchar(40) NOT NULL DEFAULT '',
  -- NULL for a customer who arrived through a login provider that shares no phone number.
  phone_cipher text,
  phone_index varchar(64),
  email varchar(254) NOT NULL DEFAULT '',
  preferences jsonb NOT NULL DEFAULT '{}',
  status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, phone_index),
  CHECK ((phone_cipher IS NULL) = (phone_index IS NULL))
);
SELECT hearth_enable_tenant_rls('core_customer');

CREATE TABLE core_customer_address (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  label varchar(20) NOT NULL DEFAULT '',
  contact_name varchar(40) NOT NULL,
  contact_phone_cipher text NOT NULL,
  region varchar(40) NOT NULL DEFAULT '',
  city varchar(40) NOT NULL,
  district varchar(40) NOT NULL DEFAULT '',
  street varchar(200) NOT NULL,
  detail varchar(200) NOT NULL DEFAULT '',
  lat numeric(9, 6) CHECK (lat BETWEEN -90 AND 90),
  lng numeric(9, 6) CHECK (lng BETWEEN -180 AND 180),
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  CHECK ((lat IS NULL) = (lng IS NULL))
);
CREATE INDEX core_customer_address_customer ON core_customer_address (tenant_id, customer_id);
CREATE UNIQUE INDEX core_customer_address_one_default ON core_customer_address (tenant_id, customer_id) WHERE is_default;
SELECT hearth_enable_tenant_rls('core_customer_address');

CREATE TABLE core_login_identity (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  provider varchar(40) NOT NULL,
  subject varchar(200) NOT NULL,
  display_name varchar(100) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  UNIQUE (tenant_id, provider, subject),
  UNIQUE (tenant_id, customer_id, provider)
);
SELECT hearth_enable_tenant_rls('core_login_identity');

CREATE TABLE core_staff (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  name varchar(40) NOT NULL,
  phone_cipher text NOT NULL,
  phone_index varchar(64) NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, phone_index)
);
SELECT hearth_enable_tenant_rls('core_staff');

CREATE TABLE core_otp_code (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  purpose varchar(32) NOT NULL,
  phone_index varchar(64) NOT NULL,
  code_hash varchar(64) NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX core_otp_code_lookup ON core_otp_code (tenant_id, purpose, phone_index, id DESC);
SELECT hearth_enable_tenant_rls('core_otp_code');
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
