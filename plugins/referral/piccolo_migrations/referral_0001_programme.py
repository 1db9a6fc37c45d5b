from platform_core.plugin_api import sql_migration

ID = "2026-12-03T14:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "referral: invite codes, friends bound to their inviter, their qualifying spend and the rewards"

SQL = r"""
-- A customer's invite code: short, unique in the franchise, made the first time it is asked for.
CREATE TABLE referral_code (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  code varchar(16) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('referral_code');

-- A friend bound to their inviter at sign-up: once per friend (never rebound). `spend` is the
-- friend's completed, paid spend (net of refunds) within the window; `flags` what the fraud
-- checks found ("device", "ip", "over_limit", ...).
CREATE TABLE referral_invite (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  inviter_id bigint NOT NULL,
  invitee_id bigint NOT NULL,
  code varchar(16) NOT NULL,
  via varchar(8) NOT NULL CHECK (via IN ('link', 'code')),
  bound_at timestamptz NOT NULL,
  window_ends_at timestamptz NOT NULL,
  spend bigint NOT NULL DEFAULT 0,
  currency varchar(8) NOT NULL,
  state varchar(12) NOT NULL DEFAULT 'registered' CHECK (state IN ('registered', 'qualified', 'rewarded', 'void')),
  qualified_at timestamptz,
  flags varchar(200) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, invitee_id),
  CHECK (inviter_id <> invitee_id),
  FOREIGN KEY (tenant_id, inviter_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, invitee_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('referral_invite');
CREATE INDEX referral_invite_inviter ON referral_invite (tenant_id, inviter_id, bound_at DESC);

-- What each of the friend's orders counts towards the spend (its net paid once completed).
CREATE TABLE referral_spend (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  invite_id bigint NOT NULL,
  order_id bigint NOT NULL,
  amount bigint NOT NULL CHECK (amount >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, invite_id, order_id),
  FOREIGN KEY (tenant_id, invite_id) REFERENCES referral_invite (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('referral_spend');

-- A reward: the inviter's (cash or coupon) and the friend's welcome coupon, one of each per
-- invite; a level's voucher, one per inviter and level. The ledger key of a cash reward is
-- "referral:reward:{id}", so a posting happens once. `owed`: what a reversal could not take
-- back (the red packet was withdrawn already); `credited` what reached the earnings (the amount
-- and bonus less any `owed` of earlier rewards it recovered), recovered from the inviter's next red packets.
CREATE TABLE referral_reward (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  invite_id bigint,
  customer_id bigint NOT NULL,
  role varchar(8) NOT NULL CHECK (role IN ('inviter', 'invitee', 'level')),
  kind varchar(8) NOT NULL CHECK (kind IN ('cash', 'coupon')),
  amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
  bonus bigint NOT NULL DEFAULT 0 CHECK (bonus >= 0),
  credited bigint NOT NULL DEFAULT 0 CHECK (credited >= 0),
  currency varchar(8) NOT NULL,
  coupon_template_id bigint,
  coupon_id bigint,
  level_threshold integer,
  state varchar(10) NOT NULL CHECK (state IN ('pending', 'held', 'paid', 'voided', 'reversed')),
  reason varchar(200) NOT NULL DEFAULT '',
  owed bigint NOT NULL DEFAULT 0 CHECK (owed >= 0),
  recovered bigint NOT NULL DEFAULT 0 CHECK (recovered >= 0),
  decided_by bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  paid_at timestamptz,
  decided_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, invite_id, role),
  UNIQUE (tenant_id, customer_id, level_threshold),
  FOREIGN KEY (tenant_id, invite_id) REFERENCES referral_invite (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('referral_reward');
CREATE INDEX referral_reward_state ON referral_reward (tenant_id, state, created_at DESC);
CREATE INDEX referral_reward_customer ON referral_reward (tenant_id, customer_id, created_at DESC);
"""


async def forwards():
    return sql_migration(ID, "referral", DESCRIPTION, SQL,
                         "DROP TABLE referral_reward; DROP TABLE referral_spend; DROP TABLE referral_invite; DROP TABLE referral_code;")
