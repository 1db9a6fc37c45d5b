from platform_core.plugin_api import sql_migration

ID = "2026-12-03T16:10:00:000000"
DESCRIPTION = "elder_care: elders and their assessments, care plans, their visits, the carers' logs and the family"

SQL = r"""
-- An elder a customer cares for, with the latest care assessment. What the assessment says
-- (name, age, daily living, conditions, medication, contacts) is health data: it is kept only
-- sealed (`data_cipher`, the keyring's AES-GCM). The level and the Barthel total stay plain: the
-- price and the carers' requirements read them on every quote and dispatch.
CREATE TABLE elder_care_elder (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
  barthel smallint NOT NULL CHECK (barthel BETWEEN 0 AND 100),
  data_cipher text NOT NULL,
  assessed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('elder_care_elder');
CREATE INDEX elder_care_elder_customer ON elder_care_elder (tenant_id, customer_id);

-- A care plan: recurring visits (weekdays as a bit mask, Monday = 1, in the franchise's zone)
-- from `starts_on` to `ends_on` (open-ended when null), in a trial until `trial_ends_on`. The
-- carer the family keeps (`carer_id`) is preferred by dispatch; those they asked to replace
-- (`excluded_carers`) are not offered the plan's visits again; `confirmed_at` is when the family
-- kept the carer after the trial.
CREATE TABLE elder_care_plan (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  elder_id bigint NOT NULL,
  item_id bigint NOT NULL,
  address_id bigint NOT NULL,
  weekdays smallint NOT NULL CHECK (weekdays BETWEEN 1 AND 127),
  start_time time NOT NULL,
  end_time time NOT NULL,
  starts_on date NOT NULL,
  ends_on date,
  trial_ends_on date NOT NULL,
  state varchar(10) NOT NULL DEFAULT 'trial' CHECK (state IN ('trial', 'active', 'paused', 'ended')),
  carer_id bigint,
  confirmed_at timestamptz,
  excluded_carers bigint[] NOT NULL DEFAULT '{}',
  tasks text[] NOT NULL DEFAULT '{}',
  notes varchar(1000) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  CHECK (end_time > start_time),
  CHECK (ends_on IS NULL OR ends_on >= starts_on),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, elder_id) REFERENCES elder_care_elder (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, item_id) REFERENCES core_service_item (tenant_id, id),
  FOREIGN KEY (tenant_id, address_id) REFERENCES core_customer_address (tenant_id, id),
  FOREIGN KEY (tenant_id, carer_id) REFERENCES core_staff (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('elder_care_plan');
CREATE INDEX elder_care_plan_customer ON elder_care_plan (tenant_id, customer_id);
CREATE INDEX elder_care_plan_live ON elder_care_plan (tenant_id, state) WHERE state IN ('trial', 'active');

-- One visit of a plan, one per day at most: the order placed for it (`attempt` counts the
-- placements: a carer replaced places the visit again), or why none could be ("unplaced",
-- retried by the daily job while the day is ahead).
CREATE TABLE elder_care_visit (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  plan_id bigint NOT NULL,
  visit_date date NOT NULL,
  starts_at timestamptz NOT NULL,
  order_id bigint,
  attempt smallint NOT NULL DEFAULT 1,
  state varchar(10) NOT NULL CHECK (state IN ('placed', 'unplaced', 'cancelled', 'kept')),
  note varchar(300) NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, plan_id, visit_date),
  UNIQUE (tenant_id, order_id),
  FOREIGN KEY (tenant_id, plan_id) REFERENCES elder_care_plan (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, order_id) REFERENCES core_order (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('elder_care_visit');

-- The carer's record of a visit: the plan's tasks done, photos, and (sealed: health data) the
-- vital signs, mood and notes.
CREATE TABLE elder_care_log (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  plan_id bigint NOT NULL,
  visit_id bigint NOT NULL,
  staff_id bigint NOT NULL,
  tasks_done text[] NOT NULL DEFAULT '{}',
  photos text[] NOT NULL DEFAULT '{}',
  data_cipher text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, visit_id),
  FOREIGN KEY (tenant_id, plan_id) REFERENCES elder_care_plan (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, visit_id) REFERENCES elder_care_visit (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('elder_care_log');
CREATE INDEX elder_care_log_plan ON elder_care_log (tenant_id, plan_id, created_at DESC);

-- A family member the plan's customer invited by phone: linked to their customer account when
-- they have one or sign up (`member_id`); the phone kept sealed, shown masked. `may_manage`:
-- the owner lets them pause, resume and decide the trial.
CREATE TABLE elder_care_family (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  plan_id bigint NOT NULL,
  member_id bigint,
  phone_cipher text NOT NULL,
  phone_masked varchar(24) NOT NULL,
  may_manage boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, plan_id, member_id),
  FOREIGN KEY (tenant_id, plan_id) REFERENCES elder_care_plan (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, member_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('elder_care_family');
CREATE INDEX elder_care_family_member ON elder_care_family (tenant_id, member_id);
"""



async def forwards():
    return sql_migration(ID, "elder_care", DESCRIPTION, SQL,
                         "DROP TABLE elder_care_family; DROP TABLE elder_care_log; DROP TABLE elder_care_visit; "
                         "DROP TABLE elder_care_plan; DROP TABLE elder_care_elder;")
