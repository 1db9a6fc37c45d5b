from platform_core.db.migration import sql_migration

ID = "2026-12-03T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders: each customer's live orders at a glance (first and last order, how many), kept by the order's own statements"

SQL = r"""
-- Segment filters ask per customer whether and when they last ordered. Grouping every live order
-- of a franchise for that costs 100-200 ms at 100k customers; this row per customer who has a live
-- order answers it from an index. Spend over a rolling 12 months is not kept here: a stored sum
-- would go stale as each day passes, so it is still summed from the orders.
CREATE TABLE core_order_customer_summary (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  first_order_at timestamptz NOT NULL,
  last_order_at timestamptz NOT NULL,
  live_orders integer NOT NULL CHECK (live_orders > 0),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, customer_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id)
);
CREATE INDEX core_order_customer_summary_last ON core_order_customer_summary (tenant_id, last_order_at) INCLUDE (customer_id);
SELECT hearth_tenant_primary_key('core_order_customer_summary');
SELECT hearth_enable_tenant_rls('core_order_customer_summary');

-- Kept by a trigger, so every way an order is written or cancelled (placement, transitions, the
-- console, a plugin's state) keeps it, in the same transaction. A new live order adds itself in
-- one upsert (placements are the hot path). A change between live and cancelled, or of when an
-- order was placed (an import or a test may back-date it), recounts the customer's live orders
-- after locking the customer's row: a statement run after the lock sees what a placement that
-- held it committed, so a racing placement is never counted out. Orders are never deleted,
-- except with their franchise, which takes these rows with it.
CREATE FUNCTION hearth_order_customer_keep() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tenant bigint;
  customer bigint;
  found record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'cancelled' THEN
      INSERT INTO core_order_customer_summary (tenant_id, customer_id, first_order_at, last_order_at, live_orders)
      VALUES (NEW.tenant_id, NEW.customer_id, NEW.created_at, NEW.created_at, 1)
      ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
        first_order_at = least(core_order_customer_summary.first_order_at, excluded.first_order_at),
        last_order_at = greatest(core_order_customer_summary.last_order_at, excluded.last_order_at),
        live_orders = core_order_customer_summary.live_orders + 1;
    END IF;
    RETURN NULL;
  END IF;
  IF (OLD.state = 'cancelled') = (NEW.state = 'cancelled') AND OLD.created_at = NEW.created_at THEN
    RETURN NULL;
  END IF;
  tenant := OLD.tenant_id;
  customer := OLD.customer_id;
  PERFORM 1 FROM core_order_customer_summary WHERE tenant_id = tenant AND customer_id = customer FOR UPDATE;
  SELECT min(created_at) AS first_at, max(created_at) AS last_at, count(*) AS live INTO found
    FROM core_order WHERE tenant_id = tenant AND customer_id = customer AND state <> 'cancelled';
  IF found.live = 0 THEN
    DELETE FROM core_order_customer_summary WHERE tenant_id = tenant AND customer_id = customer;
  ELSE
    INSERT INTO core_order_customer_summary (tenant_id, customer_id, first_order_at, last_order_at, live_orders)
    VALUES (tenant, customer, found.first_at, found.last_at, found.live)
    ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
      first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at, live_orders = excluded.live_orders;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER core_order_customer_keep AFTER INSERT OR UPDATE OF state, created_at ON core_order
  FOR EACH ROW EXECUTE FUNCTION hearth_order_customer_keep();

-- The orders already there, franchise by franchise (the rows are under RLS even for the owner).
DO $$
DECLARE
  t bigint;
BEGIN
  FOR t IN SELECT id FROM core_tenant LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO core_order_customer_summary (tenant_id, customer_id, first_order_at, last_order_at, live_orders)
    SELECT tenant_id, customer_id, min(created_at), max(created_at), count(*) FROM core_order
    WHERE tenant_id = t AND state <> 'cancelled' GROUP BY tenant_id, customer_id;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END $$;

-- "Ordered a category": the franchise's live orders of one category, without reading the others.
CREATE INDEX core_order_category_customer ON core_order (tenant_id, category_code, customer_id) WHERE state <> 'cancelled';
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL)
