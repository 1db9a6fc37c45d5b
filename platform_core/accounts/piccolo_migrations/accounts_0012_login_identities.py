from platform_core.db.migration import sql_migration

ID = "2026-12-03T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "login identities: one per provider app (WeChat's official account, website and mini-program), unionid, avatar"

SQL = r"""
-- A provider with several apps (WeChat) gives one person another id (openid) in each app: an
-- identity is (provider, app_id, subject), and a customer has at most one per app. The unionid
-- is the same person across one franchise's apps, so a new app's openid finds its customer.
ALTER TABLE core_login_identity
  ADD COLUMN app_id varchar(64) NOT NULL DEFAULT '',
  ADD COLUMN unionid varchar(128) NOT NULL DEFAULT '',
  ADD COLUMN avatar_url varchar(500) NOT NULL DEFAULT '';
ALTER TABLE core_login_identity DROP CONSTRAINT core_login_identity_tenant_id_provider_subject_key;
ALTER TABLE core_login_identity DROP CONSTRAINT core_login_identity_tenant_id_customer_id_provider_key;
ALTER TABLE core_login_identity ADD CONSTRAINT core_login_identity_subject UNIQUE (tenant_id, provider, app_id, subject);
ALTER TABLE core_login_identity ADD CONSTRAINT core_login_identity_one_per_app UNIQUE (tenant_id, customer_id, provider, app_id);
CREATE INDEX core_login_identity_unionid ON core_login_identity (tenant_id, provider, unionid) WHERE unionid <> '';
"""


async def forwards():
    return sql_migration(ID, "accounts", DESCRIPTION, SQL)
