from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "accounts: every table's primary key is (tenant_id, id), so it can be distributed by tenant"

SQL = r"""
SELECT hearth_tenant_primary_key('core_customer');
SELECT hearth_tenant_primary_key('core_customer_address');
SELECT hearth_tenant_primary_key('core_login_identity');
SELECT hearth_tenant_primary_key('core_staff');
SELECT hearth_tenant_primary_key('core_otp_code');
SELECT hearth_tenant_primary_key('core_legal_document');
SELECT hearth_tenant_primary_key('core_legal_acceptance');
SELECT hearth_tenant_primary_key('core_console_user');
SELECT hearth_tenant_primary_key('core_console_recovery_code');
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
