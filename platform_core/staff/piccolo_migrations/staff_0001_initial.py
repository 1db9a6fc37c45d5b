from platform_core.db.migration import sql_migration

ID = "2026-11-25T00:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "worker profiles, working hours, days off"

SQL = r"""
CREATE TABLE core_staff_profile (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  photo_url varchar(500) NOT NULL DEFAULT '',
  bio varchar(2000) NOT NULL DEFAULT '',
  years_experience int NOT NULL DEFAULT 0 CHECK (years_experience BETWEEN 0 AND 60),
  skills text[] NOT NULL DEFAULT '{}',
  languages text[] NOT NULL DEFAULT '{}',
  home_lat numeric(9, 6) CHECK (home_lat BETWEEN -90 AND 90),
  home_lng numeric(9, 6) CHECK (home_lng BETWEEN -180 AND 180),
  service_radius_km int NOT NULL DEFAULT 10 CHECK (service_radius_km BETWEEN 1 AND 200),
  -- Kept by the reviews domain (the mean of its three scores) for dispatch and listings.
  rating_avg numeric(3, 2) NOT NULL DEFAULT 0,
  rating_count int NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, staff_id),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id) ON DELETE CASCADE,
  CHECK ((home_lat IS NULL) = (home_lng IS NULL))
);
SELECT hearth_enable_tenant_rls('core_staff_profile');

-- Weekly hours in the tenant's time zone; several ranges a day are allowed (a lunch break).
CREATE TABLE core_staff_hours (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- 0 = Monday
  starts time NOT NULL,
  ends time NOT NULL CHECK (ends > starts),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX core_staff_hours_staff ON core_staff_hours (tenant_id, staff_id, weekday);
SELECT hearth_enable_tenant_rls('core_staff_hours');

CREATE TABLE core_staff_time_off (
  id bigserial PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES core_tenant(id) ON DELETE CASCADE,
  staff_id bigint NOT NULL,
  during tstzrange NOT NULL CHECK (NOT isempty(during)),
  reason varchar(200) NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, staff_id) REFERENCES core_staff (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX core_staff_time_off_during ON core_staff_time_off USING gist (tenant_id, staff_id, during);
SELECT hearth_enable_tenant_rls('core_staff_time_off');
"""


async def forwards():
    return sql_migration(ID, "staff", DESCRIPTION, SQL)
