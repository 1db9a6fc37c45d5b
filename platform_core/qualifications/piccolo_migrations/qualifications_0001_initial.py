from platform_core.db.migration import sql_migration

ID = "2026-12-03T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = ("qualifications: credential kinds of the franchise, candidates' applications and their review log, "
               "documents (an application's and a worker's credentials), requirement rules, course passes, expiry reminders")

SQL = r"""
-- The franchise's own credential kinds, beside the built-in ones (qualifications/kinds.py).
CREATE TABLE core_credential_kind (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  code varchar(40) NOT NULL,
  name varchar(80) NOT NULL,
  expires boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, code)
);
SELECT hearth_enable_tenant_rls('core_credential_kind');
SELECT hearth_tenant_primary_key('core_credential_kind');

-- A candidate's application on /join. The phone is kept as a cipher and a blind index (one open
-- application per phone); the ID number as a cipher and its masked form. staff_id is set when
-- the office approves it and the worker is created.
CREATE TABLE core_staff_application (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  phone_cipher text NOT NULL,
  phone_index varchar(64) NOT NULL,
  phone_masked varchar(20) NOT NULL,
  name varchar(40) NOT NULL,
  gender varchar(8) NOT NULL DEFAULT '' CHECK (gender IN ('', 'female', 'male')),
  birth_year smallint CHECK (birth_year BETWEEN 1900 AND 2200),
  skills text[] NOT NULL DEFAULT '{}',
  categories text[] NOT NULL DEFAULT '{}',
  years_experience smallint NOT NULL DEFAULT 0 CHECK (years_experience BETWEEN 0 AND 60),
  districts text[] NOT NULL DEFAULT '{}',
  home_lat numeric(9, 6),
  home_lng numeric(9, 6),
  service_radius_km smallint NOT NULL DEFAULT 10 CHECK (service_radius_km BETWEEN 1 AND 200),
  bio varchar(1000) NOT NULL DEFAULT '',
  id_number_cipher text NOT NULL,
  id_number_masked varchar(40) NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'more_needed', 'approved', 'rejected')),
  more_request varchar(500) NOT NULL DEFAULT '',
  background_check varchar(16) NOT NULL DEFAULT 'not_started' CHECK (background_check IN ('not_started', 'clear', 'concern')),
  background_note varchar(1000) NOT NULL DEFAULT '',
  interview_note varchar(2000) NOT NULL DEFAULT '',
  decision_reason varchar(500) NOT NULL DEFAULT '',
  decided_by bigint,
  decided_at timestamptz,
  staff_id bigint,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  CHECK ((state IN ('approved', 'rejected')) = (decided_at IS NOT NULL)),
  CHECK ((state = 'approved') = (staff_id IS NOT NULL)),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id)
);
CREATE UNIQUE INDEX core_staff_application_open ON core_staff_application (tenant_id, phone_index)
  WHERE state IN ('submitted', 'more_needed');
CREATE INDEX core_staff_application_queue ON core_staff_application (tenant_id, state, submitted_at);
SELECT hearth_enable_tenant_rls('core_staff_application');
SELECT hearth_tenant_primary_key('core_staff_application');

-- A document: an ID card or a certificate, of an application (application_id) or of a worker
-- (staff_id; an approved application's documents become the worker's). The number is a cipher
-- with its masked form; the photo is sealed with the keyring, never under the media path.
-- renews_id names the credential a renewal replaces once approved (then 'superseded').
CREATE TABLE core_credential (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  application_id bigint,
  staff_id bigint,
  kind varchar(40) NOT NULL,
  number_cipher text NOT NULL,
  number_masked varchar(40) NOT NULL,
  issuer varchar(100) NOT NULL DEFAULT '',
  issued_on date,
  expires_on date,
  photo_sealed bytea,
  photo_type varchar(20) NOT NULL DEFAULT '',
  state varchar(16) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'revoked', 'superseded')),
  reason varchar(500) NOT NULL DEFAULT '',
  renews_id bigint,
  reviewed_by bigint,
  reviewed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  CHECK (application_id IS NOT NULL OR staff_id IS NOT NULL),
  CHECK (expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on),
  FOREIGN KEY (tenant_id, application_id) REFERENCES core_staff_application (tenant_id, id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id),
  FOREIGN KEY (tenant_id, renews_id) REFERENCES core_credential (tenant_id, id)
);
CREATE INDEX core_credential_staff ON core_credential (tenant_id, staff_id, kind, state);
CREATE INDEX core_credential_application ON core_credential (tenant_id, application_id);
CREATE INDEX core_credential_expiry ON core_credential (tenant_id, expires_on) WHERE state = 'approved';
SELECT hearth_enable_tenant_rls('core_credential');
SELECT hearth_tenant_primary_key('core_credential');

-- Who decided what and when, on an application and its documents.
CREATE TABLE core_staff_application_event (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  application_id bigint NOT NULL,
  credential_id bigint,
  action varchar(32) NOT NULL,
  note varchar(2000) NOT NULL DEFAULT '',
  actor_id bigint,
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, application_id) REFERENCES core_staff_application (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, credential_id) REFERENCES core_credential (tenant_id, id)
);
CREATE INDEX core_staff_application_event_app ON core_staff_application_event (tenant_id, application_id, at);
SELECT hearth_enable_tenant_rls('core_staff_application_event');
SELECT hearth_tenant_primary_key('core_staff_application_event');

-- The franchise's rules: a category (item_id null) or one item needs a credential kind.
CREATE TABLE core_credential_requirement (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  category varchar(40) NOT NULL,
  item_id bigint,
  kind varchar(40) NOT NULL,
  created_by bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, item_id) REFERENCES core_service_item (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX core_credential_requirement_rule ON core_credential_requirement (tenant_id, category, coalesce(item_id, 0), kind);
SELECT hearth_enable_tenant_rls('core_credential_requirement');
SELECT hearth_tenant_primary_key('core_credential_requirement');
-- Processes keep a franchise's rules by its stamp (qualifications.eligibility): any change to a
-- rule renews the stamp, so no process checks a worker against rules another one changed.
CREATE TRIGGER core_credential_requirement_touch AFTER INSERT OR UPDATE OR DELETE ON core_credential_requirement
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();

-- A worker's pass of a training course, as on_course_passed tells it (the latest pass per course).
CREATE TABLE core_course_pass (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  course_code varchar(64) NOT NULL,
  certificate_no varchar(64) NOT NULL,
  passed_at timestamptz NOT NULL,
  expires_at timestamptz,
  UNIQUE (tenant_id, staff_id, course_code),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id)
);
SELECT hearth_enable_tenant_rls('core_course_pass');
SELECT hearth_tenant_primary_key('core_course_pass');

-- An expiry reminder sent (30 or 7 days before): once each per credential.
CREATE TABLE core_credential_reminder (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  credential_id bigint NOT NULL,
  days_before smallint NOT NULL CHECK (days_before IN (30, 7)),
  sent_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, credential_id, days_before),
  FOREIGN KEY (tenant_id, credential_id) REFERENCES core_credential (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_credential_reminder');
SELECT hearth_tenant_primary_key('core_credential_reminder');
"""


async def forwards():
    return sql_migration(ID, "qualifications", DESCRIPTION, SQL)
