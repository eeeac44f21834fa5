-- Google connections (Search Console and GA4): the connected accounts with their refresh tokens
-- sealed (AES-256-GCM, never stored in clear), the single-use OAuth states of connections under
-- way, each site's linked properties, its sync state (progress, lease), and the search terms a
-- sync brings. Every table is a tenant table: tenant_id first in every key, ENABLE + FORCE
-- row-level security, granted to roi_app.

CREATE FUNCTION app_google_sync_scope() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT current_setting('app.worker_scope', true) = 'google-sync' $$;

-- One row per Google account connected to a workspace (the same account again: the same row).
CREATE TABLE google_connections (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- Google's stable account id (`sub` of the ID token) and its e-mail address, shown as `account`.
  subject text NOT NULL,
  account text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'broken')),
  last_error text,
  refresh_token_sealed text NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, subject)
);
CREATE INDEX google_connections_created_idx ON google_connections (tenant_id, created_at, id);
ALTER TABLE google_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE google_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY google_connections_isolation ON google_connections
  USING (tenant_id = app_tenant_id() OR app_google_sync_scope())
  WITH CHECK (tenant_id = app_tenant_id());

-- A connection under way: the state's hash (the state itself travels through Google), bound to
-- the workspace and the user; the PKCE verifier sealed. Used once, for ten minutes.
CREATE TABLE google_oauth_states (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  state_hash text NOT NULL,
  user_id uuid NOT NULL,
  code_verifier_sealed text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, state_hash)
);
ALTER TABLE google_oauth_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE google_oauth_states FORCE ROW LEVEL SECURITY;
CREATE POLICY google_oauth_states_isolation ON google_oauth_states
  USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- The properties a site is linked to; deleting the connection unlinks its sites.
CREATE TABLE site_sources (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  search_console_property text,
  analytics_property_id text,
  organic_only boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, site_id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, connection_id) REFERENCES google_connections (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX site_sources_connection_idx ON site_sources (tenant_id, connection_id);
ALTER TABLE site_sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE site_sources FORCE ROW LEVEL SECURITY;
CREATE POLICY site_sources_isolation ON site_sources
  USING (tenant_id = app_tenant_id() OR app_google_sync_scope())
  WITH CHECK (tenant_id = app_tenant_id());

-- A site's sync: the range asked for and how far it got (next_day: the first day not yet
-- written), the lease of the worker running it, and the outcome of the last one.
CREATE TABLE site_syncs (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('idle', 'queued', 'running', 'failed')),
  range_from date,
  range_to date,
  next_day date,
  done integer NOT NULL DEFAULT 0,
  total integer NOT NULL DEFAULT 0,
  last_synced_at timestamptz,
  synced_through date,
  last_error text,
  lease_owner text,
  lease_until timestamptz,
  requested_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, site_id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX site_syncs_status_idx ON site_syncs (status, lease_until);
ALTER TABLE site_syncs ENABLE ROW LEVEL SECURITY;
ALTER TABLE site_syncs FORCE ROW LEVEL SECURITY;
CREATE POLICY site_syncs_isolation ON site_syncs
  USING (tenant_id = app_tenant_id() OR app_google_sync_scope())
  WITH CHECK (tenant_id = app_tenant_id());

-- Search terms. A dictionary of each site's queries and pages (dimension 1 query, 2 page) whose
-- id is derived from the key (the first 64 bits of its MD5), so a sync writes day rows without a
-- round trip for ids; per day and key the clicks, impressions and the impressions-weighted
-- position sum (position x impressions). Monthly rollups, recomputed for the months a sync
-- writes, let a long range read one row per key and month. Like metrics_daily (0010), the day
-- and month tables have no foreign key to sites: deleteSite removes their rows itself.
CREATE TABLE search_term_keys (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  dimension smallint NOT NULL CHECK (dimension IN (1, 2)),
  id bigint NOT NULL,
  key text NOT NULL,
  PRIMARY KEY (tenant_id, site_id, dimension, id)
);
ALTER TABLE search_term_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_term_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY search_term_keys_isolation ON search_term_keys
  USING (tenant_id = (SELECT app_tenant_id())) WITH CHECK (tenant_id = (SELECT app_tenant_id()));

CREATE TABLE search_terms_daily (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  dimension smallint NOT NULL,
  day date NOT NULL,
  key_id bigint NOT NULL,
  clicks integer NOT NULL,
  impressions integer NOT NULL,
  position_sum double precision NOT NULL,
  PRIMARY KEY (tenant_id, site_id, dimension, day, key_id)
);
ALTER TABLE search_terms_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_terms_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY search_terms_daily_isolation ON search_terms_daily
  USING (tenant_id = (SELECT app_tenant_id())) WITH CHECK (tenant_id = (SELECT app_tenant_id()));

CREATE TABLE search_terms_monthly (
  tenant_id uuid NOT NULL,
  site_id uuid NOT NULL,
  dimension smallint NOT NULL,
  month date NOT NULL CHECK (extract(day FROM month) = 1),
  key_id bigint NOT NULL,
  clicks bigint NOT NULL,
  impressions bigint NOT NULL,
  position_sum double precision NOT NULL,
  PRIMARY KEY (tenant_id, site_id, dimension, month, key_id)
);
ALTER TABLE search_terms_monthly ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_terms_monthly FORCE ROW LEVEL SECURITY;
CREATE POLICY search_terms_monthly_isolation ON search_terms_monthly
  USING (tenant_id = (SELECT app_tenant_id())) WITH CHECK (tenant_id = (SELECT app_tenant_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON google_connections, google_oauth_states, site_sources,
  site_syncs, search_term_keys, search_terms_daily, search_terms_monthly TO roi_app;
