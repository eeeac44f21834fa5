-- ROI: services delivered per site (with time entries for hourly work), daily metrics per site and
-- their monthly rollups. Every table is a tenant table: tenant_id first in its primary key and in
-- every foreign key, ENABLE + FORCE row-level security, granted to roi_app.

CREATE TABLE services (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  site_id uuid NOT NULL,
  name text NOT NULL,
  category text NOT NULL,
  billing text NOT NULL CHECK (billing IN ('monthly', 'one_time', 'hourly')),
  -- Minor units: per calendar month, once, or per hour depending on billing.
  amount bigint NOT NULL CHECK (amount >= 0),
  start_date date NOT NULL,
  end_date date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (end_date IS NULL OR end_date >= start_date),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX services_site_idx ON services (tenant_id, site_id, created_at, id);
CREATE INDEX services_created_idx ON services (tenant_id, created_at, id);
ALTER TABLE services ENABLE ROW LEVEL SECURITY;
ALTER TABLE services FORCE ROW LEVEL SECURITY;
CREATE POLICY services_isolation ON services USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

CREATE TABLE time_entries (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  service_id uuid NOT NULL,
  date date NOT NULL,
  hours numeric(6, 2) NOT NULL CHECK (hours > 0 AND hours <= 24),
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX time_entries_service_idx ON time_entries (tenant_id, service_id, date, id);
ALTER TABLE time_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE time_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY time_entries_isolation ON time_entries USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- One row per site and day. NULL means "never imported" (an import replaces only the fields it
-- names), and counts as 0 in reports.
CREATE TABLE metrics_daily (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  day date NOT NULL,
  sessions bigint CHECK (sessions >= 0),
  conversions bigint CHECK (conversions >= 0),
  revenue bigint CHECK (revenue >= 0),
  clicks bigint CHECK (clicks >= 0),
  impressions bigint CHECK (impressions >= 0),
  position numeric(12, 4) CHECK (position >= 0),
  PRIMARY KEY (tenant_id, site_id, day),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE metrics_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE metrics_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY metrics_daily_isolation ON metrics_daily USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- Sums of metrics_daily per site and calendar month, recomputed for the touched months in the
-- import's own transaction, so a month-grouped report reads sites × months rows. Position is kept
-- as its impressions-weighted sum and the impressions that carry a position.
CREATE TABLE metrics_monthly (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  sessions bigint NOT NULL DEFAULT 0,
  conversions bigint NOT NULL DEFAULT 0,
  revenue bigint NOT NULL DEFAULT 0,
  clicks bigint NOT NULL DEFAULT 0,
  impressions bigint NOT NULL DEFAULT 0,
  position_weighted numeric NOT NULL DEFAULT 0,
  position_impressions bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, site_id, month),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE metrics_monthly ENABLE ROW LEVEL SECURITY;
ALTER TABLE metrics_monthly FORCE ROW LEVEL SECURITY;
CREATE POLICY metrics_monthly_isolation ON metrics_monthly USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON services, time_entries, metrics_daily, metrics_monthly TO roi_app;
