from platform_core.db.migration import sql_migration

ID = "2026-12-02T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the helper that gives a tenant table the primary key (tenant_id, id)"

SQL = r"""
-- Give a tenant-owned table the primary key (tenant_id, id), so it can be distributed by
-- tenant_id (Citus wants every primary key and unique constraint to hold the distribution
-- column). The table's own UNIQUE (tenant_id, id), which compound foreign keys point at, becomes
-- redundant and goes; PostgreSQL ties a foreign key to one index, so the foreign keys leaning
-- on it are dropped and re-created word for word, now leaning on the new primary key. Each
-- owning app calls this for its own tables, after which its later apps' migrations find
-- (tenant_id, id) as before.
CREATE OR REPLACE FUNCTION hearth_tenant_primary_key(tbl regclass) RETURNS void
  LANGUAGE plpgsql AS $f$
DECLARE
  pkey name;
  tenant_key name;
  leaning jsonb;
  fk record;
BEGIN
  SELECT conname INTO pkey FROM pg_constraint WHERE conrelid = tbl AND contype = 'p';
  SELECT c.conname INTO tenant_key FROM pg_constraint c
   WHERE c.conrelid = tbl AND c.contype = 'u'
     AND (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = tbl AND a.attnum = k.attnum) = ARRAY['tenant_id', 'id']::name[];
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'rel', f.conrelid::regclass::text, 'name', f.conname, 'def', pg_get_constraintdef(f.oid))), '[]')
    INTO leaning
    FROM pg_constraint f JOIN pg_constraint u ON u.conindid = f.conindid
   WHERE f.contype = 'f' AND f.confrelid = tbl AND u.conrelid = tbl AND u.conname = tenant_key;

  FOR fk IN SELECT * FROM jsonb_to_recordset(leaning) AS x(rel text, name text, def text) LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.name);
  END LOOP;
  IF tenant_key IS NOT NULL THEN
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, tenant_key);
  END IF;
  -- No CASCADE: a foreign key on (id) alone could not be distributed either, so it stops here.
  EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, pkey);
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (tenant_id, id)', tbl, pkey);
  FOR fk IN SELECT * FROM jsonb_to_recordset(leaning) AS x(rel text, name text, def text) LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.rel, fk.name, fk.def);
  END LOOP;
END $f$;
"""


async def forwards():
    return sql_migration(ID, "hearth_db", DESCRIPTION, SQL)
