from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "extensions, the app role, and the tenant RLS helper"

SQL = r"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS citext;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hearth_app') THEN
    -- Roles belong to the cluster: two databases migrated at once (the test workers on a fresh
    -- server) may both find it missing, and the second to create it finds it made.
    BEGIN
      CREATE ROLE hearth_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO hearth_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hearth_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO hearth_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hearth_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO hearth_app;

-- The tenant of the current transaction; NULLIF because a pooled connection that once set it
-- reads '' afterwards, not NULL.
CREATE OR REPLACE FUNCTION hearth_current_tenant() RETURNS bigint
  LANGUAGE sql STABLE AS $f$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint $f$;

-- Put a tenant-owned table under forced row-level security with the one policy of the house.
CREATE OR REPLACE FUNCTION hearth_enable_tenant_rls(tbl regclass) RETURNS void
  LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (tenant_id = hearth_current_tenant()) '
    'WITH CHECK (tenant_id = hearth_current_tenant())', tbl);
END $f$;
"""


async def forwards():
    return sql_migration(ID, "hearth_db", DESCRIPTION, SQL)
