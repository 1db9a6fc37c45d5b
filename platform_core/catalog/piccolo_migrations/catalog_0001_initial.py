from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "service categories (a tree), items with their pricing model, add-ons"

SQL = r"""
CREATE TABLE core_service_category (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  parent_id bigint,
  code varchar(63) NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
  title varchar(100) NOT NULL,
  summary varchar(300) NOT NULL DEFAULT '',
  icon varchar(40) NOT NULL DEFAULT 'home',
  sort_order int NOT NULL DEFAULT 0,
  -- The plugin that contributed the category (elder care); NULL for the franchise's own.
  source_plugin varchar(63),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES core_service_category (tenant_id, id) ON DELETE RESTRICT
);
SELECT hearth_enable_tenant_rls('core_service_category');

CREATE TABLE core_service_item (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  category_id bigint NOT NULL,
  slug varchar(80) NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  title varchar(120) NOT NULL,
  summary varchar(300) NOT NULL DEFAULT '',
  cover_url varchar(500) NOT NULL DEFAULT '',
  -- The rich description as ordered blocks: text, image, video, steps, result (schemas.py).
  content jsonb NOT NULL DEFAULT '[]',
  duration_minutes int NOT NULL CHECK (duration_minutes BETWEEN 15 AND 86400),
  pricing_model varchar(16) NOT NULL CHECK (pricing_model IN ('fixed', 'hourly', 'per_sqm', 'quote')),
  -- Minor units: the fixed price, the price per hour or per m², or the inspection fee of a quote.
  price bigint NOT NULL DEFAULT 0 CHECK (price >= 0),
  -- The least hours (hourly) or m² (per_sqm) a booking may ask for.
  min_quantity int NOT NULL DEFAULT 1 CHECK (min_quantity >= 1),
  currency varchar(3) NOT NULL,
  required_skills text[] NOT NULL DEFAULT '{}',
  -- Districts where it is offered; empty means everywhere the franchise works.
  districts text[] NOT NULL DEFAULT '{}',
  booking_fields jsonb NOT NULL DEFAULT '[]',
  active boolean NOT NULL DEFAULT true,
  sort_order int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, slug),
  FOREIGN KEY (tenant_id, category_id) REFERENCES core_service_category (tenant_id, id) ON DELETE RESTRICT
);
CREATE INDEX core_service_item_category ON core_service_item (tenant_id, category_id, sort_order);
SELECT hearth_enable_tenant_rls('core_service_item');

CREATE TABLE core_service_addon (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  item_id bigint NOT NULL,
  title varchar(100) NOT NULL,
  price bigint NOT NULL CHECK (price >= 0),
  duration_minutes int NOT NULL DEFAULT 0 CHECK (duration_minutes >= 0),
  active boolean NOT NULL DEFAULT true,
  sort_order int NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, item_id) REFERENCES core_service_item (tenant_id, id) ON DELETE CASCADE
);
SELECT hearth_enable_tenant_rls('core_service_addon');
"""


async def forwards():
    return sql_migration(ID, "catalog", DESCRIPTION, SQL)
