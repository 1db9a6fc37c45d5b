from platform_core.db.migration import sql_migration

ID = "2026-12-02T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_ledger_account');
SELECT hearth_tenant_primary_key('core_ledger_transaction');
SELECT hearth_tenant_primary_key('core_ledger_entry');
SELECT hearth_tenant_primary_key('core_ledger_settings');
"""


async def forwards():
    return sql_migration(ID, "ledger", DESCRIPTION, SQL)
