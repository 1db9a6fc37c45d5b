from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a version stamp on each tenant, renewed by any change a process caches about it"

# Each app process keeps its tenants (row, domains, enabled plugins) in memory and compares the
# stamp in the statement that sets a request's tenant (tenancy/cache.py). Any change to what it
# keeps renews the stamp: the tenant's row, its domains, its plugin rows, the platform's plugin
# defaults (every tenant). From a sequence, so a number is never handed out twice, not even after
# a rollback: a stamp names one state of the tenant.
SQL = r"""
CREATE SEQUENCE core_tenant_version_seq AS bigint;
ALTER TABLE core_tenant ADD COLUMN version bigint NOT NULL DEFAULT nextval('core_tenant_version_seq');

CREATE FUNCTION hearth_tenant_restamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := nextval('core_tenant_version_seq');
  RETURN NEW;
END $$;
CREATE TRIGGER core_tenant_restamp BEFORE UPDATE ON core_tenant
  FOR EACH ROW WHEN (OLD.version = NEW.version) EXECUTE FUNCTION hearth_tenant_restamp();

-- A row that names a tenant changed: renew that tenant's stamp (both tenants' when it moved).
CREATE FUNCTION hearth_tenant_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE core_tenant SET version = nextval('core_tenant_version_seq') WHERE id = OLD.tenant_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE core_tenant SET version = nextval('core_tenant_version_seq') WHERE id = NEW.tenant_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER core_tenant_domain_touch AFTER INSERT OR UPDATE OR DELETE ON core_tenant_domain
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_tenant_plugin_touch AFTER INSERT OR UPDATE OR DELETE ON core_tenant_plugin
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();

-- The platform's defaults are part of every tenant's plugin config.
CREATE FUNCTION hearth_tenant_touch_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE core_tenant SET version = nextval('core_tenant_version_seq');
  RETURN NULL;
END $$;
CREATE TRIGGER core_plugin_default_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON core_plugin_default
  FOR EACH STATEMENT EXECUTE FUNCTION hearth_tenant_touch_all();
"""

UNDO = r"""
DROP TRIGGER core_plugin_default_touch ON core_plugin_default;
DROP TRIGGER core_tenant_plugin_touch ON core_tenant_plugin;
DROP TRIGGER core_tenant_domain_touch ON core_tenant_domain;
DROP TRIGGER core_tenant_restamp ON core_tenant;
DROP FUNCTION hearth_tenant_touch_all(), hearth_tenant_touch(), hearth_tenant_restamp();
ALTER TABLE core_tenant DROP COLUMN version;
DROP SEQUENCE core_tenant_version_seq;
"""


async def forwards():
    return sql_migration(ID, "tenancy", DESCRIPTION, SQL, UNDO)
