from platform_core.db.migration import sql_migration

ID = "2026-12-03T07:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "daily jobs: which franchises have a plugin on, for the workers that schedule them"

# The workers schedule a plugin's daily job for the franchises that have the plugin on. They run
# without a tenant, and core_tenant_plugin is under row-level security: this function, run as
# the owner, answers only which franchises have one plugin on (never their config).
SQL = r"""
CREATE FUNCTION hearth_tenants_with_plugin(plugin varchar) RETURNS TABLE (tenant_id bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
  AS $f$ SELECT tenant_id FROM core_tenant_plugin WHERE plugin_name = plugin AND enabled $f$;
REVOKE ALL ON FUNCTION hearth_tenants_with_plugin(varchar) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hearth_tenants_with_plugin(varchar) TO hearth_app;
"""


async def forwards():
    return sql_migration(ID, "jobs", DESCRIPTION, SQL, "DROP FUNCTION hearth_tenants_with_plugin(varchar);")
