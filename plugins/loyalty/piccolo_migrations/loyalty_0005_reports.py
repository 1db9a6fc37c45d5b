from platform_core.plugin_api import sql_migration

ID = "2026-12-03T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loyalty: who adjusted a customer's points by hand, and why; the lots' foreign key indexed"

SQL = r"""
-- A console adjustment of a customer's points: the movement keeps the reason as its note, this
-- row keeps who made it. Its id is the movement's link ("adjustment:<id>"); `form_key` is the
-- console form's one-time key, so a double submit adjusts once.
CREATE TABLE loyalty_adjustment (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  points bigint NOT NULL CHECK (points <> 0),
  reason varchar(200) NOT NULL,
  console_user_id bigint NOT NULL,
  form_key varchar(64) NOT NULL,
  movement_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, form_key),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES loyalty_member (tenant_id, customer_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, movement_id) REFERENCES loyalty_movement (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_adjustment');
CREATE INDEX loyalty_adjustment_customer ON loyalty_adjustment (tenant_id, customer_id, id DESC);
CREATE INDEX loyalty_adjustment_movement ON loyalty_adjustment (tenant_id, movement_id);

-- The lots' foreign key to their movement had no index: deleting movements (a customer or a
-- franchise deleted, cascading) checked every lot of the table once per movement deleted.
CREATE INDEX loyalty_lot_movement ON loyalty_lot (tenant_id, movement_id);
"""


async def forwards():
    return sql_migration(ID, "loyalty", DESCRIPTION, SQL, "DROP INDEX loyalty_lot_movement; DROP TABLE loyalty_adjustment;")
