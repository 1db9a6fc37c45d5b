from platform_core.db.migration import sql_migration

ID = "2026-11-25T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payments: attempts at a provider, refunds, applied notifications and refused ones"

SQL = r"""
CREATE TABLE core_payment (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  payment_no varchar(40) NOT NULL,
  provider varchar(32) NOT NULL,
  method varchar(16) NOT NULL DEFAULT '',
  device varchar(8) NOT NULL DEFAULT '',
  purpose varchar(16) NOT NULL CHECK (purpose IN ('order', 'wallet_topup')),
  order_id bigint,
  customer_id bigint NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency varchar(8) NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'closed')),
  provider_ref varchar(128) NOT NULL DEFAULT '',
  action jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  paid_at timestamptz,
  closed_at timestamptz,
  UNIQUE (tenant_id, payment_no),
  UNIQUE (tenant_id, id),
  CHECK ((purpose = 'order') = (order_id IS NOT NULL)),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id)
);
CREATE INDEX core_payment_order ON core_payment (tenant_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX core_payment_pending ON core_payment (tenant_id, created_at) WHERE status = 'pending';
CREATE INDEX core_payment_created ON core_payment (tenant_id, created_at DESC);

CREATE TABLE core_refund (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  payment_id bigint NOT NULL,
  refund_no varchar(48) NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  reason varchar(300) NOT NULL DEFAULT '',
  status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  provider_ref varchar(128) NOT NULL DEFAULT '',
  message varchar(300) NOT NULL DEFAULT '',
  requested_by varchar(40) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (tenant_id, refund_no),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES core_payment (tenant_id, id)
);
CREATE INDEX core_refund_payment ON core_refund (tenant_id, payment_id);

-- One row per provider event that was applied: the unique key is the deduplication.
CREATE TABLE core_payment_notification (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  provider varchar(32) NOT NULL,
  event_id varchar(128) NOT NULL,
  payment_id bigint NOT NULL,
  status varchar(16) NOT NULL,
  outcome varchar(16) NOT NULL CHECK (outcome IN ('applied', 'ignored')),
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, provider, event_id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES core_payment (tenant_id, id)
);

-- Forged, tampered and mismatched notifications, kept for the console (written outside the
-- refused request's transaction, which rolls back).
CREATE TABLE core_payment_refusal (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id),
  provider varchar(32) NOT NULL,
  reason varchar(24) NOT NULL,
  detail varchar(300) NOT NULL DEFAULT '',
  payment_no varchar(40),
  remote_addr varchar(64) NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX core_payment_refusal_received ON core_payment_refusal (tenant_id, received_at DESC);

SELECT hearth_enable_tenant_rls('core_payment');
SELECT hearth_enable_tenant_rls('core_refund');
SELECT hearth_enable_tenant_rls('core_payment_notification');
SELECT hearth_enable_tenant_rls('core_payment_refusal');
"""


async def forwards():
    return sql_migration(ID, "payments", DESCRIPTION, SQL)
