from platform_core.db.migration import sql_migration

ID = "2026-12-03T14:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payouts: payout accounts, withdrawals and payouts, their notifications, the franchise's payout settings"

SQL = r"""
-- Where a customer's or a worker's money goes. One per person; a change keeps who made it, for
-- the maker-checker rule (the approver of a payout can not be the one who set its destination).
CREATE TABLE core_payout_account (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  holder varchar(8) NOT NULL CHECK (holder IN ('customer', 'staff')),
  holder_id bigint NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('wechat_openid', 'alipay_login')),
  account_cipher text NOT NULL,
  account_masked varchar(80) NOT NULL,
  real_name varchar(100) NOT NULL DEFAULT '',
  app_id varchar(64) NOT NULL DEFAULT '',
  changed_by_kind varchar(8) NOT NULL CHECK (changed_by_kind IN ('customer', 'staff', 'console')),
  changed_by_id bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, holder, holder_id)
);
SELECT hearth_enable_tenant_rls('core_payout_account');
SELECT hearth_tenant_primary_key('core_payout_account');

-- A withdrawal (asked by the person) or a payout (a worker's pay statement, approved by the
-- office). `amount` leaves the earnings; the person receives amount - fee.
CREATE TABLE core_payout (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  payout_no varchar(40) NOT NULL,
  holder varchar(8) NOT NULL CHECK (holder IN ('customer', 'staff')),
  holder_id bigint NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  fee bigint NOT NULL DEFAULT 0 CHECK (fee >= 0 AND fee < amount),
  currency varchar(8) NOT NULL,
  destination_kind varchar(16) NOT NULL CHECK (destination_kind IN ('wechat_openid', 'alipay_login')),
  destination_cipher text NOT NULL,
  destination_masked varchar(80) NOT NULL,
  real_name varchar(100) NOT NULL DEFAULT '',
  app_id varchar(64) NOT NULL DEFAULT '',
  -- Who last changed the destination, and when, at the time of the request.
  destination_changed_by_kind varchar(8) NOT NULL,
  destination_changed_by_id bigint NOT NULL,
  destination_changed_at timestamptz NOT NULL,
  state varchar(12) NOT NULL DEFAULT 'requested'
    CHECK (state IN ('requested', 'approved', 'sending', 'paid', 'failed', 'rejected')),
  source varchar(12) NOT NULL CHECK (source IN ('withdrawal', 'statement')),
  source_ref varchar(100) NOT NULL DEFAULT '',
  reason varchar(300) NOT NULL DEFAULT '',
  requested_by_kind varchar(8) NOT NULL CHECK (requested_by_kind IN ('customer', 'staff', 'console')),
  requested_by_id bigint NOT NULL,
  decided_by bigint,
  decided_at timestamptz,
  flag varchar(32) NOT NULL DEFAULT '',
  provider varchar(32) NOT NULL DEFAULT '',
  provider_ref varchar(128) NOT NULL DEFAULT '',
  provider_message varchar(300) NOT NULL DEFAULT '',
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  queries integer NOT NULL DEFAULT 0 CHECK (queries >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (tenant_id, payout_no)
);
-- One live payout per statement; after a failed one the office may pay it again.
CREATE UNIQUE INDEX core_payout_statement ON core_payout (tenant_id, source_ref) WHERE source = 'statement' AND state <> 'failed';
CREATE INDEX core_payout_holder ON core_payout (tenant_id, holder, holder_id, created_at);
CREATE INDEX core_payout_state ON core_payout (tenant_id, state, created_at);
SELECT hearth_enable_tenant_rls('core_payout');
SELECT hearth_tenant_primary_key('core_payout');

-- Each transfer notification applied or ignored once: a duplicate finds its event id here.
CREATE TABLE core_payout_notification (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  provider varchar(32) NOT NULL,
  event_id varchar(128) NOT NULL,
  payout_id bigint NOT NULL,
  status varchar(12) NOT NULL,
  outcome varchar(12) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, provider, event_id)
);
SELECT hearth_enable_tenant_rls('core_payout_notification');
SELECT hearth_tenant_primary_key('core_payout_notification');

-- The franchise's rules for withdrawals; no row means the defaults.
CREATE TABLE core_payout_settings (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  min_amount bigint NOT NULL DEFAULT 100 CHECK (min_amount > 0),
  max_amount bigint NOT NULL DEFAULT 500000 CHECK (max_amount >= min_amount),
  daily_count integer NOT NULL DEFAULT 3 CHECK (daily_count BETWEEN 1 AND 100),
  daily_amount bigint NOT NULL DEFAULT 1000000 CHECK (daily_amount > 0),
  fee_bp integer NOT NULL DEFAULT 0 CHECK (fee_bp BETWEEN 0 AND 5000),
  fee_min bigint NOT NULL DEFAULT 0 CHECK (fee_min >= 0),
  review_threshold bigint NOT NULL DEFAULT 200000 CHECK (review_threshold > 0),
  staff_on_demand boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id)
);
SELECT hearth_enable_tenant_rls('core_payout_settings');
SELECT hearth_tenant_primary_key('core_payout_settings');
"""

UNDO = r"""
DROP TABLE core_payout_settings;
DROP TABLE core_payout_notification;
DROP TABLE core_payout;
DROP TABLE core_payout_account;
"""


async def forwards():
    return sql_migration(ID, "payouts", DESCRIPTION, SQL, UNDO)
