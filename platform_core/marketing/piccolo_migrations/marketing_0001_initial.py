from platform_core.db.migration import sql_migration

ID = "2026-12-03T04:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "marketing: partner channels (visits per day, attributed sign-ups) and saved customer segments"

SQL = r"""
CREATE TABLE core_marketing_channel (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  name varchar(80) NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('agency', 'wechat_group', 'flyer', 'other')),
  notes varchar(1000) NOT NULL DEFAULT '',
  code varchar(16) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code),
  UNIQUE (tenant_id, name)
);
SELECT hearth_tenant_primary_key('core_marketing_channel');
SELECT hearth_enable_tenant_rls('core_marketing_channel');

-- One row per channel and local day, however many hits: a counter, not a log.
CREATE TABLE core_marketing_channel_visit (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  channel_id bigint NOT NULL,
  day date NOT NULL,
  visits integer NOT NULL DEFAULT 0 CHECK (visits >= 0),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, channel_id, day),
  FOREIGN KEY (tenant_id, channel_id) REFERENCES core_marketing_channel (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_tenant_primary_key('core_marketing_channel_visit');
SELECT hearth_enable_tenant_rls('core_marketing_channel_visit');

-- First touch: a customer is attributed once, at registration, and never again.
CREATE TABLE core_marketing_attribution (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  channel_id bigint NOT NULL,
  registered_at timestamptz NOT NULL,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, channel_id) REFERENCES core_marketing_channel (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX core_marketing_attribution_channel ON core_marketing_attribution (tenant_id, channel_id, registered_at);
SELECT hearth_tenant_primary_key('core_marketing_attribution');
SELECT hearth_enable_tenant_rls('core_marketing_attribution');

CREATE TABLE core_marketing_segment (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  name varchar(80) NOT NULL,
  filters jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);
SELECT hearth_tenant_primary_key('core_marketing_segment');
SELECT hearth_enable_tenant_rls('core_marketing_segment');
"""


async def forwards():
    return sql_migration(ID, "marketing", DESCRIPTION, SQL)
