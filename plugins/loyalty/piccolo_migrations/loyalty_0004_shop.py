from platform_core.plugin_api import sql_migration

ID = "2026-12-03T08:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "loyalty: the rewards shop (goods and coupons for points) and its redemptions"

SQL = r"""
-- A reward of the franchise's shop: household goods sent to an address, or a promotions coupon
-- template issued to the customer, for a points price. `stock` null: as many as are redeemed
-- (a coupon's own limits still apply); goods always count their stock.
CREATE TABLE loyalty_goods (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  kind varchar(8) NOT NULL CHECK (kind IN ('goods', 'coupon')),
  name varchar(80) NOT NULL CHECK (length(btrim(name)) > 0),
  description varchar(1000) NOT NULL DEFAULT '',
  picture varchar(200) NOT NULL DEFAULT '',
  points integer NOT NULL CHECK (points BETWEEN 1 AND 100000000),
  stock integer CHECK (stock BETWEEN 0 AND 1000000),
  coupon_template_id bigint,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, coupon_template_id) REFERENCES core_coupon_template (tenant_id, id),
  CHECK ((kind = 'coupon') = (coupon_template_id IS NOT NULL)),
  CHECK (kind = 'coupon' OR stock IS NOT NULL)
);
SELECT hearth_enable_tenant_rls('loyalty_goods');

-- A customer's redemption: what it was (name and points copied), and where it is. Goods:
-- to_ship -> shipped (carrier, tracking number) -> delivered, or cancelled before shipping (the
-- points and the stock go back); a coupon: issued, with the coupon's id. The address is a copy
-- of the address-book entry, so a later edit never moves a parcel already on its way. The
-- request_key (the client's, optional) makes a double tap one redemption.
CREATE TABLE loyalty_redemption (
  id bigserial,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  customer_id bigint NOT NULL,
  goods_id bigint NOT NULL,
  kind varchar(8) NOT NULL CHECK (kind IN ('goods', 'coupon')),
  name varchar(80) NOT NULL,
  points integer NOT NULL CHECK (points > 0),
  state varchar(12) NOT NULL CHECK (state IN ('to_ship', 'shipped', 'delivered', 'cancelled', 'issued')),
  coupon_id bigint,
  address jsonb,
  carrier varchar(40) NOT NULL DEFAULT '',
  tracking_number varchar(60) NOT NULL DEFAULT '',
  cancel_reason varchar(300) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  shipped_at timestamptz,
  delivered_at timestamptz,
  cancelled_at timestamptz,
  request_key varchar(64),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, customer_id, request_key),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES core_customer (tenant_id, id),
  FOREIGN KEY (tenant_id, goods_id) REFERENCES loyalty_goods (tenant_id, id),
  CHECK ((kind = 'goods') = (address IS NOT NULL)),
  CHECK (kind = 'goods' OR state = 'issued')
);
SELECT hearth_enable_tenant_rls('loyalty_redemption');
CREATE INDEX loyalty_redemption_customer ON loyalty_redemption (tenant_id, customer_id, created_at DESC);
CREATE INDEX loyalty_redemption_queue ON loyalty_redemption (tenant_id, state, created_at) WHERE kind = 'goods';
"""


async def forwards():
    return sql_migration(ID, "loyalty", DESCRIPTION, SQL, "DROP TABLE loyalty_redemption; DROP TABLE loyalty_goods;")
