from platform_core.db.migration import sql_migration

ID = "2026-12-03T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "training: head office's courses, each franchise's courses, lesson progress, quiz attempts, certificates"

SQL = r"""
-- Head office's courses (the platform console), copied into every franchise's courses when
-- published. Lessons and questions are one document with the course: edited and published whole.
CREATE TABLE core_training_hq_course (
  id bigserial PRIMARY KEY,
  code varchar(40) NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
  title varchar(120) NOT NULL,
  summary varchar(1000) NOT NULL DEFAULT '',
  lessons jsonb NOT NULL DEFAULT '[]',
  questions jsonb NOT NULL DEFAULT '[]',
  pass_mark smallint NOT NULL DEFAULT 80 CHECK (pass_mark BETWEEN 1 AND 100),
  retake_after_hours integer NOT NULL DEFAULT 24 CHECK (retake_after_hours BETWEEN 0 AND 8760),
  categories text[] NOT NULL DEFAULT '{}',
  onboarding boolean NOT NULL DEFAULT false,
  state varchar(16) NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'archived')),
  version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A franchise's course: its own, a copy of head office's (hq_course_id, content read-only), or a
-- plugin's (source_plugin; updated by the plugin until the office edits it). ``version`` grows
-- with every content change, so an attempt opened before an edit is not graded against new
-- questions.
CREATE TABLE core_training_course (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  code varchar(40) NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
  title varchar(120) NOT NULL,
  summary varchar(1000) NOT NULL DEFAULT '',
  lessons jsonb NOT NULL DEFAULT '[]',
  questions jsonb NOT NULL DEFAULT '[]',
  pass_mark smallint NOT NULL DEFAULT 80 CHECK (pass_mark BETWEEN 1 AND 100),
  retake_after_hours integer NOT NULL DEFAULT 24 CHECK (retake_after_hours BETWEEN 0 AND 8760),
  categories text[] NOT NULL DEFAULT '{}',
  onboarding boolean NOT NULL DEFAULT false,
  state varchar(16) NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published', 'archived')),
  version integer NOT NULL DEFAULT 0,
  hq_course_id bigint REFERENCES core_training_hq_course(id),
  hq_version integer,
  source_plugin varchar(64),
  plugin_digest varchar(64),
  edited boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code),
  UNIQUE (tenant_id, hq_course_id)
);
SELECT hearth_enable_tenant_rls('core_training_course');
SELECT hearth_tenant_primary_key('core_training_course');

-- Which lessons of a course a worker has read (by the lesson's key, which survives edits).
CREATE TABLE core_training_progress (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  course_id bigint NOT NULL,
  lessons_read text[] NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, staff_id, course_id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, course_id) REFERENCES core_training_course (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_training_progress');
SELECT hearth_tenant_primary_key('core_training_progress');

-- A quiz attempt: opened when the worker starts the quiz, graded once (the update from 'open' is
-- what makes two racing submits count once). A failed one says when the next may start.
CREATE TABLE core_training_attempt (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  course_id bigint NOT NULL,
  course_version integer NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'passed', 'failed')),
  answers jsonb NOT NULL DEFAULT '[]',
  correct integer NOT NULL DEFAULT 0,
  total integer NOT NULL DEFAULT 0,
  score smallint NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
  started_at timestamptz NOT NULL,
  submitted_at timestamptz,
  retake_at timestamptz,
  UNIQUE (tenant_id, id),
  CHECK ((state = 'open') = (submitted_at IS NULL)),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, course_id) REFERENCES core_training_course (tenant_id, id)
);
CREATE UNIQUE INDEX core_training_attempt_one_open ON core_training_attempt (tenant_id, staff_id, course_id) WHERE state = 'open';
CREATE UNIQUE INDEX core_training_attempt_one_pass ON core_training_attempt (tenant_id, staff_id, course_id) WHERE state = 'passed';
CREATE INDEX core_training_attempt_latest ON core_training_attempt (tenant_id, staff_id, course_id, started_at DESC);
SELECT hearth_enable_tenant_rls('core_training_attempt');
SELECT hearth_tenant_primary_key('core_training_attempt');

-- A certificate of completion: one per worker and course, its number unique in the franchise.
CREATE TABLE core_training_certificate (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  number varchar(40) NOT NULL,
  staff_id bigint NOT NULL,
  course_id bigint NOT NULL,
  attempt_id bigint,
  course_title varchar(120) NOT NULL,
  score smallint,
  passed_at timestamptz NOT NULL,
  UNIQUE (tenant_id, number),
  UNIQUE (tenant_id, staff_id, course_id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, course_id) REFERENCES core_training_course (tenant_id, id),
  FOREIGN KEY (tenant_id, attempt_id) REFERENCES core_training_attempt (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_training_certificate');
SELECT hearth_tenant_primary_key('core_training_certificate');
"""


async def forwards():
    return sql_migration(ID, "training", DESCRIPTION, SQL)
