from platform_core.plugin_api import sql_migration

ID = "2026-12-03T08:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loyalty: member tiers per franchise, their thresholds and privileges"

SQL = r"""
-- A franchise's tiers (regular, silver, gold, platinum seeded when loyalty is turned on; names,
-- thresholds and privileges its own). A member's tier is on loyalty_member (tier_code,
-- tier_since, downgrade_due), written by tiers.py.
CREATE TABLE loyalty_tier (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  code varchar(32) NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
  name varchar(40) NOT NULL CHECK (length(btrim(name)) > 0),
  rank integer NOT NULL CHECK (rank BETWEEN 0 AND 100),
  -- thresholds over a rolling 12 months; every one must be met (0 = no condition)
  min_spend bigint NOT NULL DEFAULT 0 CHECK (min_spend BETWEEN 0 AND 100000000000),
  min_bookings integer NOT NULL DEFAULT 0 CHECK (min_bookings BETWEEN 0 AND 10000),
  min_activity integer NOT NULL DEFAULT 0 CHECK (min_activity BETWEEN 0 AND 10000),
  -- privileges
  points_multiplier_percent integer NOT NULL DEFAULT 100 CHECK (points_multiplier_percent BETWEEN 100 AND 1000),
  dispatch_bonus integer NOT NULL DEFAULT 0 CHECK (dispatch_bonus BETWEEN 0 AND 100),
  birthday_template_id bigint,
  voucher_template_id bigint,
  vouchers_per_year integer NOT NULL DEFAULT 0 CHECK (vouchers_per_year BETWEEN 0 AND 24),
  support_agent_id bigint,
  priority_categories jsonb NOT NULL DEFAULT '[]',
  priority_items jsonb NOT NULL DEFAULT '[]',
  priority_extra_days integer NOT NULL DEFAULT 0 CHECK (priority_extra_days BETWEEN 0 AND 90),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, birthday_template_id) REFERENCES core_coupon_template (tenant_id, id),
  FOREIGN KEY (tenant_id, voucher_template_id) REFERENCES core_coupon_template (tenant_id, id),
  FOREIGN KEY (tenant_id, support_agent_id) REFERENCES core_console_user (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('loyalty_tier');
"""


async def forwards():
    return sql_migration(ID, "loyalty", DESCRIPTION, SQL, "DROP TABLE loyalty_tier;")
