from platform_core.db.migration import sql_migration

ID = "2026-12-03T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "transaction kinds for rewards, workers' bonuses and deductions, and money out (payouts)"

KINDS = ("'payment', 'refund', 'wallet_topup', 'wallet_spend', 'settlement', 'points_award', 'points_spend', 'adjustment'")

SQL = rf"""
ALTER TABLE core_ledger_transaction DROP CONSTRAINT core_ledger_transaction_kind_check;
ALTER TABLE core_ledger_transaction ADD CONSTRAINT core_ledger_transaction_kind_check CHECK (kind IN ({KINDS},
  'reward', 'reward_reversal', 'staff_bonus', 'staff_deduction', 'payout_hold', 'payout_paid', 'payout_released'));
"""

BACKWARDS = rf"""
ALTER TABLE core_ledger_transaction DROP CONSTRAINT core_ledger_transaction_kind_check;
ALTER TABLE core_ledger_transaction ADD CONSTRAINT core_ledger_transaction_kind_check CHECK (kind IN ({KINDS}));
"""


async def forwards():
    return sql_migration(ID, "ledger", DESCRIPTION, SQL, BACKWARDS)
