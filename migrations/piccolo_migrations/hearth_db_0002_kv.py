from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "the key-value table that stands in for redis when there is none"

SQL = r"""
CREATE TABLE core_kv (
  key text PRIMARY KEY,
  value bytea,
  counter bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL
);
CREATE INDEX core_kv_expires ON core_kv (expires_at);
"""


async def forwards():
    return sql_migration(ID, "hearth_db", DESCRIPTION, SQL)
