from platform_core.db.migration import sql_migration

ID = "2026-11-25T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders remember a hash of the placement request, to tell a retry from a reuse of its key"

SQL = r"""
-- A retry with the same idempotency key and the same body returns the first order; the same key
-- with another body is refused (409). The hash covers the canonical request, never personal data.
ALTER TABLE core_order ADD COLUMN request_hash varchar(64) NOT NULL DEFAULT '';
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL, "ALTER TABLE core_order DROP COLUMN request_hash;")
