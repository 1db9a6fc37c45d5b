from platform_core.db.migration import sql_migration

ID = "2026-12-03T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customers: real-name verification (submissions, encrypted ID photos, the photo access log)"

SQL = r"""
-- A customer's real-name submission, reviewed in the console. The ID number is kept only as a
-- keyring ciphertext, a blind index (duplicates within the franchise) and its masked form.
CREATE TABLE core_realname_submission (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  full_name varchar(60) NOT NULL,
  id_type varchar(16) NOT NULL CHECK (id_type IN ('resident_id', 'hk_id', 'passport')),
  nationality varchar(2) NOT NULL DEFAULT '',
  id_number_cipher text NOT NULL,
  id_number_index varchar(64) NOT NULL,
  id_number_masked varchar(40) NOT NULL,
  state varchar(16) NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'revoked')),
  reason varchar(200) NOT NULL DEFAULT '',
  submitted_at timestamptz NOT NULL DEFAULT now(),
  reviewed_at timestamptz,
  reviewer_id bigint,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, reviewer_id) REFERENCES core_console_user (tenant_id, id) ON DELETE SET NULL (reviewer_id)
);
SELECT hearth_enable_tenant_rls('core_realname_submission');
-- One open submission per customer, and one person's ID approved for one customer of a franchise.
CREATE UNIQUE INDEX core_realname_submission_open ON core_realname_submission (tenant_id, customer_id)
  WHERE state IN ('pending', 'approved');
CREATE UNIQUE INDEX core_realname_submission_id_once ON core_realname_submission (tenant_id, id_number_index)
  WHERE state = 'approved';
CREATE INDEX core_realname_submission_queue ON core_realname_submission (tenant_id, state, submitted_at);
CREATE INDEX core_realname_submission_customer ON core_realname_submission (tenant_id, customer_id, submitted_at DESC);

-- The ID photos, sealed with the keyring (AES-GCM bound to the submission and the side): never
-- a file under the public media path.
CREATE TABLE core_realname_photo (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  submission_id bigint NOT NULL,
  side varchar(8) NOT NULL CHECK (side IN ('front', 'back', 'selfie')),
  content_type varchar(16) NOT NULL,
  sealed bytea NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, submission_id, side),
  FOREIGN KEY (tenant_id, submission_id) REFERENCES core_realname_submission (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_realname_photo');

-- Who looked at what: every photo view and every reveal of the full ID number.
CREATE TABLE core_realname_access (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  submission_id bigint NOT NULL,
  console_user_id bigint,
  actor_name varchar(200) NOT NULL,
  action varchar(16) NOT NULL CHECK (action IN ('front', 'back', 'selfie', 'reveal')),
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, submission_id) REFERENCES core_realname_submission (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, console_user_id) REFERENCES core_console_user (tenant_id, id) ON DELETE SET NULL (console_user_id)
);
SELECT hearth_enable_tenant_rls('core_realname_access');
CREATE INDEX core_realname_access_submission ON core_realname_access (tenant_id, submission_id, at DESC);
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
