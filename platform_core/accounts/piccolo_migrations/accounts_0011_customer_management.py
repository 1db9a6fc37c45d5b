from platform_core.db.migration import sql_migration

ID = "2026-12-03T10:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers in the console: account state history, notes by the office, phone reveals, closing"

SQL = r"""
-- When the account was closed (by the customer or the office), and when its personal data was
-- then cleared by the daily job, after the retention period.
ALTER TABLE core_customer ADD COLUMN closed_at timestamptz;
ALTER TABLE core_customer ADD COLUMN anonymised_at timestamptz;
-- The anonymisation job looks for closed accounts whose retention ran out.
CREATE INDEX core_customer_closed ON core_customer (tenant_id, closed_at) WHERE status = 'closed' AND anonymised_at IS NULL;
-- The console's list: newest first, and its search by name.
CREATE INDEX core_customer_newest ON core_customer (tenant_id, created_at DESC, id DESC);

-- Every change of an account's state: who (an office user, or the customer closing their own
-- account), when, from, to and why. Kept after anonymisation: it names no personal data.
CREATE TABLE core_customer_status_change (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  from_status varchar(16) NOT NULL,
  to_status varchar(16) NOT NULL CHECK (to_status IN ('active', 'frozen', 'closed')),
  reason varchar(500) NOT NULL,
  -- What the office chose for the customer's open orders (freeze, close): keep, unpaid, not_started.
  order_rule varchar(16) NOT NULL DEFAULT '' CHECK (order_rule IN ('', 'keep', 'unpaid', 'not_started')),
  console_user_id bigint,  -- NULL: the customer closed their own account
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, console_user_id) REFERENCES core_console_user (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_customer_status_change');
CREATE INDEX core_customer_status_change_customer ON core_customer_status_change (tenant_id, customer_id, changed_at DESC);

-- Notes by the office about a customer (cleared when the account is anonymised).
CREATE TABLE core_customer_note (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  console_user_id bigint NOT NULL,
  body varchar(1000) NOT NULL CHECK (length(btrim(body)) > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, console_user_id) REFERENCES core_console_user (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_customer_note');
CREATE INDEX core_customer_note_customer ON core_customer_note (tenant_id, customer_id, created_at DESC);

-- Each time an office user read the customer's full phone number (who and when).
CREATE TABLE core_customer_phone_reveal (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  console_user_id bigint NOT NULL,
  revealed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, console_user_id) REFERENCES core_console_user (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_customer_phone_reveal');
CREATE INDEX core_customer_phone_reveal_customer ON core_customer_phone_reveal (tenant_id, customer_id, revealed_at DESC);
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
