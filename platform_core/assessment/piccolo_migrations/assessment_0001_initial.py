from platform_core.db.migration import sql_migration

ID = "2026-12-03T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "assessment: the franchise's formula and rules, monthly scorecards, rewards and penalties, appeals, watch list, coaching notes"

SQL = r"""
-- The franchise's formula (weights per part, thresholds), its rules for rewards and penalties,
-- and the score under which a worker is suggested for the watch list. No row: the defaults.
CREATE TABLE core_assessment_settings (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  weights jsonb NOT NULL,
  grace_minutes smallint NOT NULL CHECK (grace_minutes BETWEEN 0 AND 240),
  complaints_cap smallint NOT NULL CHECK (complaints_cap BETWEEN 1 AND 100),
  no_shows_cap smallint NOT NULL CHECK (no_shows_cap BETWEEN 1 AND 100),
  declines_cap smallint NOT NULL CHECK (declines_cap BETWEEN 1 AND 1000),
  jobs_target smallint NOT NULL CHECK (jobs_target BETWEEN 1 AND 1000),
  repeat_target_pct smallint NOT NULL CHECK (repeat_target_pct BETWEEN 1 AND 100),
  low_rating_stars smallint NOT NULL CHECK (low_rating_stars BETWEEN 1 AND 4),
  min_jobs smallint NOT NULL CHECK (min_jobs BETWEEN 0 AND 1000),
  watch_below smallint NOT NULL CHECK (watch_below BETWEEN 0 AND 100),
  top_decile_bonus bigint NOT NULL CHECK (top_decile_bonus >= 0),
  complaint_deduction bigint NOT NULL CHECK (complaint_deduction >= 0),
  low_rating_deduction bigint NOT NULL CHECK (low_rating_deduction >= 0),
  updated_by bigint,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id),
  FOREIGN KEY (tenant_id, updated_by) REFERENCES core_console_user (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_assessment_settings');
SELECT hearth_tenant_primary_key('core_assessment_settings');

-- One worker's card for one month of the franchise's calendar (month = its first day): the facts,
-- each part's value, normalised score and weight, and the total, as computed at computed_at.
CREATE TABLE core_scorecard (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  month date NOT NULL CHECK (extract(day from month) = 1),
  score numeric(5, 1) CHECK (score BETWEEN 0 AND 100),
  parts jsonb NOT NULL,
  completed integer NOT NULL DEFAULT 0,
  rank integer,
  ranked integer NOT NULL DEFAULT 0,
  computed_at timestamptz NOT NULL DEFAULT now(),
  computed_by bigint,
  UNIQUE (tenant_id, staff_id, month),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, computed_by) REFERENCES core_console_user (tenant_id, id)
);
CREATE INDEX core_scorecard_month ON core_scorecard (tenant_id, month, score DESC);
SELECT hearth_enable_tenant_rls('core_scorecard');
SELECT hearth_tenant_primary_key('core_scorecard');

-- A reward or penalty a rule gave for a month, proposed to staff_pay (maker-checker) as the
-- adjustment it names. `ref` tells apart several of one rule (the complaint, the review): a rule
-- applied twice finds its row.
CREATE TABLE core_assessment_item (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  month date NOT NULL,
  rule varchar(20) NOT NULL CHECK (rule IN ('top_decile', 'complaint', 'low_rating')),
  ref varchar(40) NOT NULL,
  kind varchar(16) NOT NULL CHECK (kind IN ('bonus', 'deduction')),
  amount bigint NOT NULL CHECK (amount > 0),
  reason varchar(300) NOT NULL,
  adjustment_id bigint NOT NULL,
  -- An upheld appeal against an approved deduction: the bonus that gives it back.
  reversal_adjustment_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, rule, staff_id, month, ref),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, adjustment_id) REFERENCES core_staff_adjustment (tenant_id, id),
  FOREIGN KEY (tenant_id, reversal_adjustment_id) REFERENCES core_staff_adjustment (tenant_id, id)
);
CREATE INDEX core_assessment_item_staff ON core_assessment_item (tenant_id, staff_id, month);
SELECT hearth_enable_tenant_rls('core_assessment_item');
SELECT hearth_tenant_primary_key('core_assessment_item');

-- A worker's appeal of an item, once per item; the office upholds or rejects it with a note.
CREATE TABLE core_assessment_appeal (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  item_id bigint NOT NULL,
  staff_id bigint NOT NULL,
  comment varchar(1000) NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'upheld', 'rejected')),
  decision_note varchar(1000) NOT NULL DEFAULT '',
  decided_by bigint,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, item_id),
  CHECK ((state = 'open') = (decided_at IS NULL)),
  FOREIGN KEY (tenant_id, item_id) REFERENCES core_assessment_item (tenant_id, id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, decided_by) REFERENCES core_console_user (tenant_id, id)
);
CREATE INDEX core_assessment_appeal_state ON core_assessment_appeal (tenant_id, state, created_at);
SELECT hearth_enable_tenant_rls('core_assessment_appeal');
SELECT hearth_tenant_primary_key('core_assessment_appeal');

-- Workers on watch: put on with a reason, taken off with one; one open watch per worker.
CREATE TABLE core_quality_watch (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  reason varchar(500) NOT NULL,
  started_by bigint,
  started_at timestamptz NOT NULL DEFAULT now(),
  end_reason varchar(500) NOT NULL DEFAULT '',
  ended_by bigint,
  ended_at timestamptz,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, started_by) REFERENCES core_console_user (tenant_id, id),
  FOREIGN KEY (tenant_id, ended_by) REFERENCES core_console_user (tenant_id, id)
);
CREATE UNIQUE INDEX core_quality_watch_open ON core_quality_watch (tenant_id, staff_id) WHERE ended_at IS NULL;
SELECT hearth_enable_tenant_rls('core_quality_watch');
SELECT hearth_tenant_primary_key('core_quality_watch');

-- Guidance notes (the coaching record): what was said, when to follow up, and how it went.
CREATE TABLE core_coaching_note (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  note varchar(2000) NOT NULL,
  follow_up_on date,
  follow_up_outcome varchar(1000) NOT NULL DEFAULT '',
  follow_up_done_at timestamptz,
  follow_up_done_by bigint,
  created_by bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES core_console_user (tenant_id, id),
  FOREIGN KEY (tenant_id, follow_up_done_by) REFERENCES core_console_user (tenant_id, id)
);
CREATE INDEX core_coaching_note_due ON core_coaching_note (tenant_id, follow_up_on) WHERE follow_up_done_at IS NULL;
SELECT hearth_enable_tenant_rls('core_coaching_note');
SELECT hearth_tenant_primary_key('core_coaching_note');
"""


async def forwards():
    return sql_migration(ID, "assessment", DESCRIPTION, SQL)
