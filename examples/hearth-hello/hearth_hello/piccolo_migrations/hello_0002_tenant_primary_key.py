from platform_core.plugin_api import sql_migration

ID = "2026-12-02T20:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hello_welcome's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('hello_welcome');
"""

BACKWARDS_SQL = r"""
ALTER TABLE hello_welcome DROP CONSTRAINT hello_welcome_pkey, ADD PRIMARY KEY (id);
"""


async def forwards():
    return sql_migration(ID, "hello", DESCRIPTION, SQL, BACKWARDS_SQL)
