-- Goals: a target for ROI, credited value or conversions per calendar month or quarter, for one
-- site or (site_id NULL) the whole workspace. target: a ratio for roi (1.5 = 150 %), minor units
-- for value, a count for conversions; the API validates which. A site's goals go with the site.
CREATE TABLE goals (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  site_id uuid,
  metric text NOT NULL CHECK (metric IN ('roi', 'value', 'conversions')),
  period text NOT NULL CHECK (period IN ('month', 'quarter')),
  target numeric NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX goals_created_idx ON goals (tenant_id, created_at, id);
CREATE INDEX goals_site_idx ON goals (tenant_id, site_id);
ALTER TABLE goals ENABLE ROW LEVEL SECURITY;
ALTER TABLE goals FORCE ROW LEVEL SECURITY;
CREATE POLICY goals_isolation ON goals USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON goals TO roi_app;
