from platform_core.db.migration import sql_migration

ID = "2026-11-25T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the double-entry ledger: accounts, append-only transactions and entries, per-tenant settlement rates"

# Amounts are signed integer minor units (fen, cents, points): debits positive, credits negative,
# so a balanced transaction sums to zero per currency. The database itself refuses edits, deletes
# and unbalanced transactions, whatever the code above it does.
SQL = r"""
CREATE TABLE core_ledger_account (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  code varchar(120) NOT NULL,
  currency varchar(8) NOT NULL CHECK (currency IN ('CNY', 'HKD', 'POINTS')),
  kind varchar(16) NOT NULL CHECK (kind IN ('asset', 'liability', 'revenue', 'expense')),
  allow_negative boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, code, currency),
  UNIQUE (tenant_id, id, currency)
);

CREATE TABLE core_ledger_transaction (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  idempotency_key varchar(200) NOT NULL,
  kind varchar(32) NOT NULL CHECK (kind IN ('payment', 'refund', 'wallet_topup', 'wallet_spend', 'settlement',
                                            'points_award', 'points_spend', 'adjustment')),
  order_id bigint,
  memo varchar(500) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id)
);
CREATE INDEX core_ledger_transaction_order ON core_ledger_transaction (tenant_id, order_id) WHERE order_id IS NOT NULL;

CREATE TABLE core_ledger_entry (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  transaction_id bigint NOT NULL,
  account_id bigint NOT NULL,
  currency varchar(8) NOT NULL,
  amount bigint NOT NULL CHECK (amount <> 0),
  FOREIGN KEY (tenant_id, transaction_id) REFERENCES core_ledger_transaction (tenant_id, id),
  -- the entry's currency is its account's: no CNY posted into a POINTS account
  FOREIGN KEY (tenant_id, account_id, currency) REFERENCES core_ledger_account (tenant_id, id, currency)
);
CREATE INDEX core_ledger_entry_transaction ON core_ledger_entry (transaction_id);
CREATE INDEX core_ledger_entry_account ON core_ledger_entry (account_id) INCLUDE (amount);

CREATE TABLE core_ledger_settings (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  platform_fee_bp integer NOT NULL DEFAULT 500 CHECK (platform_fee_bp BETWEEN 0 AND 10000),
  staff_commission_bp integer NOT NULL DEFAULT 6000 CHECK (staff_commission_bp BETWEEN 0 AND 10000),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id),
  CHECK (platform_fee_bp + staff_commission_bp <= 10000)
);

CREATE FUNCTION hearth_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % refused; post a correcting transaction', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER core_ledger_entry_append_only BEFORE UPDATE OR DELETE ON core_ledger_entry
  FOR EACH ROW EXECUTE FUNCTION hearth_ledger_append_only();
CREATE TRIGGER core_ledger_entry_no_truncate BEFORE TRUNCATE ON core_ledger_entry
  FOR EACH STATEMENT EXECUTE FUNCTION hearth_ledger_append_only();
CREATE TRIGGER core_ledger_transaction_append_only BEFORE UPDATE OR DELETE ON core_ledger_transaction
  FOR EACH ROW EXECUTE FUNCTION hearth_ledger_append_only();
CREATE TRIGGER core_ledger_transaction_no_truncate BEFORE TRUNCATE ON core_ledger_transaction
  FOR EACH STATEMENT EXECUTE FUNCTION hearth_ledger_append_only();

-- Checked at commit, once every entry of the transaction is in: at least two entries, and the
-- amounts sum to zero in each currency.
CREATE FUNCTION hearth_ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tx_id bigint;
  bad record;
BEGIN
  IF TG_TABLE_NAME = 'core_ledger_transaction' THEN tx_id := NEW.id; ELSE tx_id := NEW.transaction_id; END IF;
  IF (SELECT count(*) FROM core_ledger_entry WHERE transaction_id = tx_id) < 2 THEN
    RAISE EXCEPTION 'ledger transaction % has fewer than two entries', tx_id USING ERRCODE = 'check_violation';
  END IF;
  SELECT currency, sum(amount) AS total INTO bad FROM core_ledger_entry
   WHERE transaction_id = tx_id GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance: % % left over', tx_id, bad.total, bad.currency
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER core_ledger_transaction_balanced AFTER INSERT ON core_ledger_transaction
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hearth_ledger_check_balanced();
CREATE CONSTRAINT TRIGGER core_ledger_entry_balanced AFTER INSERT ON core_ledger_entry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hearth_ledger_check_balanced();

SELECT hearth_enable_tenant_rls('core_ledger_account');
SELECT hearth_enable_tenant_rls('core_ledger_transaction');
SELECT hearth_enable_tenant_rls('core_ledger_entry');
SELECT hearth_enable_tenant_rls('core_ledger_settings');
"""


async def forwards():
    return sql_migration(ID, "ledger", DESCRIPTION, SQL)
