from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "console users, their recovery codes, platform operators"

SQL = r"""
CREATE TABLE core_console_user (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  email citext NOT NULL,
  display_name varchar(200) NOT NULL,
  password_hash text NOT NULL,
  role varchar(32) NOT NULL CHECK (role IN ('owner', 'manager', 'dispatcher', 'finance', 'support')),
  status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  totp_secret_cipher text,
  totp_enabled_at timestamptz,
  last_sign_in_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, email),
  -- The target of the recovery codes' composite key, so a code can't point across tenants.
  UNIQUE (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_console_user');

CREATE TABLE core_console_recovery_code (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  user_id bigint NOT NULL,
  code_hash varchar(64) NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES core_console_user (tenant_id, id) ON DELETE CASCADE,
  UNIQUE (tenant_id, user_id, code_hash)
);
SELECT hearth_enable_tenant_rls('core_console_recovery_code');

-- Platform operators: no tenant column, reached from the platform console and the CLI only.
CREATE TABLE core_operator (
  id bigserial PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  display_name varchar(200) NOT NULL,
  password_hash text NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  totp_secret_cipher text,
  totp_enabled_at timestamptz,
  last_sign_in_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core_operator_recovery_code (
  id bigserial PRIMARY KEY,
  operator_id bigint NOT NULL REFERENCES core_operator(id) ON DELETE CASCADE,
  code_hash varchar(64) NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (operator_id, code_hash)
);
"""

BACKWARDS_SQL = r"""
DROP TABLE core_operator_recovery_code;
DROP TABLE core_operator;
DROP TABLE core_console_recovery_code;
DROP TABLE core_console_user;
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL, BACKWARDS_SQL)
