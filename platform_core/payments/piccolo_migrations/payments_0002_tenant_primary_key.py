from platform_core.db.migration import sql_migration

ID = "2026-12-02T20:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payments: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_payment');
SELECT hearth_tenant_primary_key('core_refund');
SELECT hearth_tenant_primary_key('core_payment_notification');
SELECT hearth_tenant_primary_key('core_payment_refusal');
"""


async def forwards():
    return sql_migration(ID, "payments", DESCRIPTION, SQL)
