from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:57:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dispatch: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_dispatch_settings');
SELECT hearth_tenant_primary_key('core_assignment');
"""


async def forwards():
    return sql_migration(ID, "dispatch", DESCRIPTION, SQL)
