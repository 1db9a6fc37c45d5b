from platform_core.db.migration import sql_migration

ID = "2026-12-03T14:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff_pay: pay periods, workers' pay statements and their lines, bonuses and deductions, workers' bank details"

SQL = r"""
-- How a franchise pays its workers; no row means the defaults (weekly from Monday, drawn up the
-- day after the period, paid by statement).
CREATE TABLE core_staff_pay_settings (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  period varchar(16) NOT NULL DEFAULT 'weekly' CHECK (period IN ('weekly', 'monthly')),
  week_start smallint NOT NULL DEFAULT 0 CHECK (week_start BETWEEN 0 AND 6),
  draw_after_days smallint NOT NULL DEFAULT 0 CHECK (draw_after_days BETWEEN 0 AND 10),
  pay_mode varchar(16) NOT NULL DEFAULT 'statement' CHECK (pay_mode IN ('statement', 'on_demand')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id)
);
SELECT hearth_enable_tenant_rls('core_staff_pay_settings');
SELECT hearth_tenant_primary_key('core_staff_pay_settings');

-- One worker's statement for one period (first_day .. last_day, the franchise's calendar;
-- starts_at .. ends_at the instants, ends_at excluded). The totals are the lines' sums, frozen
-- once confirmed.
CREATE TABLE core_staff_statement (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  number varchar(40) NOT NULL,
  staff_id bigint NOT NULL,
  first_day date NOT NULL,
  last_day date NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  currency varchar(8) NOT NULL,
  opening bigint NOT NULL,
  orders_count integer NOT NULL DEFAULT 0 CHECK (orders_count >= 0),
  customers_paid bigint NOT NULL DEFAULT 0,
  commission bigint NOT NULL DEFAULT 0,
  bonuses bigint NOT NULL DEFAULT 0,
  deductions bigint NOT NULL DEFAULT 0,
  other bigint NOT NULL DEFAULT 0,
  payouts bigint NOT NULL DEFAULT 0,
  closing bigint NOT NULL,
  net bigint NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'confirmed', 'paid')),
  drawn_at timestamptz NOT NULL DEFAULT now(),
  drawn_by bigint,
  confirmed_at timestamptz,
  confirmed_by bigint,
  paid_at timestamptz,
  paid_by bigint,
  pay_method varchar(16) CHECK (pay_method IN ('transfer', 'bank')),
  pay_reference varchar(100) NOT NULL DEFAULT '',
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, number),
  UNIQUE (tenant_id, staff_id, first_day),
  CHECK (last_day >= first_day AND ends_at > starts_at),
  CHECK (opening + commission + bonuses - deductions + other + payouts = closing),
  CHECK ((state = 'paid') = (paid_at IS NOT NULL AND pay_method IS NOT NULL)),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id)
);
CREATE INDEX core_staff_statement_period ON core_staff_statement (tenant_id, first_day, state);
SELECT hearth_enable_tenant_rls('core_staff_statement');
SELECT hearth_tenant_primary_key('core_staff_statement');

-- A movement of the worker's earnings in the period, as the ledger posted it.
CREATE TABLE core_staff_statement_line (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  statement_id bigint NOT NULL,
  position integer NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('order', 'bonus', 'deduction', 'payout', 'other')),
  occurred_at timestamptz NOT NULL,
  ledger_transaction_id bigint NOT NULL,
  ledger_kind varchar(32) NOT NULL,
  order_id bigint,
  order_number varchar(40) NOT NULL DEFAULT '',
  item_title varchar(200) NOT NULL DEFAULT '',
  customer_paid bigint NOT NULL DEFAULT 0,
  amount bigint NOT NULL,
  note varchar(500) NOT NULL DEFAULT '',
  UNIQUE (tenant_id, statement_id, position),
  FOREIGN KEY (tenant_id, statement_id) REFERENCES core_staff_statement (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_staff_statement_line');
SELECT hearth_tenant_primary_key('core_staff_statement_line');

-- A bonus or a deduction: proposed by one console user, approved by another (maker-checker),
-- posted to the ledger when approved.
CREATE TABLE core_staff_adjustment (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('bonus', 'deduction')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency varchar(8) NOT NULL,
  reason varchar(300) NOT NULL,
  order_id bigint,
  state varchar(16) NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'approved', 'rejected')),
  proposed_by bigint,
  source varchar(40) NOT NULL DEFAULT 'console',
  source_ref varchar(100),
  decided_by bigint,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, source, source_ref),
  CHECK (state <> 'approved' OR proposed_by IS NULL OR decided_by <> proposed_by),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id)
);
CREATE INDEX core_staff_adjustment_state ON core_staff_adjustment (tenant_id, state, created_at);
SELECT hearth_enable_tenant_rls('core_staff_adjustment');
SELECT hearth_tenant_primary_key('core_staff_adjustment');

-- Where the office pays a worker by bank: encrypted at rest, the account's last four digits kept
-- in clear for the pages.
CREATE TABLE core_staff_bank_account (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  holder_cipher text NOT NULL,
  bank varchar(80) NOT NULL,
  account_cipher text NOT NULL,
  account_last4 varchar(4) NOT NULL,
  updated_by bigint,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, staff_id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_staff_bank_account');
SELECT hearth_tenant_primary_key('core_staff_bank_account');
"""


async def forwards():
    return sql_migration(ID, "staff_pay", DESCRIPTION, SQL)
