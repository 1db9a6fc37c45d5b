from platform_core.db.migration import sql_migration

ID = "2026-12-03T14:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff_pay: a statement being paid by transfer ('paying', its payout's number as the reference)"

SQL = r"""
ALTER TABLE core_staff_statement DROP CONSTRAINT core_staff_statement_state_check;
ALTER TABLE core_staff_statement ADD CONSTRAINT core_staff_statement_state_check
  CHECK (state IN ('draft', 'confirmed', 'paying', 'paid'));
"""

BACKWARDS = r"""
ALTER TABLE core_staff_statement DROP CONSTRAINT core_staff_statement_state_check;
ALTER TABLE core_staff_statement ADD CONSTRAINT core_staff_statement_state_check
  CHECK (state IN ('draft', 'confirmed', 'paid'));
"""


async def forwards():
    return sql_migration(ID, "staff_pay", DESCRIPTION, SQL, BACKWARDS)
