from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders, their price lines and their timeline; booking settings"

SQL = r"""
CREATE TABLE core_booking_settings (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE UNIQUE,
  slot_minutes int NOT NULL DEFAULT 30 CHECK (slot_minutes IN (15, 30, 60)),
  lead_minutes int NOT NULL DEFAULT 120 CHECK (lead_minutes >= 0),
  horizon_days int NOT NULL DEFAULT 14 CHECK (horizon_days BETWEEN 1 AND 90),
  -- Cancelling this many hours or more before the slot is free; later costs the fee percent.
  free_cancel_hours int NOT NULL DEFAULT 24 CHECK (free_cancel_hours >= 0),
  late_cancel_fee_percent int NOT NULL DEFAULT 20 CHECK (late_cancel_fee_percent BETWEEN 0 AND 100),
  reminder_hours int NOT NULL DEFAULT 2 CHECK (reminder_hours BETWEEN 0 AND 72),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT hearth_enable_tenant_rls('core_booking_settings');

CREATE TABLE core_order (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  number varchar(24) NOT NULL,
  customer_id bigint NOT NULL,
  item_id bigint NOT NULL,
  category_code varchar(63) NOT NULL,
  state varchar(32) NOT NULL,
  state_changed_at timestamptz NOT NULL DEFAULT now(),
  -- A snapshot of the address at booking time (the contact phone inside is encrypted).
  address jsonb NOT NULL,
  lat numeric(9, 6),
  lng numeric(9, 6),
  district varchar(100) NOT NULL DEFAULT '',
  requirements varchar(2000) NOT NULL DEFAULT '',
  fields jsonb NOT NULL DEFAULT '{}',
  photos jsonb NOT NULL DEFAULT '[]',
  asap boolean NOT NULL DEFAULT false,
  scheduled_start timestamptz NOT NULL,
  scheduled_end timestamptz NOT NULL,
  requested_staff_id bigint,
  quantity int NOT NULL DEFAULT 1 CHECK (quantity >= 1),
  currency varchar(3) NOT NULL,
  subtotal bigint NOT NULL CHECK (subtotal >= 0),
  adjustments bigint NOT NULL DEFAULT 0,
  total bigint NOT NULL CHECK (total >= 0),
  payment_method varchar(20) NOT NULL DEFAULT 'after_service',
  paid_at timestamptz,
  cancellation_fee bigint NOT NULL DEFAULT 0 CHECK (cancellation_fee >= 0),
  cancel_reason varchar(500) NOT NULL DEFAULT '',
  idempotency_key varchar(100) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (scheduled_end > scheduled_start),
  CHECK ((lat IS NULL) = (lng IS NULL)),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, number),
  -- A retried placement with the same key finds the first order instead of making a second.
  UNIQUE (tenant_id, customer_id, idempotency_key),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, item_id) REFERENCES core_service_item (tenant_id, id),
  FOREIGN KEY (tenant_id, requested_staff_id) REFERENCES core_staff (tenant_id, id)
);
CREATE INDEX core_order_state ON core_order (tenant_id, state, scheduled_start);
CREATE INDEX core_order_customer ON core_order (tenant_id, customer_id, created_at DESC);
CREATE INDEX core_order_schedule ON core_order (tenant_id, scheduled_start);
SELECT hearth_enable_tenant_rls('core_order');

CREATE TABLE core_order_line (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  order_id bigint NOT NULL,
  position int NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('base', 'addon', 'adjustment', 'fee')),
  code varchar(63) NOT NULL DEFAULT '',
  label varchar(200) NOT NULL,
  quantity int NOT NULL DEFAULT 1,
  unit_amount bigint NOT NULL,
  amount bigint NOT NULL,
  -- 'core' or the plugin that contributed an adjustment.
  source varchar(63) NOT NULL DEFAULT 'core',
  UNIQUE (tenant_id, order_id, position),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_order_line');

CREATE TABLE core_order_event (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  order_id bigint NOT NULL,
  event varchar(40) NOT NULL,
  from_state varchar(32),
  to_state varchar(32) NOT NULL,
  actor_kind varchar(16) NOT NULL CHECK (actor_kind IN ('customer', 'staff', 'console', 'system', 'plugin')),
  actor_id bigint,
  note varchar(500) NOT NULL DEFAULT '',
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX core_order_event_order ON core_order_event (tenant_id, order_id, id);
SELECT hearth_enable_tenant_rls('core_order_event');

-- Human order numbers per tenant and day (20261125-0042), counted without gaps by an upsert.
CREATE TABLE core_order_counter (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  day date NOT NULL,
  value int NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, day)
);
SELECT hearth_enable_tenant_rls('core_order_counter');
"""


async def forwards():
    return sql_migration(ID, "orders", DESCRIPTION, SQL)
