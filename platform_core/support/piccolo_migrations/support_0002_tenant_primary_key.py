from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "support: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_feedback');
"""


async def forwards():
    return sql_migration(ID, "support", DESCRIPTION, SQL)
