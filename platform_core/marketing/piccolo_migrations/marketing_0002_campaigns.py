from platform_core.db.migration import sql_migration

ID = "2026-12-03T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "marketing: campaigns (audience, offer, channels, timing) and their recipients (nobody twice)"

SQL = r"""
CREATE TABLE core_marketing_campaign (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  name varchar(80) NOT NULL,
  audience varchar(16) NOT NULL CHECK (audience IN ('segment', 'registration', 'last_order')),
  segment_id bigint,
  trigger_days integer CHECK (trigger_days BETWEEN 1 AND 3650),
  template_id bigint,
  coupon_cap integer CHECK (coupon_cap >= 0),
  title varchar(100) NOT NULL,
  body varchar(1000) NOT NULL DEFAULT '',
  via_inbox boolean NOT NULL DEFAULT true,
  via_sms boolean NOT NULL DEFAULT false,
  via_banner boolean NOT NULL DEFAULT false,
  banner_days integer NOT NULL DEFAULT 7 CHECK (banner_days BETWEEN 1 AND 90),
  state varchar(16) NOT NULL DEFAULT 'draft'
    CHECK (state IN ('draft', 'scheduled', 'running', 'finished', 'cancelled')),
  send_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- A segment's send goes in batches of customers by ascending id: the last id handled.
  send_cursor bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name),
  CHECK ((audience = 'segment') = (segment_id IS NOT NULL)),
  CHECK ((audience = 'last_order') = (trigger_days IS NOT NULL)),
  CHECK (via_inbox OR via_sms OR via_banner),
  FOREIGN KEY (tenant_id, segment_id) REFERENCES core_marketing_segment (tenant_id, id),
  FOREIGN KEY (tenant_id, template_id) REFERENCES core_coupon_template (tenant_id, id)
);
SELECT hearth_tenant_primary_key('core_marketing_campaign');
SELECT hearth_enable_tenant_rls('core_marketing_campaign');

-- Pages keep a franchise's banner campaigns by its stamp: renew it when one starts, ends or
-- changes its banner, not for every batch a send writes (the cursor).
CREATE TRIGGER core_marketing_campaign_touch AFTER INSERT OR DELETE ON core_marketing_campaign
  FOR EACH ROW EXECUTE FUNCTION hearth_tenant_touch();
CREATE TRIGGER core_marketing_campaign_touch_update AFTER UPDATE ON core_marketing_campaign
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.via_banner IS DISTINCT FROM NEW.via_banner
    OR OLD.title IS DISTINCT FROM NEW.title OR OLD.body IS DISTINCT FROM NEW.body
    OR OLD.banner_days IS DISTINCT FROM NEW.banner_days OR OLD.started_at IS DISTINCT FROM NEW.started_at)
  EXECUTE FUNCTION hearth_tenant_touch();

-- One row per customer a campaign reached: the unique key is what makes "nobody twice" hold
-- under retried and concurrent sends.
CREATE TABLE core_marketing_campaign_recipient (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  campaign_id bigint NOT NULL,
  customer_id bigint NOT NULL,
  via_inbox boolean NOT NULL DEFAULT false,
  via_sms boolean NOT NULL DEFAULT false,
  via_banner boolean NOT NULL DEFAULT false,
  coupon_id bigint,
  notification_id bigint,
  sent_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, campaign_id, customer_id),
  FOREIGN KEY (tenant_id, campaign_id) REFERENCES core_marketing_campaign (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, coupon_id) REFERENCES core_coupon (tenant_id, id),
  FOREIGN KEY (tenant_id, notification_id) REFERENCES core_notification (tenant_id, id) ON DELETE SET NULL (notification_id)
);
-- The banner's one lookup for a signed-in customer.
CREATE INDEX core_marketing_campaign_recipient_banner ON core_marketing_campaign_recipient (tenant_id, customer_id, campaign_id)
  WHERE via_banner;
SELECT hearth_tenant_primary_key('core_marketing_campaign_recipient');
SELECT hearth_enable_tenant_rls('core_marketing_campaign_recipient');
"""


async def forwards():
    return sql_migration(ID, "marketing", DESCRIPTION, SQL)
