-- Annotations: dated notes on a site's charts ("new landing pages live", "core update"), or on
-- every site of the workspace when site_id is NULL. Only the manual ones are stored: the
-- automatic ones of services (a retainer's start and end, a one-off job) are computed from the
-- services when read, so they are never stale and need no upkeep when a service changes.
CREATE TABLE annotations (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  site_id uuid,
  date date NOT NULL,
  title text NOT NULL,
  note text,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX annotations_date_idx ON annotations (tenant_id, date, id);
CREATE INDEX annotations_site_idx ON annotations (tenant_id, site_id, date);
ALTER TABLE annotations ENABLE ROW LEVEL SECURITY;
ALTER TABLE annotations FORCE ROW LEVEL SECURITY;
CREATE POLICY annotations_isolation ON annotations USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON annotations TO roi_app;
