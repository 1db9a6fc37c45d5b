from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:14:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reviews of completed orders"

SQL = r"""
CREATE TABLE core_review (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  order_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  staff_id bigint,
  item_id bigint NOT NULL,
  quality smallint NOT NULL CHECK (quality BETWEEN 1 AND 5),
  attitude smallint NOT NULL CHECK (attitude BETWEEN 1 AND 5),
  skill smallint NOT NULL CHECK (skill BETWEEN 1 AND 5),
  text varchar(2000) NOT NULL DEFAULT '',
  photos jsonb NOT NULL DEFAULT '[]',
  reply varchar(2000) NOT NULL DEFAULT '',
  replied_by bigint,
  replied_at timestamptz,
  -- Hidden reviews stay, with who hid them and why.
  hidden_at timestamptz,
  hidden_by bigint,
  hidden_reason varchar(500) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, order_id),
  CHECK ((hidden_at IS NULL) = (hidden_reason = '')),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, item_id) REFERENCES core_service_item (tenant_id, id)
);
CREATE INDEX core_review_staff ON core_review (tenant_id, staff_id, created_at DESC);
CREATE INDEX core_review_item ON core_review (tenant_id, item_id, created_at DESC);
SELECT hearth_enable_tenant_rls('core_review');
"""


async def forwards():
    return sql_migration(ID, "reviews", DESCRIPTION, SQL)
