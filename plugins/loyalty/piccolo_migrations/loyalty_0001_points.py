from platform_core.plugin_api import sql_migration

ID = "2026-12-03T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loyalty: members, points lots and the points movements"

SQL = r"""
-- One row per customer in the programme: the lock every points change takes first, the tier
-- (written by tiers.py), and the debt a refund left when its points were spent already.
CREATE TABLE loyalty_member (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0),
  tier_code varchar(32) NOT NULL DEFAULT 'regular',
  tier_since timestamptz NOT NULL DEFAULT now(),
  downgrade_due date,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_member');
CREATE INDEX loyalty_member_tier ON loyalty_member (tenant_id, tier_code);

-- Every change of a balance, append-only: the balance is the sum of `points`.
CREATE TABLE loyalty_movement (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  kind varchar(10) NOT NULL CHECK (kind IN ('earned', 'spent', 'expired', 'reversed')),
  points bigint NOT NULL,
  reason varchar(16) NOT NULL,
  link varchar(120) NOT NULL DEFAULT '',
  note varchar(200) NOT NULL DEFAULT '',
  key varchar(160) NOT NULL,
  -- Points a claw-back could not take (spent already): added to the debt, or written off.
  uncovered bigint NOT NULL DEFAULT 0 CHECK (uncovered >= 0),
  -- A spend's draws on lots, [[lot id, points], ...], so that giving it back refills those lots.
  drawn jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key),
  CHECK (points <> 0 OR uncovered > 0),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES loyalty_member (tenant_id, customer_id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_movement');
CREATE INDEX loyalty_movement_customer ON loyalty_movement (tenant_id, customer_id, id DESC);
CREATE INDEX loyalty_movement_reports ON loyalty_movement (tenant_id, created_at, kind);

-- Earned points still to spend, oldest first; `remaining` falls as they are spent, expire or are
-- taken back. A lot with expires_at NULL never expires.
CREATE TABLE loyalty_lot (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  movement_id bigint NOT NULL,
  points bigint NOT NULL CHECK (points > 0),
  remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
  earned_at timestamptz NOT NULL,
  expires_at timestamptz,
  reminded boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, movement_id) REFERENCES loyalty_movement (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES loyalty_member (tenant_id, customer_id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_lot');
CREATE INDEX loyalty_lot_open ON loyalty_lot (tenant_id, customer_id, expires_at, id) WHERE remaining > 0;
CREATE INDEX loyalty_lot_due ON loyalty_lot (tenant_id, expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
"""


async def forwards():
    return sql_migration(ID, "loyalty", DESCRIPTION, SQL, "DROP TABLE loyalty_lot; DROP TABLE loyalty_movement; DROP TABLE loyalty_member;")
