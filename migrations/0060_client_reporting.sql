-- Client reporting: the workspace's uploaded logo and shared report links.

-- The logo, kept in the database (no file store to back up apart): at most 256 KiB of PNG, JPEG
-- or WebP, checked by content before it is stored. tenants.branding.logo names its hash, so the
-- settings read on every request know whether there is one without reading the bytes.
CREATE TABLE tenant_logos (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
  bytes bytea NOT NULL CHECK (octet_length(bytes) <= 262144),
  sha256 text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE tenant_logos ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_logos FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_logos_isolation ON tenant_logos USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- A shared report link. The token (>= 128 random bits) is found by its SHA-256, and kept
-- encrypted (AES-256-GCM, ENCRYPTION_KEY) so managers can copy the URL again. Before the tenant
-- is known, a public request names the hash of the token it holds in app.share_hash, which the
-- policy admits (as 0005 does for API keys): a caller that holds the secret.
CREATE TABLE report_links (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL,
  site_ids uuid[] NOT NULL,
  period jsonb NOT NULL,
  token_hash text NOT NULL UNIQUE,
  token_encrypted text NOT NULL,
  password_hash text,
  expires_at timestamptz,
  revoked_at timestamptz,
  views bigint NOT NULL DEFAULT 0,
  last_viewed_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX report_links_created_idx ON report_links (tenant_id, created_at, id);
ALTER TABLE report_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_links FORCE ROW LEVEL SECURITY;
CREATE POLICY report_links_isolation ON report_links
  USING (tenant_id = app_tenant_id() OR token_hash = nullif(current_setting('app.share_hash', true), ''))
  WITH CHECK (tenant_id = app_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_logos, report_links TO roi_app;
