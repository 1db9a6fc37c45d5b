from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_booking_settings');
SELECT hearth_tenant_primary_key('core_order');
SELECT hearth_tenant_primary_key('core_order_line');
SELECT hearth_tenant_primary_key('core_order_event');
SELECT hearth_tenant_primary_key('core_order_counter');
SELECT hearth_tenant_primary_key('core_order_message');
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL)
