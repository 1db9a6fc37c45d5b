from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tenants, their domains, their plugins"

SQL = r"""
CREATE TABLE core_tenant (
  id bigserial PRIMARY KEY,
  slug varchar(63) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$'),
  name varchar(200) NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  locale varchar(10) NOT NULL DEFAULT 'zh_CN',
  timezone varchar(64) NOT NULL DEFAULT 'Asia/Shanghai',
  currency varchar(3) NOT NULL DEFAULT 'CNY',
  branding jsonb NOT NULL DEFAULT '{}',
  suspended_reason varchar(500) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core_tenant_domain (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  host varchar(253) NOT NULL UNIQUE,
  is_primary boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX core_tenant_domain_one_primary ON core_tenant_domain (tenant_id) WHERE is_primary;
-- Platform data: resolved from the Host header before any tenant is known.
COMMENT ON TABLE core_tenant_domain IS 'hearth:platform';

CREATE TABLE core_tenant_plugin (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  plugin_name varchar(63) NOT NULL,
  enabled boolean NOT NULL DEFAULT false,
  config jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, plugin_name)
);
SELECT hearth_enable_tenant_rls('core_tenant_plugin');

CREATE TABLE core_plugin_default (
  id bigserial PRIMARY KEY,
  plugin_name varchar(63) NOT NULL UNIQUE,
  config jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
"""


async def forwards():
    return sql_migration(ID, "tenancy", DESCRIPTION, SQL)
