from platform_core.plugin_api import sql_migration

ID = "2026-12-03T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loyalty part B: daily check-ins, tasks and their completions, priority booking grants, share links and their visits"

SQL = r"""
CREATE TABLE loyalty_checkin (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  day date NOT NULL,
  streak integer NOT NULL CHECK (streak >= 1),
  points integer NOT NULL DEFAULT 0 CHECK (points >= 0),
  coupon_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id, day),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_checkin');

CREATE TABLE loyalty_task (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  code varchar(32) NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('profile', 'first_order', 'review', 'share_visit', 'share_signup', 'invite')),
  title varchar(80) NOT NULL,
  description varchar(300) NOT NULL DEFAULT '',
  reward_points integer NOT NULL DEFAULT 0 CHECK (reward_points BETWEEN 0 AND 1000000),
  reward_coupon_template_id bigint,
  priority_days integer NOT NULL DEFAULT 0 CHECK (priority_days BETWEEN 0 AND 3650),
  priority_item_ids bigint[] NOT NULL DEFAULT '{}',
  priority_categories text[] NOT NULL DEFAULT '{}',
  priority_extra_days integer NOT NULL DEFAULT 0 CHECK (priority_extra_days BETWEEN 0 AND 365),
  priority_held_back integer NOT NULL DEFAULT 0 CHECK (priority_held_back BETWEEN 0 AND 100),
  active boolean NOT NULL DEFAULT true,
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, reward_coupon_template_id) REFERENCES core_coupon_template (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('loyalty_task');

CREATE TABLE loyalty_task_completion (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  task_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  ref varchar(100) NOT NULL DEFAULT '',
  points integer NOT NULL DEFAULT 0,
  coupon_id bigint,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, task_id, customer_id),
  FOREIGN KEY (tenant_id, task_id) REFERENCES loyalty_task (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_task_completion');
CREATE INDEX loyalty_task_completion_customer ON loyalty_task_completion (tenant_id, customer_id);

CREATE TABLE loyalty_priority_grant (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  task_id bigint NOT NULL,
  item_ids bigint[] NOT NULL DEFAULT '{}',
  categories text[] NOT NULL DEFAULT '{}',
  extra_days integer NOT NULL DEFAULT 0,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, task_id, customer_id),
  FOREIGN KEY (tenant_id, task_id) REFERENCES loyalty_task (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  CHECK (ends_at > starts_at)
);
SELECT hearth_enable_tenant_rls('loyalty_priority_grant');
CREATE INDEX loyalty_priority_grant_customer ON loyalty_priority_grant (tenant_id, customer_id, ends_at);

CREATE TABLE loyalty_share (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  item_id bigint NOT NULL,
  code varchar(16) NOT NULL,
  visits integer NOT NULL DEFAULT 0,
  signups integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  UNIQUE (tenant_id, customer_id, item_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_share');

CREATE TABLE loyalty_share_visit (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  share_id bigint NOT NULL,
  visitor varchar(32) NOT NULL,
  visited_at timestamptz NOT NULL DEFAULT now(),
  customer_id bigint,
  registered_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, share_id, visitor),
  FOREIGN KEY (tenant_id, share_id) REFERENCES loyalty_share (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('loyalty_share_visit');
"""

DOWN = """
DROP TABLE loyalty_share_visit;
DROP TABLE loyalty_share;
DROP TABLE loyalty_priority_grant;
DROP TABLE loyalty_task_completion;
DROP TABLE loyalty_task;
DROP TABLE loyalty_checkin;
"""


async def forwards():
    return sql_migration(ID, "loyalty", DESCRIPTION, SQL, DOWN)
