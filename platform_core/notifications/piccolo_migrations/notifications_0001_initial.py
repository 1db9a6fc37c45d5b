from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the dev outbox and the in-app inbox"

SQL = r"""
-- What the dev channel "sent": in dev this IS the delivery, read on /dev/outbox.
CREATE TABLE core_dev_outbox (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  channel varchar(32) NOT NULL,
  recipient text NOT NULL,  -- encrypted, keyring context 'outbox.to'
  body text NOT NULL,
  purpose varchar(64) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX core_dev_outbox_latest ON core_dev_outbox (tenant_id, created_at DESC, id DESC);
SELECT hearth_enable_tenant_rls('core_dev_outbox');

CREATE TABLE core_notification (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  recipient_kind varchar(16) NOT NULL CHECK (recipient_kind IN ('customer', 'staff')),
  recipient_id bigint NOT NULL,
  title varchar(200) NOT NULL,
  body text NOT NULL DEFAULT '',
  link varchar(500) NOT NULL DEFAULT '',
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX core_notification_inbox ON core_notification (tenant_id, recipient_kind, recipient_id, created_at DESC);
CREATE INDEX core_notification_unread ON core_notification (tenant_id, recipient_kind, recipient_id) WHERE read_at IS NULL;
SELECT hearth_enable_tenant_rls('core_notification');
"""

BACKWARDS_SQL = "DROP TABLE core_notification; DROP TABLE core_dev_outbox;"


async def forwards():
    return sql_migration(ID, "notifications", DESCRIPTION, SQL, BACKWARDS_SQL)
