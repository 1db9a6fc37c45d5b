from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalog: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_service_category');
SELECT hearth_tenant_primary_key('core_service_item');
SELECT hearth_tenant_primary_key('core_service_addon');
"""


async def forwards():
    return sql_migration(ID, "catalog", DESCRIPTION, SQL)
