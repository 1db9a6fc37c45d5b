from platform_core.db.migration import sql_migration

ID = "2026-12-03T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "promotions: coupon templates, issued coupons, one-time codes, automatic discount rules"

SQL = r"""
CREATE TABLE core_coupon_template (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  name varchar(80) NOT NULL,
  description varchar(500) NOT NULL DEFAULT '',
  kind varchar(16) NOT NULL CHECK (kind IN ('amount_off', 'percent_off', 'free_addon', 'item_voucher')),
  amount_off bigint NOT NULL DEFAULT 0 CHECK (amount_off >= 0),
  percent_off integer NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  max_discount bigint NOT NULL DEFAULT 0 CHECK (max_discount >= 0),
  min_spend bigint NOT NULL DEFAULT 0 CHECK (min_spend >= 0),
  addon_id bigint,
  voucher_item_id bigint,
  voucher_price bigint NOT NULL DEFAULT 0 CHECK (voucher_price >= 0),
  first_order_only boolean NOT NULL DEFAULT false,
  category_codes jsonb NOT NULL DEFAULT '[]',
  item_ids jsonb NOT NULL DEFAULT '[]',
  valid_from date,
  valid_until date,
  valid_days integer CHECK (valid_days BETWEEN 1 AND 3660),
  per_customer_limit integer NOT NULL DEFAULT 1 CHECK (per_customer_limit BETWEEN 1 AND 1000),
  total_limit integer CHECK (total_limit BETWEEN 1 AND 10000000),
  issued_count integer NOT NULL DEFAULT 0 CHECK (issued_count >= 0),
  stacks_with_rules boolean NOT NULL DEFAULT true,
  return_on_cancel boolean NOT NULL DEFAULT true,
  funded_by varchar(16) NOT NULL DEFAULT 'franchise' CHECK (funded_by IN ('franchise', 'platform')),
  public_code varchar(32),
  status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, public_code),
  CHECK (total_limit IS NULL OR issued_count <= total_limit)
);
SELECT hearth_enable_tenant_rls('core_coupon_template');
SELECT hearth_tenant_primary_key('core_coupon_template');

-- One issued coupon: the customer's, with its own validity (fixed, or counted from the issue).
CREATE TABLE core_coupon (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  template_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'held', 'used', 'expired', 'revoked')),
  valid_from timestamptz NOT NULL,
  valid_until timestamptz,
  source varchar(16) NOT NULL CHECK (source IN ('manual', 'code', 'batch', 'plugin', 'campaign')),
  source_ref varchar(100) NOT NULL DEFAULT '',
  reason varchar(300) NOT NULL DEFAULT '',
  issued_by bigint,
  idempotency_key varchar(150),
  order_id bigint,
  held_at timestamptz,
  used_at timestamptz,
  revoked_at timestamptz,
  revoked_by bigint,
  revoke_reason varchar(300) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key),
  FOREIGN KEY (tenant_id, template_id) REFERENCES core_coupon_template (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id)
);
CREATE INDEX core_coupon_customer ON core_coupon (tenant_id, customer_id, state);
CREATE INDEX core_coupon_template_customer ON core_coupon (tenant_id, template_id, customer_id);
CREATE INDEX core_coupon_order ON core_coupon (tenant_id, order_id) WHERE order_id IS NOT NULL;
SELECT hearth_enable_tenant_rls('core_coupon');
SELECT hearth_tenant_primary_key('core_coupon');

-- A one-time code of a batch (for a partner): redeemed once, into a coupon.
CREATE TABLE core_coupon_code (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  template_id bigint NOT NULL,
  batch varchar(64) NOT NULL,
  code varchar(32) NOT NULL,
  coupon_id bigint,
  redeemed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, template_id) REFERENCES core_coupon_template (tenant_id, id),
  FOREIGN KEY (tenant_id, coupon_id) REFERENCES core_coupon (tenant_id, id)
);
CREATE INDEX core_coupon_code_batch ON core_coupon_code (tenant_id, template_id, batch);
SELECT hearth_enable_tenant_rls('core_coupon_code');
SELECT hearth_tenant_primary_key('core_coupon_code');

-- An automatic discount: no coupon needed.
CREATE TABLE core_promotion_rule (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  name varchar(80) NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('first_order', 'off_peak', 'sale', 'district_launch')),
  percent_off integer NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  amount_off bigint NOT NULL DEFAULT 0 CHECK (amount_off >= 0),
  max_discount bigint NOT NULL DEFAULT 0 CHECK (max_discount >= 0),
  category_codes jsonb NOT NULL DEFAULT '[]',
  item_ids jsonb NOT NULL DEFAULT '[]',
  weekdays jsonb NOT NULL DEFAULT '[]',
  time_from time,
  time_until time,
  district varchar(100) NOT NULL DEFAULT '',
  starts_on date,
  ends_on date,
  funded_by varchar(16) NOT NULL DEFAULT 'franchise' CHECK (funded_by IN ('franchise', 'platform')),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_promotion_rule');
SELECT hearth_tenant_primary_key('core_promotion_rule');
-- Each process keeps a tenant's active rules by the tenant's stamp (tenancy_0003): a change
-- to a rule renews the stamp, so a quote never prices with rules another process changed.
CREATE TRIGGER core_promotion_rule_touch AFTER INSERT OR UPDATE OR DELETE ON core_promotion_rule
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
"""

UNDO = r"""
DROP TABLE core_promotion_rule;
DROP TABLE core_coupon_code;
DROP TABLE core_coupon;
DROP TABLE core_coupon_template;
"""


async def forwards():
    return sql_migration(ID, "promotions", DESCRIPTION, SQL, UNDO)
