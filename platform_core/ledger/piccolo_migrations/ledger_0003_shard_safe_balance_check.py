from platform_core.db.migration import sql_migration

ID = "2026-12-02T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger: the balance check says which table fired it and reads one franchise's entries"

SQL = r"""
-- The check told its two tables apart by TG_TABLE_NAME, which on a Citus shard is the shard's
-- name (core_ledger_transaction_102229): each trigger now names its table in an argument. The
-- entries it reads are filtered by tenant too, so on Citus the check stays on the shard.
CREATE OR REPLACE FUNCTION hearth_ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tx_id bigint;
  bad record;
BEGIN
  IF TG_ARGV[0] = 'transaction' THEN tx_id := NEW.id; ELSE tx_id := NEW.transaction_id; END IF;
  IF (SELECT count(*) FROM core_ledger_entry WHERE tenant_id = NEW.tenant_id AND transaction_id = tx_id) < 2 THEN
    RAISE EXCEPTION 'ledger transaction % has fewer than two entries', tx_id USING ERRCODE = 'check_violation';
  END IF;
  SELECT currency, sum(amount) AS total INTO bad FROM core_ledger_entry
   WHERE tenant_id = NEW.tenant_id AND transaction_id = tx_id GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance: % % left over', tx_id, bad.total, bad.currency
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER core_ledger_transaction_balanced ON core_ledger_transaction;
DROP TRIGGER core_ledger_entry_balanced ON core_ledger_entry;
CREATE CONSTRAINT TRIGGER core_ledger_transaction_balanced AFTER INSERT ON core_ledger_transaction
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hearth_ledger_check_balanced('transaction');
CREATE CONSTRAINT TRIGGER core_ledger_entry_balanced AFTER INSERT ON core_ledger_entry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hearth_ledger_check_balanced('entry');
"""


async def forwards():
    return sql_migration(ID, "ledger", DESCRIPTION, SQL)
