from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dispatch settings and assignments that can never double-book a worker"

SQL = r"""
CREATE TABLE core_dispatch_settings (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE UNIQUE,
  mode varchar(16) NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'manual', 'customer_pick')),
  grab_pool boolean NOT NULL DEFAULT false,
  accept_timeout_s int NOT NULL DEFAULT 600 CHECK (accept_timeout_s BETWEEN 30 AND 86400),
  -- Weight per score name (skills, availability, distance, rating, workload, and plugins' names).
  weights jsonb NOT NULL DEFAULT '{"distance": 0.35, "rating": 0.25, "workload": 0.2, "skills": 0.2}',
  travel_speed_kmh int NOT NULL DEFAULT 25 CHECK (travel_speed_kmh BETWEEN 1 AND 120),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT hearth_enable_tenant_rls('core_dispatch_settings');

CREATE TABLE core_assignment (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  order_id bigint NOT NULL,
  staff_id bigint NOT NULL,
  during tstzrange NOT NULL CHECK (NOT isempty(during)),
  status varchar(16) NOT NULL CHECK (status IN ('offered', 'accepted', 'declined', 'expired', 'released', 'completed')),
  source varchar(16) NOT NULL CHECK (source IN ('auto', 'batch', 'manual', 'customer', 'grab')),
  score double precision,
  -- Why this worker: each score's raw value, weight and contribution, as shown in the console.
  score_breakdown jsonb NOT NULL DEFAULT '{}',
  offered_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  responded_at timestamptz,
  actor_kind varchar(16),
  actor_id bigint,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  -- Double booking is impossible by construction: live assignments of one worker never overlap.
  CONSTRAINT core_assignment_no_double_booking
    EXCLUDE USING gist (tenant_id WITH =, staff_id WITH =, during WITH &&)
    WHERE (status IN ('offered', 'accepted', 'completed'))
);
-- At most one live assignment per order.
CREATE UNIQUE INDEX core_assignment_one_live ON core_assignment (tenant_id, order_id)
  WHERE status IN ('offered', 'accepted', 'completed');
CREATE INDEX core_assignment_staff ON core_assignment (tenant_id, staff_id, status);
SELECT hearth_enable_tenant_rls('core_assignment');
"""


async def forwards():
    return sql_migration(ID, "dispatch", DESCRIPTION, SQL)
