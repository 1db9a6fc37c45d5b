from platform_core.db.migration import sql_migration

ID = "2026-12-02T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the order's message thread (customer, worker, office) and the worker's visit record"

SQL = r"""
-- What the customer and the worker write to each other about one order; the office reads it.
CREATE TABLE core_order_message (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  order_id bigint NOT NULL,
  author_kind varchar(16) NOT NULL CHECK (author_kind IN ('customer', 'staff', 'console')),
  author_id bigint NOT NULL,
  body varchar(1000) NOT NULL CHECK (length(btrim(body)) > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX core_order_message_order ON core_order_message (tenant_id, order_id, id);
SELECT hearth_enable_tenant_rls('core_order_message');

-- The worker's record of the visit: the indexes of the item's steps ticked, and the photos taken
-- before and after the service ({"before": [url, ...], "after": [...]}).
ALTER TABLE core_order ADD COLUMN checklist_done jsonb NOT NULL DEFAULT '[]';
ALTER TABLE core_order ADD COLUMN work_photos jsonb NOT NULL DEFAULT '{}';
"""


async def forwards():
    return sql_migration(
        ID, "orders", DESCRIPTION, SQL,
        "DROP TABLE core_order_message; ALTER TABLE core_order DROP COLUMN checklist_done, DROP COLUMN work_photos;",
    )
