from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_staff_profile');
SELECT hearth_tenant_primary_key('core_staff_hours');
SELECT hearth_tenant_primary_key('core_staff_time_off');
"""


async def forwards():
    return sql_migration(ID, "staff", DESCRIPTION, SQL)
