from platform_core.plugin_api import sql_migration

ID = "2026-12-01T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the customers hello has welcomed"

SQL = r"""
-- One row per customer greeted on registration; the unique key makes a replayed event harmless.
CREATE TABLE hello_welcome (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  greeted_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, customer_id)
);
SELECT hearth_enable_tenant_rls('hello_welcome');
"""

BACKWARDS_SQL = "DROP TABLE hello_welcome;"


async def forwards():
    return sql_migration(ID, "hello", DESCRIPTION, SQL, BACKWARDS_SQL)
